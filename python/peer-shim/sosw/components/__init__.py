"""Test shim: ``sosw.components``."""
