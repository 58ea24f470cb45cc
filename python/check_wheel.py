"""Checks a built wheel against the platform tag it must carry, with `auditwheel show --json`.

    python check_wheel.py WHEEL EXPECTED_TAG     (e.g. manylinux2014_x86_64)

Fails (exit 1) unless:
- the wheel is an abi3 wheel for CPython >= 3.10 and its file name carries EXPECTED_TAG;
- auditwheel finds no external shared library outside the tag's policy;
- every platform tag in the file name is allowed by the wheel's symbols: a wheel tagged
  manylinux_2_17 must not reference GLIBC_2.18 or later (auditwheel's `overall_tag` is the
  most compatible tag its symbols and libraries allow).
Used by build-wheels.sh (every wheel) and ci.sh (the wheel CI tests).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

# PEP 599 legacy aliases -> PEP 600 glibc version.
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_TAG = re.compile(r"^(manylinux|musllinux)_(\d+)_(\d+)_(\w+)$")


def parse_tag(tag: str) -> tuple[str, tuple[int, int], str]:
    """`manylinux2014_x86_64` -> ("manylinux", (2, 17), "x86_64")."""
    for legacy, version in _LEGACY.items():
        if tag.startswith(legacy + "_"):
            return "manylinux", version, tag[len(legacy) + 1 :]
    m = _TAG.match(tag)
    if not m:
        raise ValueError(f"not a manylinux/musllinux tag: {tag}")
    return m.group(1), (int(m.group(2)), int(m.group(3))), m.group(4)


def allows(overall: str, claimed: str) -> bool:
    """True when a wheel whose symbols allow `overall` may be tagged `claimed`."""
    try:
        o_family, o_version, o_arch = parse_tag(overall)
    except ValueError:
        return False  # linux_<arch>: something outside every policy
    c_family, c_version, c_arch = parse_tag(claimed)
    return o_family == c_family and o_arch == c_arch and o_version <= c_version


def check(wheel: Path, expected: str) -> list[str]:
    """The problems of `wheel` (empty when it is fine)."""
    name, version, python_tag, abi_tag, platforms = wheel.name[: -len(".whl")].split("-")
    problems = []
    if (python_tag, abi_tag) != ("cp310", "abi3"):
        problems.append(f"python/abi tag is {python_tag}-{abi_tag}, not cp310-abi3")
    claimed = platforms.split(".")
    if expected not in claimed:
        problems.append(f"file name tags {claimed} do not include {expected}")
    out = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0 or not out.stdout.strip():
        return problems + [f"auditwheel show failed ({out.returncode}): {out.stderr.strip()}"]
    report = json.loads(out.stdout)
    if "error" in report:
        return problems + [f"auditwheel: {report['error']}"]
    overall = report["overall_tag"]
    if report["external_libs"]:
        problems.append(f"links libraries outside the policy: {sorted(report['external_libs'])}")
    for tag in claimed:
        if not allows(overall, tag):
            problems.append(f"tagged {tag} but its symbols and libraries allow only {overall}")
    glibc = sorted(
        {v for vs in report["versioned_symbols"].values() for v in vs if v.startswith("GLIBC_")},
        key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v)),
    )
    print(
        f"{wheel.name}: auditwheel overall tag {overall}, sym tag {report['sym_tag']}, "
        f"newest glibc symbol {glibc[-1] if glibc else '-'}, "
        f"libraries {sorted(report['versioned_symbols'])}"
    )
    return problems


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(Path(sys.argv[1]), sys.argv[2])
    for p in problems:
        print(f"error: {Path(sys.argv[1]).name}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
