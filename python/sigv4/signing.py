"""PyPI ``sigv4``'s ``sigv4.signing`` module: its public names, from ``sigv4``."""

from . import EMPTY_SHA256, sign_headers

__all__ = ["EMPTY_SHA256", "sign_headers"]
