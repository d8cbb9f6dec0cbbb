"""Helpers and datasets of the tests (imported as ``support``: pytest's pythonpath)."""
