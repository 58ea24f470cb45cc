#!/usr/bin/env python3
"""A README shown on crates.io or PyPI renders on its own (issue 27).

    python3 scripts/readme-check.py README.md [README.md ...]

Fails when a README links or embeds a relative path (crates.io and PyPI show the README
without the repository around it, so `../../README.md` or `docs/x.md` lead nowhere), or
when a Rust code block hides lines the rustdoc way (`# line`): rustdoc hides them, a
README page shows them verbatim. Links must be absolute (http, https, mailto) or anchors.
"""
import re
import sys

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)")
HTML = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
ABSOLUTE = ("http://", "https://", "mailto:", "#")


def problems(text):
    fence = None  # the opening fence and whether the block is Rust
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if fence is None and re.match(r"^(```|~~~)", stripped):
            info = stripped[3:].strip().split(",")[0].strip()
            fence = (stripped[:3], info in ("", "rust") or info.startswith("rust"))
            continue
        if fence is not None:
            if stripped.startswith(fence[0]):
                fence = None
            elif fence[1] and (stripped == "#" or stripped.startswith("# ")):
                yield number, f"rustdoc-hidden line shown verbatim on a README page: {stripped}"
            continue
        targets = LINK.findall(line) + HTML.findall(line)
        reference = REFERENCE.match(line)
        if reference:
            targets.append(reference.group(1))
        for target in targets:
            if not target.startswith(ABSOLUTE):
                yield number, f"relative link {target!r} breaks outside the repository"


def main(paths):
    failed = False
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for number, message in problems(f.read()):
                print(f"{path}:{number}: {message}", file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
