"""Fixtures live in tests/tinymodels.py (a plugin loaded by the root conftest)."""
