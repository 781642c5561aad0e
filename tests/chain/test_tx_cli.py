"""`ogcli tx status | speedup | cancel` on a devnet whose mining is held, so a transaction stays
stuck in the pool until the test mines: the replacement takes its nonce, the original never runs."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from ogcli.devnet import accounts
from ogcli.errors import ExitCode
from tests.cli_results import data as _data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(120)]

OPG = 10**18


@pytest.fixture
def held(carol):
    """carol's wallet (tests/chain/fixtures.py) on the seeded chain with mining held: a
    transaction stays in the pool until the test mines."""
    carol.rpc("evm_setAutomine", [False])
    try:
        yield carol
    finally:
        carol.rpc("evm_setAutomine", [True])


def _stuck_transfer(chain, to: str, wei: int) -> str:
    """A token transfer from carol, sent with the lowest fees the chain takes, left unmined."""
    me = accounts.get("delegator-1")
    w3 = chain.w3
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tx = chain.protocol.token.functions.transfer(to, wei).build_transaction(
        {"from": me.address, "nonce": w3.eth.get_transaction_count(me.address, "pending"), "gas": 100_000,
         "maxFeePerGas": base + 1, "maxPriorityFeePerGas": 1, "chainId": 31337})
    return w3.eth.send_raw_transaction(me.local_account.sign_transaction(tx).raw_transaction).to_0x_hex()


@contextlib.contextmanager
def _mine_once_replaced(chain, original: str):
    """Mines a block as soon as `original` has left the pool (a replacement took its place)."""
    done = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            if chain.rpc("eth_getTransactionByHash", [original]) is None:
                chain.rpc("evm_mine")
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def _balance(chain, who: str) -> int:
    return chain.protocol.token.functions.balanceOf(who).call()


def test_a_stuck_transfer_is_sped_up_and_happens_once(held, cli):
    chain, receiver = held, accounts.get("delegator-2").address
    before = _balance(chain, receiver)
    stuck = _stuck_transfer(chain, receiver, 3 * OPG)
    status = _data(cli("--json", "tx", "status", stuck))
    assert status["state"] == "pending" and status["from"].lower() == accounts.get("delegator-1").address.lower()
    assert "speedup" in cli("tx", "status", stuck).stdout
    with _mine_once_replaced(chain, stuck):
        sped = _data(cli("--json", "--yes", "tx", "speedup", stuck))
    assert sped["sent"] is True and sped["tx_hash"] != stuck and sped["nonce"] == status["nonce"]
    assert sped["maxFeePerGas"] * 10 >= status["max_fee_per_gas"] * 11
    assert _data(cli("--json", "tx", "status", sped["tx_hash"]))["state"] == "mined"
    assert _data(cli("--json", "tx", "status", stuck))["state"] == "unknown"  # replaced: gone from the pool
    assert _balance(chain, receiver) == before + 3 * OPG  # the transfer, once


def test_a_stuck_transfer_is_cancelled_and_never_happens(held, cli):
    chain, receiver = held, accounts.get("delegator-2").address
    before = _balance(chain, receiver)
    stuck = _stuck_transfer(chain, receiver, 5 * OPG)
    with _mine_once_replaced(chain, stuck):
        cancelled = _data(cli("--json", "--yes", "tx", "cancel", stuck))
    mined = chain.w3.eth.get_transaction(cancelled["tx_hash"])
    assert mined["to"] == mined["from"] == accounts.get("delegator-1").address and mined["value"] == 0
    chain.rpc("evm_mine")
    assert _balance(chain, receiver) == before


def test_what_cannot_be_replaced_is_refused_before_anything_is_signed(held, cli):
    chain = held
    chain.rpc("evm_setAutomine", [True])
    mined = _stuck_transfer(chain, accounts.get("delegator-2").address, OPG)
    chain.rpc("evm_mine")
    refused = cli("--yes", "tx", "speedup", mined)
    assert refused.exit_code == ExitCode.USAGE and "already mined" in refused.stderr
    chain.rpc("evm_setAutomine", [False])
    other = accounts.get("delegator-3")
    w3 = chain.w3
    tx = {"to": other.address, "value": 1, "gas": 21_000, "nonce": w3.eth.get_transaction_count(other.address, "pending"),
          "maxFeePerGas": w3.eth.get_block("latest")["baseFeePerGas"] + 1, "maxPriorityFeePerGas": 1, "chainId": 31337}
    theirs = w3.eth.send_raw_transaction(other.local_account.sign_transaction(tx).raw_transaction).to_0x_hex()
    refused = cli("--yes", "tx", "cancel", theirs)
    assert refused.exit_code == ExitCode.USAGE and "only its sender can replace it" in refused.stderr
    assert cli("tx", "status", "0x1234").exit_code == ExitCode.USAGE
    unknown = _data(cli("--json", "tx", "status", "0x" + "ab" * 32))
    assert unknown["state"] == "unknown"
