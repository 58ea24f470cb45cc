"""Test shim: ``requests_aws4auth.aws4auth`` is ``sigv4.compat.requests_aws4auth.aws4auth``."""
from sigv4.compat.requests_aws4auth.aws4auth import *  # noqa: F401,F403
from sigv4.compat.requests_aws4auth.aws4auth import __all__  # noqa: F401
