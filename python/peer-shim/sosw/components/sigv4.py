"""Test shim: ``sosw.components.sigv4`` is ``sigv4.compat.sosw``."""
from sigv4.compat.sosw import *  # noqa: F401,F403
from sigv4.compat.sosw import __all__  # noqa: F401
