"""Global options may be written before or after the subcommand."""

import pytest

from ogcli.main import hoist_global_options


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["devnet", "reset", "--yes"], ["--yes", "devnet", "reset"]),
        (["devnet", "status", "--json", "-q"], ["--json", "-q", "devnet", "status"]),
        (["devnet", "up", "--profile", "x", "--port", "9"], ["--profile", "x", "devnet", "up", "--port", "9"]),
        (["devnet", "up", "--rpc-url=http://h:1"], ["--rpc-url=http://h:1", "devnet", "up"]),
        (["--json", "devnet", "status"], ["--json", "devnet", "status"]),
        (["x", "--", "--yes"], ["x", "--", "--yes"]),
    ],
)
def test_hoisting(argv, expected):
    assert hoist_global_options(argv) == expected
