"""Attacks on contracts/x402/BatchSettlement.sol and contracts/x402/ERC3009DepositCollector.sol,
the x402 `batch-settlement` channels the devnet places at the scheme's canonical addresses.

Each test drives one attack end to end on the real contracts (session Anvil, chain 31337, Osaka,
EIP-7825 enforced, snapshot-reverted per test) and asserts the SAFE outcome: a test FAILS when
its attack works. The test doubles are compiled at test time from tests/adversarial/contracts/
(a hostile collector, a hostile token, an attacker's ERC-1271 wallet, an EIP-7702 delegate); the
attacker's keys are fresh `Account.create()` keys named as such.

Attacks tried
  Deposits
   1. replay a payer's deposit authorization, change its amount, salt or channel (an attacker as
      payerAuthorizer), and front-run the facilitator with it
   2. a hostile collector that re-enters the settlement from `collect` (a nested deposit counted
      twice for one transfer, claim, settle, refund, multicall) and pulls a victim's signed
      deposit through the real collector
  Reentrancy through tokens and wallets
   3. a hostile token that re-enters while the settlement pays it out (refund, settle)
   4. an ERC-1271 payer wallet that, from isValidSignature in the middle of a claim, finalizes its
      withdrawal before the claim is recorded
  Signatures
   5. vouchers replayed across channels, chains and deployments; the payer's own signature on a
      channel that names a payerAuthorizer
   6. one key's Voucher / Refund / ClaimBatch signatures presented as one another
   7. claim batches: a foreign row, a sub-batch, reordering, extension, claim() over another
      receiver's row, replay
   8. lifting a voucher's ceiling: combining vouchers, or by the receiver authorizer's signature
  Settlement and accounting
   9. settle twice, in another token, for someone else
  10. random histories of every operation on four channels: the contract's token balance always
      equals every channel's unclaimed balance plus every receiver's claimed-but-unsettled amount
  11. uint128 edges: deposit overflow, a receiver's total wrapping
  12. non-canonical ABI encodings of a config (dirty high bits): a second id for one channel
  Refunds, withdrawals, multicall
  13. signed refunds replayed, moved to another channel, or with another amount or domain
  14. the SDK's claim+refund multicall: the refund lifted out and sent alone, then a withdrawal
  15. finalize early, take more than requested, reset someone else's withdrawal
  16. multicall: a stranger batching receiver- or payer-only calls, nesting, double requests
  Receiver losing what it is owed
  17. EIP-7702: a payer EOA (payerAuthorizer = 0) delegates its code after being served, so the
      ECDSA vouchers it signed stop verifying and it withdraws everything

Three more attacks work by the scheme's design, against any contract that follows its spec, and
are the server's to refuse (SECURITY.md, "Known limits"): a smart-wallet payer revoking the
ERC-1271 vouchers it gave, one revoked voucher reverting a whole claim batch, and a withdrawal
left pending past its delay letting a payer leave right after it is served.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
from ogcli.core import channels
from ogcli.protocol.params import OPG
from tests.chain.fixtures import revert_reason, send_as
from tests.chain.test_batch_settlement import Channels

pytestmark = pytest.mark.chain

ROOT = Path(__file__).resolve().parents[2]
DOUBLES = ROOT / "tests" / "adversarial" / "contracts"
DELAY = 900
CHAIN_ID = 31337
BS = BATCH_SETTLEMENT_ADDRESS
COLLECTOR = ERC3009_DEPOSIT_COLLECTOR_ADDRESS
ZERO = channels.ZERO_ADDRESS
MAX128 = 2**128 - 1


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


REENTRANT_CALL = _selector("ReentrancyGuardReentrantCall()")
ONLY_SETTLEMENT = _selector("OnlyBatchSettlement()")


@pytest.fixture(scope="module")
def doubles(tmp_path_factory) -> dict:
    """The test doubles of tests/adversarial/contracts/, compiled with the artifacts' settings."""
    out = tmp_path_factory.mktemp("attack-doubles")
    subprocess.run(["node", str(ROOT / "scripts/build_contracts.mjs"), "--sources", str(DOUBLES), "--out", str(out)],
                   check=True, cwd=ROOT, capture_output=True, timeout=300)
    return {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}


class Arena(Channels):
    """tests/chain/test_batch_settlement.py's Channels (the placed contracts, a funded payer, a
    receiver and its authorizer) plus what the attacks need: test doubles, configs for any
    payer, signatures under any domain, and the escrow invariant."""

    def __init__(self, chain, doubles: dict) -> None:
        super().__init__(chain)
        self.doubles = doubles
        self.f = self.contract.functions

    # -- set-up
    def deploy(self, name: str, *args):
        artifact = self.doubles[name]
        w3 = self.chain.w3
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor(*args).transact({"from": w3.eth.accounts[0]})
        address = w3.eth.wait_for_transaction_receipt(tx).contractAddress
        return w3.eth.contract(address=address, abi=artifact["abi"])

    def fund(self, address: str, amount: int) -> None:
        send_as(self.chain, self.deployer, self.token.functions.transfer(address, amount))

    def cfg(self, payer: str, *, receiver: str | None = None, receiver_authorizer: str | None = None,
            token: str | None = None, payer_authorizer: str = ZERO, salt: bytes = bytes(32),
            delay: int = DELAY) -> tuple:
        return (payer, payer_authorizer, receiver or self.receiver,
                receiver_authorizer or self.authorizer.address, token or self.token.address, delay, salt)

    # -- signatures
    def sign_voucher(self, config, max_claimable: int, signer, domain: dict | None = None,
                     channel: bytes | None = None) -> bytes:
        message = channels.voucher(channel or self.channel_id(config), max_claimable)
        return signer.sign_typed_data(domain or self.domain, channels.VOUCHER_TYPES, message).signature

    def row(self, config, ceiling: int, total: int, signer=None) -> tuple:
        return ((config, ceiling), self.sign_voucher(config, ceiling, signer or self.payer), total)

    # -- transactions
    def try_send(self, sender: str, call) -> tuple[bool, str]:
        try:
            send_as(self.chain, sender, call)
            return True, ""
        except Exception as exc:  # a revert: its decoded reason
            return False, revert_reason(exc)

    def refused(self, sender: str, call) -> str:
        ok, reason = self.try_send(sender, call)
        assert not ok, "the attack's transaction went through"
        return reason

    def encode(self, name: str, *args) -> str:
        return self.contract.encode_abi(name, args=list(args))

    # -- reads
    def pending(self, config) -> tuple[int, int]:
        return tuple(self.f.pendingWithdrawals(self.channel_id(config)).call())

    def receiver_state(self, receiver: str, token: str | None = None) -> tuple[int, int]:
        return tuple(self.f.receivers(receiver, token or self.token.address).call())

    def assert_escrow_covered(self, configs, receivers, token=None, baseline: int = 0) -> None:
        """The contract holds exactly every channel's unclaimed balance plus every receiver's
        claimed-but-unsettled amount (for channels and receivers that are all the contract has)."""
        token_contract = token or self.token
        unclaimed = 0
        for config in configs:
            balance, claimed = self.state(config)
            assert claimed <= balance
            unclaimed += balance - claimed
        unsettled = 0
        for receiver in receivers:
            claimed, settled = self.receiver_state(receiver, token_contract.address)
            assert settled <= claimed
            unsettled += claimed - settled
        assert token_contract.functions.balanceOf(BS).call() - baseline == unclaimed + unsettled


@pytest.fixture
def arena(fresh, doubles):
    return Arena(fresh, doubles)


def _paying_collector(arena: Arena, amount: int, token=None):
    """A ScriptedCollector with no script, holding `amount`: deposits through it are paid from
    its own balance (how a contract payer, which cannot sign ERC-3009, funds a channel here)."""
    collector = arena.deploy("ScriptedCollector")
    if token is None:
        arena.fund(collector.address, amount)
    else:
        send_as(arena.chain, arena.deployer, token.functions.mint(collector.address, amount))
    return collector


# ====================================================================== deposits


def test_1_a_deposit_authorization_is_single_use_and_bound_to_its_amount_and_channel(arena):
    config = arena.config()
    data = arena.deposit_authorization(config, 10 * OPG)
    attacker = Account.create()  # attacker: a mempool watcher holding the payer's signed deposit
    deposit = arena.f.deposit
    assert "ERC3009InvalidSignature" in arena.refused(attacker.address, deposit(config, 20 * OPG, COLLECTOR, data))
    # The attacker as payerAuthorizer would sign the channel's vouchers itself: another id, another nonce.
    hijacked = arena.config(payer_authorizer=attacker.address)
    assert "ERC3009InvalidSignature" in arena.refused(attacker.address, deposit(hijacked, 10 * OPG, COLLECTOR, data))
    valid_after, valid_before, salt, signature = abi_decode(["uint256", "uint256", "uint256", "bytes"], data)
    resalted = channels.collector_data(valid_after, valid_before, salt + 1, signature)
    assert "ERC3009InvalidSignature" in arena.refused(attacker.address, deposit(config, 10 * OPG, COLLECTOR, resalted))
    # Front-running the facilitator with the payer's own deposit only lands it where it was meant to go.
    send_as(arena.chain, attacker.address, deposit(config, 10 * OPG, COLLECTOR, data))
    assert "ERC3009UsedAuthorization" in arena.refused(arena.deployer, deposit(config, 10 * OPG, COLLECTOR, data))
    assert arena.state(config) == (10 * OPG, 0)
    assert arena.state(hijacked) == (0, 0)
    assert arena.balance(arena.payer.address) == 990 * OPG
    assert arena.balance(BS) == 10 * OPG


def test_2_a_hostile_collector_cannot_reenter_or_double_count(arena):
    collector = arena.deploy("ScriptedCollector")  # test double: the attacker's collector
    attacker = Account.create()  # attacker's key: payer of its own channel
    arena.fund(collector.address, 20 * OPG)  # enough for the outer deposit and a nested one
    # The attacker's channel names the collector as receiver and receiverAuthorizer, so every
    # re-entered receiver-only call would pass its checks but for the reentrancy guard.
    config = arena.cfg(attacker.address, receiver=collector.address, receiver_authorizer=collector.address)
    row = arena.row(config, 10 * OPG, 10 * OPG, signer=attacker)
    victim_config = arena.config()
    victim_data = arena.deposit_authorization(victim_config, 10 * OPG)
    script = [
        (BS, arena.encode("deposit", config, 10 * OPG, collector.address, b"")),  # counted twice for one transfer
        (BS, arena.encode("claim", [row])),
        (BS, arena.encode("settle", collector.address, arena.token.address)),
        (BS, arena.encode("refund", config, 10 * OPG)),
        (BS, arena.encode("multicall", [arena.encode("refund", config, 10 * OPG)])),
        (COLLECTOR, arena.collector.encode_abi("collect", args=[arena.payer.address, arena.token.address, 10 * OPG,
                                                                arena.channel_id(victim_config), victim_data])),
    ]
    send_as(arena.chain, attacker.address,
            collector.functions.setScript([t for t, _ in script], [d for _, d in script]))
    send_as(arena.chain, attacker.address, arena.f.deposit(config, 10 * OPG, collector.address, b""))

    assert collector.functions.scriptLength().call() == len(script)
    for index in range(len(script)):
        assert collector.functions.ok(index).call() is False, f"re-entered call {index} went through"
        expected = ONLY_SETTLEMENT if index == len(script) - 1 else REENTRANT_CALL
        assert collector.functions.returned(index).call()[:4] == expected
    assert arena.state(config) == (10 * OPG, 0)  # credited once
    assert arena.receiver_state(collector.address) == (0, 0)
    assert arena.balance(BS) == 10 * OPG
    assert arena.balance(arena.payer.address) == 1_000 * OPG  # the victim's signed deposit was not pulled
    assert arena.state(victim_config) == (0, 0)


# ====================================================================== reentrancy through tokens and wallets


def test_3_a_hostile_token_cannot_reenter_while_it_is_paid_out(arena):
    token = arena.deploy("HostileToken")  # test double: the attacker's token
    attacker = Account.create()  # attacker's key: payer
    collector = _paying_collector(arena, 100, token=token)
    # The token is the channel's receiver, so its re-entered receiver-only calls are authorized.
    config = arena.cfg(attacker.address, receiver=token.address, receiver_authorizer=token.address,
                       token=token.address)
    send_as(arena.chain, attacker.address, arena.f.deposit(config, 100, collector.address, b""))

    send_as(arena.chain, attacker.address, token.functions.arm(BS, arena.encode("refund", config, 50)))
    send_as(arena.chain, token.address, arena.f.refund(config, 50))
    assert token.functions.hookRan().call() and not token.functions.hookOk().call()
    assert token.functions.hookReturned().call()[:4] == REENTRANT_CALL
    assert arena.state(config) == (50, 0)

    send_as(arena.chain, token.address, arena.f.claim([arena.row(config, 30, 30, signer=attacker)]))
    send_as(arena.chain, attacker.address, token.functions.arm(BS, arena.encode("settle", token.address, token.address)))
    send_as(arena.chain, attacker.address, arena.f.settle(token.address, token.address))
    assert not token.functions.hookOk().call()
    assert token.functions.hookReturned().call()[:4] == REENTRANT_CALL
    assert arena.receiver_state(token.address, token.address) == (30, 30)
    assert token.functions.balanceOf(attacker.address).call() == 50
    assert token.functions.balanceOf(token.address).call() == 30  # settled once
    arena.assert_escrow_covered([config], [token.address], token=token)


def test_4_an_erc1271_payer_cannot_withdraw_from_inside_the_receivers_claim(arena):
    owner = Account.create()  # attacker's key, owner of the wallet
    wallet = arena.deploy("FlippingWallet", owner.address)  # test double: the attacker's ERC-1271 wallet
    config = arena.cfg(wallet.address)
    collector = _paying_collector(arena, 10 * OPG)
    send_as(arena.chain, owner.address, arena.f.deposit(config, 10 * OPG, collector.address, b""))
    send_as(arena.chain, owner.address, wallet.functions.execute(BS, arena.encode("initiateWithdraw", config, 10 * OPG)))
    arena.chain.advance(DELAY)
    # Served for 6, the wallet arms isValidSignature to finalize the (ripe) withdrawal while the
    # receiver's claim is between its balance check and its bookkeeping.
    row = arena.row(config, 6 * OPG, 6 * OPG, signer=owner)
    send_as(arena.chain, owner.address, wallet.functions.setReenter(BS, arena.encode("finalizeWithdraw", config)))
    # The ERC-1271 check is a staticcall made under the guard: the wallet's re-entry fails, and so its signature.
    assert "InvalidSignature" in arena.refused(arena.receiver, arena.f.claim([row]))
    assert arena.state(config) == (10 * OPG, 0)
    assert arena.balance(wallet.address) == 0
    arena.assert_escrow_covered([config], [arena.receiver])


# ====================================================================== signatures


def test_5_vouchers_do_not_cross_channels_chains_or_deployments(arena):
    first, second = arena.config(), arena.config(salt=b"\x01" * 32)
    arena.deposit(first, 10 * OPG)
    arena.deposit(second, 10 * OPG)
    first_id = arena.channel_id(first)
    claim = arena.f.claim
    voucher = arena.sign_voucher(first, 5 * OPG, arena.payer)
    assert "InvalidSignature" in arena.refused(arena.receiver, claim([((second, 5 * OPG), voucher, 5 * OPG)]))
    base = arena.sign_voucher(first, 5 * OPG, arena.payer, domain=channels.domain(8453, BS))
    assert "InvalidSignature" in arena.refused(arena.receiver, claim([((first, 5 * OPG), base, 5 * OPG)]))
    # The same code at another address on this chain: another domain, so other ids and digests.
    copy = Account.create().address
    arena.chain.rpc("anvil_setCode", [copy, "0x" + bytes(arena.chain.w3.eth.get_code(BS)).hex()])
    copy_contract = arena.chain.w3.eth.contract(address=copy, abi=arena.contract.abi)
    copy_id = copy_contract.functions.getChannelId(first).call()
    assert copy_id != first_id
    elsewhere = arena.sign_voucher(first, 5 * OPG, arena.payer, domain=channels.domain(CHAIN_ID, copy),
                                   channel=copy_id)
    assert "InvalidSignature" in arena.refused(arena.receiver, claim([((first, 5 * OPG), elsewhere, 5 * OPG)]))
    # A channel naming a payerAuthorizer takes only that key's ECDSA, not the payer's.
    session_key = Account.create()
    delegated = arena.config(payer_authorizer=session_key.address)
    arena.deposit(delegated, 10 * OPG)
    by_payer = arena.sign_voucher(delegated, 5 * OPG, arena.payer)
    assert "InvalidSignature" in arena.refused(arena.receiver, claim([((delegated, 5 * OPG), by_payer, 5 * OPG)]))
    send_as(arena.chain, arena.receiver, claim([arena.row(delegated, 5 * OPG, 5 * OPG, signer=session_key)]))
    assert arena.state(first) == (10 * OPG, 0) and arena.state(second) == (10 * OPG, 0)
    assert arena.state(delegated) == (10 * OPG, 5 * OPG)


def test_6_signatures_do_not_cross_functions(arena):
    key = Account.create()  # one key on both sides of the channel: payerAuthorizer and receiverAuthorizer
    config = arena.config(payer_authorizer=key.address, receiver_authorizer=key.address)
    arena.deposit(config, 10 * OPG)
    channel = arena.channel_id(config)
    voucher = arena.sign_voucher(config, 5 * OPG, key)
    refund = arena.refund_signature(config, 0, 5 * OPG, signer=key)
    batch = key.sign_typed_data(arena.domain, channels.CLAIM_BATCH_TYPES,
                                channels.claim_batch([(channel, 5 * OPG, 5 * OPG)])).signature
    for wrong in (refund, batch):  # as the payer's voucher
        reason = arena.refused(arena.receiver, arena.f.claim([((config, 5 * OPG), wrong, 5 * OPG)]))
        assert "InvalidSignature" in reason
    for wrong in (voucher, batch):  # as the receiver authorizer's refund
        assert "InvalidSignature" in arena.refused(arena.deployer, arena.f.refundWithSignature(config, 5 * OPG, 0, wrong))
    for wrong in (voucher, refund):  # as the receiver authorizer's claim batch
        call = arena.f.claimWithSignature([((config, 5 * OPG), voucher, 5 * OPG)], wrong)
        assert "InvalidSignature" in arena.refused(arena.deployer, call)
    assert arena.state(config) == (10 * OPG, 0)
    assert arena.f.refundNonce(channel).call() == 0


def test_7_a_claim_batch_claims_exactly_the_rows_its_authorizer_signed(arena):
    second_payer = Account.create()
    arena.fund(second_payer.address, 100 * OPG)
    a_config, b_config = arena.config(), arena.config(payer=second_payer)
    arena.deposit(a_config, 10 * OPG)
    arena.deposit(b_config, 10 * OPG, payer=second_payer)
    row_a = arena.row(a_config, 3 * OPG, 3 * OPG)
    row_b = arena.row(b_config, 2 * OPG, 2 * OPG, signer=second_payer)
    signed = arena.claim_batch_signature([row_a, row_b])
    relay = Account.create().address  # attacker: relays what it saw, edited
    call = arena.f.claimWithSignature
    for edited in ([row_a], [row_b, row_a], [row_a, row_b, row_a]):
        assert "InvalidSignature" in arena.refused(relay, call(edited, signed))
    # An attacker authorizing its own channel cannot slip the victim's row into its batch.
    attacker = Account.create()
    arena.fund(attacker.address, 10 * OPG)
    own = arena.cfg(attacker.address, receiver=attacker.address, receiver_authorizer=attacker.address)
    arena.deposit(own, OPG, payer=attacker)
    own_row = arena.row(own, OPG, OPG, signer=attacker)
    rows = [own_row, row_a]
    mine = attacker.sign_typed_data(arena.domain, channels.CLAIM_BATCH_TYPES, channels.claim_batch(
        [(arena.channel_id(c), ceiling, total) for ((c, ceiling), _s, total) in rows])).signature
    assert "NotReceiverAuthorizer" in arena.refused(attacker.address, call(rows, mine))
    # claim(): the sender must be on the receiver's side of every row, not just the first.
    assert "NotAuthorizedToClaim" in arena.refused(attacker.address, arena.f.claim([own_row, row_a]))
    send_as(arena.chain, relay, call([row_a, row_b], signed))
    send_as(arena.chain, relay, call([row_a, row_b], signed))  # a replay claims nothing more
    assert arena.state(a_config) == (10 * OPG, 3 * OPG) and arena.state(b_config) == (10 * OPG, 2 * OPG)
    assert arena.receiver_state(arena.receiver) == (5 * OPG, 0)
    assert arena.state(own) == (OPG, 0)


def test_8_no_one_lifts_a_vouchers_ceiling(arena):
    config = arena.config()
    arena.deposit(config, 10 * OPG)
    three, five = arena.sign_voucher(config, 3 * OPG, arena.payer), arena.sign_voucher(config, 5 * OPG, arena.payer)
    send_as(arena.chain, arena.receiver, arena.f.claim([((config, 5 * OPG), five, 5 * OPG)]))
    # Vouchers are cumulative ceilings, not deltas: an older one adds nothing on top.
    assert "ClaimExceedsCeiling" in arena.refused(arena.receiver, arena.f.claim([((config, 3 * OPG), three, 8 * OPG)]))
    assert "InvalidSignature" in arena.refused(arena.receiver, arena.f.claim([((config, 8 * OPG), five, 8 * OPG)]))
    rows = [((config, 5 * OPG), five, 7 * OPG)]  # the receiver authorizer signs a total above the voucher
    reason = arena.refused(arena.deployer, arena.f.claimWithSignature(rows, arena.claim_batch_signature(rows)))
    assert "ClaimExceedsCeiling" in reason
    assert arena.state(config) == (10 * OPG, 5 * OPG)


# ====================================================================== settlement and accounting


def test_9_settle_pays_each_receiver_what_was_claimed_for_it_once(arena):
    other_receiver = Account.create().address
    mine, theirs = arena.config(), arena.config(receiver=other_receiver)
    arena.deposit(mine, 10 * OPG)
    arena.deposit(theirs, 10 * OPG)
    send_as(arena.chain, arena.receiver, arena.f.claim([arena.row(mine, 3 * OPG, 3 * OPG)]))
    send_as(arena.chain, other_receiver, arena.f.claim([arena.row(theirs, 4 * OPG, 4 * OPG)]))
    stranger = Account.create().address  # attacker: settles for others, twice, in other tokens
    hostile = arena.deploy("HostileToken")
    for receiver, token in ((arena.receiver, arena.token.address), (arena.receiver, arena.token.address),
                            (arena.receiver, hostile.address), (stranger, arena.token.address),
                            (other_receiver, BS)):
        send_as(arena.chain, stranger, arena.f.settle(receiver, token))
    assert arena.balance(arena.receiver) == 3 * OPG
    assert arena.balance(stranger) == 0
    send_as(arena.chain, stranger, arena.f.settle(other_receiver, arena.token.address))
    assert arena.balance(other_receiver) == 4 * OPG
    assert arena.balance(BS) == 13 * OPG
    arena.assert_escrow_covered([mine, theirs], [arena.receiver, other_receiver])


def test_10_escrow_always_covers_unclaimed_balances_and_unsettled_claims(arena):
    """A random history (fixed seed) of deposits, claims by both paths, refunds by both paths,
    withdrawals, settles and refused misuse on four channels of two payers and two receivers; the
    invariant and the conservation of tokens are checked after every step."""
    rng = random.Random(402)
    chain, f = arena.chain, arena.f
    second_payer = Account.create()
    arena.fund(second_payer.address, 1_000 * OPG)
    second_receiver, second_authorizer = Account.create().address, Account.create()
    payers = [arena.payer, second_payer]
    sides = [(arena.receiver, arena.authorizer), (second_receiver, second_authorizer)]
    lanes = []  # (config, payer, receiver, authorizer)
    for p_index, payer in enumerate(payers):
        for r_index, (receiver, authorizer) in enumerate(sides):
            config = arena.cfg(payer.address, receiver=receiver, receiver_authorizer=authorizer.address,
                               salt=bytes([p_index, r_index]) + bytes(30))
            lanes.append((config, payer, receiver, authorizer))
    holders = [arena.payer.address, second_payer.address, arena.receiver, second_receiver, BS]
    total = sum(arena.balance(h) for h in holders)
    baseline = arena.balance(BS)
    stranger = Account.create().address
    done = {"deposit": 0, "claim": 0, "signed claim": 0, "refund": 0, "signed refund": 0, "initiate": 0,
            "finalize": 0, "settle": 0, "refused": 0}

    for _step in range(70):
        config, payer, receiver, authorizer = rng.choice(lanes)
        balance, claimed = arena.state(config)
        available = balance - claimed
        op = rng.choice(list(done))
        if op == "deposit" or balance == 0:
            amount = rng.randint(1, 50) * OPG // rng.choice((1, 3, 7))
            if arena.balance(payer.address) < amount:
                continue
            arena.deposit(config, amount, payer=payer)
            op = "deposit"
        elif op in ("claim", "signed claim"):
            if available == 0:
                continue
            new_total = claimed + rng.randint(1, available)
            row = arena.row(config, new_total + rng.randint(0, 5), new_total, signer=payer)
            if op == "claim":
                send_as(chain, rng.choice((receiver, authorizer.address)), f.claim([row]))
            else:
                send_as(chain, stranger, f.claimWithSignature([row], arena.claim_batch_signature([row], signer=authorizer)))
        elif op in ("refund", "signed refund"):
            amount = rng.randint(1, balance + 5)
            if op == "refund":
                send_as(chain, rng.choice((receiver, authorizer.address)), f.refund(config, amount))
            else:
                nonce = f.refundNonce(arena.channel_id(config)).call()
                signature = arena.refund_signature(config, nonce, amount, signer=authorizer)
                send_as(chain, stranger, f.refundWithSignature(config, amount, nonce, signature))
        elif op == "initiate":
            if arena.pending(config)[1] != 0 or available == 0:
                continue
            send_as(chain, payer.address, f.initiateWithdraw(config, rng.randint(1, available)))
        elif op == "finalize":
            if arena.pending(config)[1] == 0:
                continue
            chain.advance(DELAY)
            send_as(chain, payer.address, f.finalizeWithdraw(config))
        elif op == "settle":
            send_as(chain, stranger, f.settle(rng.choice(sides)[0], arena.token.address))
        else:  # misuse: a stranger claims, refunds or withdraws; an over-ceiling claim
            row = arena.row(config, claimed + 1, claimed + 2, signer=payer)
            for sender, call in ((stranger, f.claim([row])), (stranger, f.refund(config, 1)),
                                 (stranger, f.initiateWithdraw(config, 1)), (receiver, f.claim([row]))):
                arena.refused(sender, call)
        done[op] += 1
        arena.assert_escrow_covered([lane[0] for lane in lanes], [side[0] for side in sides], baseline=baseline)
        assert sum(arena.balance(h) for h in holders) == total
        for receiver_address, _ in sides:
            claimed_for = sum(arena.state(lane[0])[1] for lane in lanes if lane[2] == receiver_address)
            assert arena.receiver_state(receiver_address)[0] == claimed_for
    assert all(count > 0 for count in done.values()), done  # every kind of step ran


def test_11_uint128_edges_revert_instead_of_wrapping(arena):
    token = arena.deploy("HostileToken")  # test double: mints whatever the edges need
    attacker = Account.create()  # attacker's key: payer and receiver authorizer
    receiver = Account.create().address
    collector = _paying_collector(arena, 2**130, token=token)
    first = arena.cfg(attacker.address, receiver=receiver, receiver_authorizer=attacker.address, token=token.address)
    second = arena.cfg(attacker.address, receiver=receiver, receiver_authorizer=attacker.address,
                       token=token.address, salt=b"\x01" * 32)
    deposit = arena.f.deposit
    send_as(arena.chain, attacker.address, deposit(first, MAX128, collector.address, b""))
    assert "DepositOverflow" in arena.refused(attacker.address, deposit(first, 1, collector.address, b""))
    send_as(arena.chain, attacker.address, deposit(second, MAX128, collector.address, b""))
    send_as(arena.chain, attacker.address, arena.f.claim([arena.row(first, MAX128, MAX128, signer=attacker)]))
    # The receiver's total in this token is at the top: one more claimed unit must not wrap it to 0.
    reason = arena.refused(attacker.address, arena.f.claim([arena.row(second, 1, 1, signer=attacker)]))
    assert "overflow" in reason
    assert arena.receiver_state(receiver, token.address) == (MAX128, 0)
    assert arena.state(first) == (MAX128, MAX128) and arena.state(second) == (MAX128, 0)
    send_as(arena.chain, attacker.address, arena.f.settle(receiver, token.address))
    assert token.functions.balanceOf(receiver).call() == MAX128
    arena.assert_escrow_covered([first, second], [receiver], token=token)


def test_12_a_dirty_encoding_of_a_config_is_not_a_second_channel(arena):
    config = arena.config()
    arena.deposit(config, 10 * OPG)
    clean = arena.encode("refund", config, 4 * OPG)
    w3 = arena.chain.w3
    words = [clean[10 + 64 * i: 10 + 64 * (i + 1)] for i in range(8)]
    w3.eth.call({"from": arena.receiver, "to": BS, "data": clean})  # control: the clean encoding goes through
    # Word 0 is the payer (an address), 2 the receiver, 5 the withdrawDelay (a uint40): set bits
    # above each type's width, which an unvalidating decoder would hash into another channel id.
    for index in (0, 2, 5):
        dirty_words = list(words)
        dirty_words[index] = "ff" + dirty_words[index][2:]
        dirty = clean[:10] + "".join(dirty_words)
        arena.chain.rpc("anvil_impersonateAccount", [arena.receiver])
        try:
            with pytest.raises(Exception):
                w3.eth.call({"from": arena.receiver, "to": BS, "data": dirty})
        finally:
            arena.chain.rpc("anvil_stopImpersonatingAccount", [arena.receiver])
    assert arena.state(config) == (10 * OPG, 0)


# ====================================================================== refunds, withdrawals, multicall


def test_13_a_signed_refund_is_single_use_and_bound_to_its_channel_amount_and_domain(arena):
    config, other = arena.config(), arena.config(salt=b"\x01" * 32)
    arena.deposit(config, 10 * OPG)
    arena.deposit(other, 10 * OPG)
    signature = arena.refund_signature(config, 0, 4 * OPG)
    relay = Account.create().address  # attacker: relays the signature where it was not meant
    refund = arena.f.refundWithSignature
    assert "InvalidSignature" in arena.refused(relay, refund(other, 4 * OPG, 0, signature))
    assert "InvalidSignature" in arena.refused(relay, refund(config, 9 * OPG, 0, signature))
    assert "InvalidRefundNonce" in arena.refused(relay, refund(config, 4 * OPG, 1, signature))
    base = arena.authorizer.sign_typed_data(channels.domain(8453, BS), channels.REFUND_TYPES,
                                            channels.refund(arena.channel_id(config), 0, 4 * OPG)).signature
    assert "InvalidSignature" in arena.refused(relay, refund(config, 4 * OPG, 0, base))
    send_as(arena.chain, relay, refund(config, 4 * OPG, 0, signature))
    assert "InvalidRefundNonce" in arena.refused(relay, refund(config, 4 * OPG, 0, signature))
    assert arena.state(config) == (6 * OPG, 0) and arena.state(other) == (10 * OPG, 0)
    assert arena.balance(arena.payer.address) == 984 * OPG


def test_14_a_refund_lifted_out_of_the_claim_and_refund_multicall_takes_only_the_remainder(arena):
    config = arena.config()
    arena.deposit(config, 10 * OPG)
    # The SDK's cooperative refund after 7 was charged: claim 7, refund balance - charged = 3,
    # in one multicall (BS/server/settle.py signs exactly the remainder).
    claims = [arena.row(config, 7 * OPG, 7 * OPG)]
    claim_signature = arena.claim_batch_signature(claims)
    refund_signature = arena.refund_signature(config, 0, 3 * OPG)
    multicall = arena.f.multicall([arena.encode("claimWithSignature", claims, claim_signature),
                                   arena.encode("refundWithSignature", config, 3 * OPG, 0, refund_signature)])
    payer = arena.payer.address  # attacker: the payer, watching the mempool
    send_as(arena.chain, payer, arena.f.refundWithSignature(config, 3 * OPG, 0, refund_signature))
    assert "InvalidRefundNonce" in arena.refused(arena.deployer, multicall)
    send_as(arena.chain, payer, arena.f.initiateWithdraw(config, 7 * OPG))  # and runs for the rest
    send_as(arena.chain, arena.deployer, arena.f.claimWithSignature(claims, claim_signature))  # within the delay
    arena.chain.advance(DELAY)
    send_as(arena.chain, payer, arena.f.finalizeWithdraw(config))
    send_as(arena.chain, arena.deployer, arena.f.settle(arena.receiver, arena.token.address))
    assert arena.balance(arena.receiver) == 7 * OPG
    assert arena.balance(payer) == 993 * OPG
    assert arena.balance(BS) == 0


def test_15_a_withdrawal_waits_its_delay_and_takes_at_most_what_it_asked(arena):
    config = arena.config()
    arena.deposit(config, 10 * OPG)
    f, payer = arena.f, arena.payer.address
    stranger = Account.create().address  # attacker: tries to start, finish or reset the payer's withdrawal
    assert "NotAuthorizedToWithdraw" in arena.refused(stranger, f.initiateWithdraw(config, OPG))
    send_as(arena.chain, payer, f.initiateWithdraw(config, 6 * OPG))
    started = arena.pending(config)[1]
    assert "NotAuthorizedToWithdraw" in arena.refused(stranger, f.finalizeWithdraw(config))
    assert "WithdrawalAlreadyPending" in arena.refused(payer, f.initiateWithdraw(config, 10 * OPG))
    arena.chain.advance(DELAY - 5)
    assert "WithdrawDelayNotElapsed" in arena.refused(payer, f.finalizeWithdraw(config))
    arena.deposit(config, 20 * OPG)  # a top-up does not enlarge the request
    send_as(arena.chain, arena.receiver, f.refund(config, OPG))  # a cooperative refund shrinks it, same clock
    assert arena.pending(config) == (5 * OPG, started)
    send_as(arena.chain, arena.receiver, f.claim([arena.row(config, 4 * OPG, 4 * OPG)]))  # the receiver's last-second claim
    arena.chain.advance(5)
    before = arena.balance(payer)
    send_as(arena.chain, payer, f.finalizeWithdraw(config))
    assert arena.balance(payer) == before + 5 * OPG
    assert arena.state(config) == (24 * OPG, 4 * OPG)
    assert arena.pending(config) == (0, 0)
    arena.assert_escrow_covered([config], [arena.receiver])


def test_16_multicall_keeps_every_inner_calls_rules(arena):
    config = arena.config()
    arena.deposit(config, 10 * OPG)
    f = arena.f
    row = arena.encode("claim", [arena.row(config, 3 * OPG, 3 * OPG)])
    stranger = Account.create().address  # attacker: batches calls it may not make one by one
    assert "NotAuthorizedToClaim" in arena.refused(stranger, f.multicall([row, arena.encode("refund", config, OPG)]))
    assert "NotAuthorizedToRefund" in arena.refused(stranger, f.multicall([arena.encode("refund", config, OPG)]))
    assert "NotAuthorizedToWithdraw" in arena.refused(stranger, f.multicall([arena.encode("initiateWithdraw", config, OPG)]))
    nested = arena.encode("multicall", [row])
    assert "NotAuthorizedToClaim" in arena.refused(stranger, f.multicall([nested]))
    twice = arena.encode("initiateWithdraw", config, OPG)
    assert "WithdrawalAlreadyPending" in arena.refused(arena.payer.address, f.multicall([twice, twice]))
    send_as(arena.chain, arena.receiver, f.multicall([row, arena.encode("refund", config, 2 * OPG)]))  # the caller is kept
    assert arena.state(config) == (8 * OPG, 3 * OPG)
    arena.assert_escrow_covered([config], [arena.receiver])


# ====================================================================== the receiver losing what it is owed


def _settle_and_read(arena: Arena) -> int:
    send_as(arena.chain, arena.deployer, arena.f.settle(arena.receiver, arena.token.address))
    return arena.balance(arena.receiver)


def _withdraw_everything(arena: Arena, config, as_payer) -> None:
    """The payer's timed withdrawal of whatever is unclaimed; `as_payer(call)` sends as the payer."""
    balance, claimed = arena.state(config)
    if balance - claimed:
        as_payer(arena.encode("initiateWithdraw", config, balance - claimed))
        arena.chain.advance(DELAY)
        as_payer(arena.encode("finalizeWithdraw", config))


def _delegate_code(arena: Arena, eoa, delegate: str) -> None:
    """An EIP-7702 (type 4) transaction, sent by a sponsor, that sets `eoa`'s code to `delegate`."""
    w3 = arena.chain.w3
    sponsor = Account.create()
    arena.chain.rpc("anvil_setBalance", [sponsor.address, hex(10**20)])
    authorization = eoa.sign_authorization(
        {"chainId": CHAIN_ID, "address": delegate, "nonce": w3.eth.get_transaction_count(eoa.address)})
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tx = {"type": 4, "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(sponsor.address),
          "to": sponsor.address, "value": 0, "data": b"", "gas": 100_000,
          "maxFeePerGas": 2 * base_fee + 10**9, "maxPriorityFeePerGas": 10**9,
          "authorizationList": [authorization]}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sponsor.sign_transaction(tx).raw_transaction))
    assert receipt.status == 1
    assert bytes(w3.eth.get_code(eoa.address)) == bytes.fromhex("ef0100") + bytes.fromhex(delegate[2:])


def test_17_an_eip7702_payer_cannot_revoke_the_vouchers_it_signed(arena):
    config = arena.config()  # payerAuthorizer = 0: the payer's own signature, "EOA or ERC-1271"
    arena.deposit(config, 10 * OPG)
    payer = arena.payer  # attacker: the payer, a plain EOA while it is served
    row = arena.row(config, 6 * OPG, 6 * OPG)
    arena.f.claim([row]).call({"from": arena.receiver})  # the voucher verifies: the server serves 6 OPG
    delegate = arena.deploy("RejectingDelegate")  # test double: a delegate that answers ERC-1271 "invalid"
    _delegate_code(arena, payer, delegate.address)
    claimed, reason = arena.try_send(arena.receiver, arena.f.claim([row]))
    _withdraw_everything(arena, config, lambda data: _raw_send(arena, payer.address, data))
    paid = _settle_and_read(arena)
    assert claimed and paid == 6 * OPG, (
        f"the receiver's claim of the voucher it served on failed ({reason}) once the payer's EOA delegated "
        f"its code; the payer then withdrew everything: receiver got {paid / OPG} OPG of 6, payer holds "
        f"{arena.balance(payer.address) / OPG} OPG of the 1000 it started with")


def _raw_send(arena: Arena, sender: str, data: str):
    arena.chain.rpc("anvil_impersonateAccount", [sender])
    arena.chain.rpc("anvil_setBalance", [sender, hex(10**20)])
    try:
        tx_hash = arena.chain.w3.eth.send_transaction({"from": sender, "to": BS, "data": data})
        assert arena.chain.w3.eth.wait_for_transaction_receipt(tx_hash).status == 1
    finally:
        arena.chain.rpc("anvil_stopImpersonatingAccount", [sender])
