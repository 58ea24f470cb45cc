"""PyPI ``sigv4``'s ``sigv4.resolve`` module: its public names, from ``sigv4``."""

from . import resolve_credentials

__all__ = ["resolve_credentials"]
