"""OPGToken and the vesting wallets on a real Anvil."""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from ogcli.chain.sender import Sender
from ogcli.core import typed_data
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import OPG, YEAR

pytestmark = pytest.mark.chain


def test_genesis_allocation_is_the_whole_fixed_supply(fresh):
    token = fresh.protocol.token.functions
    deployment = fresh.deployment
    assert token.totalSupply().call() == 1_000_000_000 * OPG
    assert token.balanceOf(deployment.address("OGTimelock")).call() == 300_000_000 * OPG
    vested = sum(token.balanceOf(w["address"]).call() for w in deployment.vesting_wallets)
    assert vested == 250_000_000 * OPG
    assert token.balanceOf(accounts.get("deployer").address).call() == 450_000_000 * OPG
    assert token.CLOCK_MODE().call() == "mode=timestamp"


def _authorization(chain, payer, to, value, *, valid_after=None, valid_before=None, nonce=None):
    now = chain.now()
    valid_after = now - 10 if valid_after is None else valid_after
    valid_before = now + 600 if valid_before is None else valid_before
    nonce = nonce or os.urandom(32)
    message = typed_data.transfer_authorization(payer.address, to, value, valid_after, valid_before, nonce)
    signature = Account.sign_typed_data(
        payer.private_key,
        typed_data.token_domain(chain.w3.eth.chain_id, chain.protocol.token.address),
        typed_data.TRANSFER_WITH_AUTHORIZATION_TYPES,
        message,
    ).signature
    return (payer.address, to, value, valid_after, valid_before, nonce, bytes(signature))


def test_erc3009_transfer_with_packed_signature_and_no_replay(fresh):
    deployer = Sender(fresh.w3, accounts.get("deployer").local_account)
    payer, relayer = accounts.get("user"), accounts.get("challenger")
    token = fresh.protocol.token
    deployer.transact(token.functions.transfer(payer.address, 10 * OPG))
    fresh.rpc("anvil_setBalance", [relayer.address, hex(10**20)])
    sender = Sender(fresh.w3, relayer.local_account)
    auth = _authorization(fresh, payer, relayer.address, 3 * OPG)
    transfer = token.get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    sender.transact(transfer(*auth))
    assert token.functions.balanceOf(relayer.address).call() == 3 * OPG
    with pytest.raises(RevertedError, match="ERC3009UsedAuthorization"):
        sender.transact(transfer(*auth))
    expired = _authorization(fresh, payer, relayer.address, OPG, valid_before=fresh.now() - 1)
    with pytest.raises(RevertedError, match="ERC3009InvalidAuthorizationTime"):
        sender.transact(transfer(*expired))
    forged = list(_authorization(fresh, payer, relayer.address, OPG))
    forged[2] = 5 * OPG  # value changed after signing
    with pytest.raises(RevertedError, match="ERC3009InvalidSignature"):
        sender.transact(transfer(*forged))


def test_vesting_has_a_twelve_month_cliff_then_vests_linearly(fresh):
    wallet_info = fresh.deployment.vesting_wallets[0]
    wallet = fresh.protocol.contract("OPGVesting", wallet_info["address"]).functions
    token = fresh.protocol.token.address
    start = wallet.start().call()
    total = int(wallet_info["amount_wei"])
    assert wallet.cliff().call() == start + YEAR
    assert wallet.vestedAmount(token, start + YEAR - 1).call() == 0
    at_cliff = wallet.vestedAmount(token, start + YEAR).call()
    assert at_cliff == total * YEAR // (4 * YEAR)
    assert wallet.vestedAmount(token, start + 4 * YEAR).call() == total
    assert wallet.releasable(token).call() == 0
