"""Reading CLI results in tests: the JSON data of a success, and the shape of a refusal."""

from __future__ import annotations

import json


def data(result):
    """The `data` of a successful `--json` run (the stderr is shown if it failed)."""
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["data"]


def refused(result, *needles: str) -> None:
    """Bad input: exit 2, nothing on stdout, one line on stderr naming each of `needles`."""
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def use_devnet_wallet(cli, wallet: str, devnet_name: str) -> str:
    """Imports a devnet account's key as `wallet` and makes it active; returns its address."""
    from ogcli.devnet import accounts

    key = accounts.get(devnet_name).private_key.hex()
    assert cli("wallet", "import", wallet, "--private-key", input=key + "\n").exit_code == 0
    assert cli("wallet", "use", wallet).exit_code == 0
    return accounts.get(devnet_name).address
