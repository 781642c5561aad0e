"""A transaction that is not mined in time is reported with its hash, not called failed."""

from __future__ import annotations

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.errors import NetworkError

pytestmark = pytest.mark.chain


def test_timeout_names_the_pending_transaction_which_can_still_land(fresh):
    deployer = accounts.get("deployer")
    fresh.rpc("anvil_setBalance", [deployer.address, hex(10**20)])
    sender = Sender(fresh.w3, deployer.local_account, receipt_timeout_s=0.5)
    fresh.rpc("evm_setAutomine", [False])
    try:
        with pytest.raises(NetworkError, match="not mined after") as caught:
            sender.transact(fresh.protocol.token.functions.transfer(accounts.get("user").address, 1))
        message = str(caught.value)
        assert "look it up before sending again" in message
        tx_hash = message.split("tx ")[1].split()[0]
        fresh.rpc("evm_mine")
        assert fresh.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    finally:
        fresh.rpc("evm_setAutomine", [True])
