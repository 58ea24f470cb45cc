"""Runs one Rust credential provider (``sigv4._sigv4.load_source``) for the modules of
``sigv4.providers`` and turns its outcome into the original's answers."""

from __future__ import annotations

import logging
from typing import Callable, Optional

from .._errors import SigV4Error
from .._sigv4 import Credentials, load_source

_log = logging.getLogger("sigv4")


def load(
    source: str, answers: dict[str, Optional[Callable[[str], BaseException]]], **kw
) -> Optional[Credentials]:
    """Runs ``source``. ``answers`` maps the kind of a failure to what to do: ``None``
    answers ``None`` (the message logged as a warning on logger ``sigv4``), a callable
    builds the exception to raise from the message; other kinds raise ``SigV4Error``. Not
    configured always answers ``None``."""
    creds, kind, message = load_source(source, **kw)
    if kind is None:
        return creds
    if kind == "not_configured":
        return None
    make = answers.get(kind, lambda m: SigV4Error(m))
    if make is None:
        _log.warning("%s", message)
        return None
    raise make(message)
