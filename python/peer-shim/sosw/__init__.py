"""Test shim: the ``sosw`` package name (only ``sosw.components.sigv4`` is mapped)."""
