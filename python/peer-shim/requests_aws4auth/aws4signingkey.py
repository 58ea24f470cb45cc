"""Test shim: ``requests_aws4auth.aws4signingkey`` is
``sigv4.compat.requests_aws4auth.aws4signingkey``."""
from sigv4.compat.requests_aws4auth.aws4signingkey import *  # noqa: F401,F403
from sigv4.compat.requests_aws4auth.aws4signingkey import __all__  # noqa: F401
