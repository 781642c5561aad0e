"""Allows `python -m ogcli`."""

from ogcli.main import run

run()
