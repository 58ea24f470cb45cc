"""check_wheel.py (used by build-wheels.sh and CI) refuses a tag its wheel's symbols do not allow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "check_wheel", Path(__file__).resolve().parents[1] / "check_wheel.py"
)
check_wheel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_wheel)


@pytest.mark.parametrize(
    "tag, parsed",
    [
        ("manylinux2014_x86_64", ("manylinux", (2, 17), "x86_64")),
        ("manylinux_2_17_aarch64", ("manylinux", (2, 17), "aarch64")),
        ("manylinux1_x86_64", ("manylinux", (2, 5), "x86_64")),
        ("musllinux_1_2_aarch64", ("musllinux", (1, 2), "aarch64")),
    ],
)
def test_parse_tag(tag, parsed):
    assert check_wheel.parse_tag(tag) == parsed


@pytest.mark.parametrize(
    "overall, claimed, ok",
    [
        ("manylinux_2_17_x86_64", "manylinux2014_x86_64", True),
        ("manylinux_2_17_x86_64", "manylinux_2_17_x86_64", True),
        ("manylinux_2_5_x86_64", "manylinux2014_x86_64", True),  # older symbols only: fine
        ("manylinux_2_34_x86_64", "manylinux2014_x86_64", False),  # GLIBC_2.34 symbols
        ("manylinux_2_18_aarch64", "manylinux_2_17_aarch64", False),
        ("manylinux_2_17_x86_64", "manylinux2014_aarch64", False),  # wrong architecture
        ("linux_x86_64", "manylinux2014_x86_64", False),  # a library outside every policy
        ("musllinux_1_2_x86_64", "musllinux_1_2_x86_64", True),
        ("musllinux_1_2_x86_64", "musllinux_1_1_x86_64", False),
        ("manylinux_2_17_x86_64", "musllinux_1_2_x86_64", False),
    ],
)
def test_allows(overall, claimed, ok):
    assert check_wheel.allows(overall, claimed) is ok
