"""CLI tests use the `cli` fixture of tests/conftest.py."""
