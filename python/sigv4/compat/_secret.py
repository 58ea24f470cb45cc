"""A holder for a secret access key whose ``repr`` never shows it (compat modules keep the
secret in one so that printing an object, or ``vars()`` of it, does not leak it)."""

from __future__ import annotations

from typing import Optional


class Secret:
    """Holds a secret access key; its repr never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: Optional[str]) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret('****')"
