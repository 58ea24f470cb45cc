"""PyPI ``sigv4``'s ``sigv4.providers.config_file``: credentials from the shared files.

``~/.aws/credentials`` and ``~/.aws/config`` (or ``AWS_SHARED_CREDENTIALS_FILE`` /
``AWS_CONFIG_FILE``), profile ``AWS_PROFILE`` (default ``default``). Read by the same Rust
profile provider as the default chain, so besides static keys a profile may also assume a
role, use SSO, ``credential_process`` or web identity.
"""

from __future__ import annotations

import configparser
from typing import Optional

from .. import Credentials
from .._errors import CredentialsError
from . import _source

__all__ = ["ProfileFileError", "try_load_from_config_file"]


class ProfileFileError(CredentialsError, configparser.Error):
    """A credentials or config file exists but cannot be read or parsed. Also a
    ``configparser.Error``, the exception the original raises then."""

    def __init__(self, message: str = "") -> None:
        CredentialsError.__init__(self, message)
        self.message = message


ProfileFileError.__module__ = "sigv4.providers.config_file"


def try_load_from_config_file() -> Optional[Credentials]:
    """Credentials of the selected profile, or ``None`` when there are no files, the profile
    is not in them, or it holds no credentials. A file that cannot be parsed raises
    ``ProfileFileError`` (a ``configparser.Error``)."""
    return _source.load("config_file", {"unparsable": ProfileFileError})
