"""Test shim: ``requests_aws4auth.exceptions`` is ``sigv4.compat.requests_aws4auth.exceptions``."""
from sigv4.compat.requests_aws4auth.exceptions import *  # noqa: F401,F403
from sigv4.compat.requests_aws4auth.exceptions import __all__  # noqa: F401
