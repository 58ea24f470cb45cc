"""pytest plugin for the PyPI sigv4 suite (``peer-suites.sh`` loads it with ``-p``).

Some of the original's test modules import its underscore-private helpers at module level
(``from sigv4.signing import _canonical_uri, ...``). The drop-in does not have them, so the
import would fail and take down the tests of those modules that use only public names. This
plugin gives each such private name a placeholder that raises ``NotImplementedError`` when
called; the modules then import, the public-only tests run, and every test that calls a
private name is deselected (``python/peer-suites-deselected.txt``, with its reason).
"""

from __future__ import annotations

import sys
import types

import sigv4.providers.imds
import sigv4.providers.web_identity
import sigv4.signing


class _PrivateName:
    def __init__(self, qualname: str) -> None:
        self.qualname = qualname

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{self.qualname} is a private helper of PyPI sigv4 0.1.0; the drop-in does not provide it")


_SIGNING = ("_canonical_query_string", "_canonical_uri", "_payload_hash", "_signing_key",
            "_canonical_headers_str", "_signed_headers", "_canonical_request", "_string_to_sign")
for _name in _SIGNING:
    setattr(sigv4.signing, _name, _PrivateName(f"sigv4.signing.{_name}"))

# tests/test_providers: test_imds.py and test_web_identity.py import these at module level.
sigv4.providers.imds._is_not_present = _PrivateName("sigv4.providers.imds._is_not_present")
sigv4.providers.web_identity._parse_sts_response = _PrivateName(
    "sigv4.providers.web_identity._parse_sts_response")

# sigv4._log: the original's private logging module.
_log = types.ModuleType("sigv4._log")
_log.warning = _PrivateName("sigv4._log.warning")
sys.modules["sigv4._log"] = _log
sigv4._log = _log
