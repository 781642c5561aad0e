"""Attacks on the node's x402 `batch-settlement` payment path (ogcli/node/channel_payments.py,
channel_storage.py, batch_committer.py, app.py's Node._channel_call), end to end: a real node
(in process, tests/chain/node_fixture.py) on the seeded session Anvil, paid by the official SDK
client or by payloads built by hand from what that client sent. Each test drives one attack and
asserts the SAFE outcome, at the HTTP answer (402 with a reason; 200 only when paid) and on chain
after the node commits (each channel claimed for exactly the calls it was answered): a test FAILS
when its attack works. The background committer is held back (HOLD) and each test commits with
`_commit`, which runs `commit_pending` as the committer's own loop does (an error is logged and
the round retried).

Red when written (the attacker review): a voucher whose strings the committer re-reads otherwise
than the verifier (bare-hex signature, lower-case config: served, never claimed; a leading space:
no payer's batch commits again), an ERC-1271/EIP-7702 payer revoking its junk-signed vouchers, and
a payer served on the cached balance after finalizing its withdrawal."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from eth_account import Account
from web3 import Web3
from x402.http import decode_payment_required_header, decode_payment_signature_header, encode_payment_signature_header
from x402.mechanisms.evm.batch_settlement import errors as sdk_errors
from x402.mechanisms.evm.batch_settlement.types import ChannelConfig as SdkConfig
from x402.mechanisms.evm.batch_settlement.utils import compute_channel_id

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
from ogcli.core import channels
from ogcli.core.signature_rule import SECP256K1_N
from ogcli.core.typed_data import token_domain
from ogcli.devnet import accounts
from ogcli.node.channel_payments import REFUND_NOT_A_PAYMENT, SIGNATURE_REFUSED
from ogcli.protocol import artifacts
from ogcli.protocol.params import OPG
from tests.chain.fixtures import send_as
from tests.chain.node_fixture import channel_payer, running_node, sdk_channel_session

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

BODY = {"model": 1, "inputs": {"features": [[0.4] * 8]}}
HOLD = dict(batch_min_records=100, batch_max_wait_s=3600, batch_interval_s=0.1)  # commits only on a withdrawal
NETWORK = "eip155:31337"
SIG = "PAYMENT-SIGNATURE"


# ---------------------------------------------------------------------------------------------- helpers

def _bs(chain):
    return chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))


def _claimed(chain, channel_id: str) -> int:
    return _bs(chain).functions.channels(bytes.fromhex(channel_id[2:])).call()[1]


def _funded(chain, opg: int = 10 * OPG):
    payer = Account.create()
    send_as(chain, accounts.get("deployer").address, chain.protocol.token.functions.transfer(payer.address, opg))
    return payer


def _served(session, url: str, calls: int, body=BODY) -> list:
    answers = [session.post(f"{url}/v1/infer", json=body) for _ in range(calls)]
    assert [a.status_code for a in answers] == [200] * calls, answers[0].text[:300]
    return answers


def _template(answer):
    """(the SDK's payload behind an answered call, its channel id, the call's price)."""
    payload = decode_payment_signature_header(answer.request.headers[SIG])
    return payload, payload.payload["voucher"]["channelId"], int(payload.accepted.amount)


def _sign(chain, signer, channel_id: str, ceiling: int) -> str:
    message = channels.voucher(bytes.fromhex(channel_id[2:]), ceiling)
    domain = channels.domain(chain.w3.eth.chain_id, BATCH_SETTLEMENT_ADDRESS)
    return "0x" + bytes(signer.sign_typed_data(domain, channels.VOUCHER_TYPES, message).signature).hex()


def _voucher(chain, template, signer, ceiling: int, *, config: dict | None = None, channel_id: str | None = None,
             signature: str | None = None, kind: str = "voucher") -> str:
    """A PAYMENT-SIGNATURE header built by hand from `template` (an SDK payload): a voucher for
    `ceiling` on `config` (the template's unless given), signed by `signer` unless `signature`."""
    config = dict(config or template.payload["channelConfig"])
    channel_id = channel_id or compute_channel_id(SdkConfig.from_dict(config), NETWORK)
    signature = signature if signature is not None else _sign(chain, signer, channel_id, ceiling)
    payload = {"type": kind, "channelConfig": config,
               "voucher": {"channelId": channel_id, "maxClaimableAmount": str(ceiling), "signature": signature}}
    return encode_payment_signature_header(template.model_copy(update={"payload": payload}))


def _post(url: str, header: str, body=BODY) -> httpx.Response:
    return httpx.post(f"{url}/v1/infer", json=body, headers={SIG: header}, timeout=60)


def _commit(node, rounds: int = 3) -> list[str]:
    """commit_pending as the committer's loop runs it (an exception is logged, the round retried);
    returns the errors the rounds ended in."""
    errors = []
    for _ in range(rounds):
        try:
            if not node.committer.commit_pending():
                break
        except Exception as exc:  # noqa: BLE001 (the loop's own catch-all)
            errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            node.committer.sender.resync()
    return errors


def _as_payer(chain, payer, call) -> None:
    """`call` sent (and mined) from the payer's own key, with gas given to it."""
    chain.rpc("anvil_setBalance", [payer.address, hex(10**18)])
    tx = call.build_transaction({"from": payer.address, "nonce": chain.w3.eth.get_transaction_count(payer.address),
                                 "gas": 300_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1})
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(payer.sign_transaction(tx).raw_transaction))
    assert receipt.status == 1


def _tuple(config: dict) -> tuple:
    c = SdkConfig.from_dict(config)
    return (*(Web3.to_checksum_address(a) for a in (c.payer, c.payer_authorizer, c.receiver, c.receiver_authorizer,
                                                    c.token)), c.withdraw_delay, bytes.fromhex(c.salt[2:]))


def _deposit_on_chain(chain, payer, config: tuple, amount: int) -> None:
    """The payer funds `config`'s channel itself (ERC-3009 through the collector), not via the node."""
    channel_id = channels.channel_id(channels.ChannelConfig(
        payer=config[0], payer_authorizer=config[1], receiver=config[2], receiver_authorizer=config[3],
        token=config[4], withdraw_delay_s=config[5], salt=config[6]), chain.w3.eth.chain_id, BATCH_SETTLEMENT_ADDRESS)
    salt, before = 7, chain.now() + 3600
    message = channels.receive_authorization(payer.address, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, amount, 0, before,
                                             channels.deposit_nonce(channel_id, salt))
    signed = payer.sign_typed_data(token_domain(chain.w3.eth.chain_id, chain.protocol.token.address),
                                   channels.RECEIVE_WITH_AUTHORIZATION_TYPES, message)
    data = channels.collector_data(0, before, salt, signed.signature)
    send_as(chain, accounts.get("deployer").address,
            _bs(chain).functions.deposit(config, amount, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data))


def _offer_config(node, payer, salt: bytes) -> dict:
    """A channel config exactly as the node's offer asks for one."""
    return {"payer": payer.address, "payerAuthorizer": payer.address, "receiver": node.channel_payments.settlement,
            "receiverAuthorizer": node.channel_payments.operator, "token": node.channel_payments.token,
            "withdrawDelay": 900, "salt": "0x" + salt.hex()}


# ---------------------------------------------------------------------------------------------- replays, amounts

def test_a_replayed_voucher_is_refused_on_the_same_node_and_after_a_restart(seeded_profile, tmp_path):
    """The latest voucher (and the deposit before it) presented again: 402, nothing charged,
    before and after a restart; the channel is claimed for the two calls answered, once."""
    chain = seeded_profile
    with chain.snapshot():
        session = sdk_channel_session(chain, channel_payer(chain, tmp_path))
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            first, second = _served(session, url, 2)
            for replay in (second, first):
                refused = _post(url, replay.request.headers[SIG])
                assert refused.status_code == 402
                assert refused.json()["error"] == sdk_errors.ERR_CUMULATIVE_AMOUNT_MISMATCH
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            for replay in (second, first):
                assert _post(url, replay.request.headers[SIG]).status_code == 402
            assert node.outbox.counts() == {"pending": 2}
            assert _commit(node) == []
        _, channel_id, price = _template(second)
        assert _claimed(chain, channel_id) == 2 * price


def test_an_underpaying_or_overpaying_voucher_is_refused_and_the_exact_one_is_claimed_once(seeded_profile, tmp_path):
    """After one call (charged p), ceilings 2p-1 and 3p are refused (402); 2p is served; the
    channel is claimed 2p, the fees answered, whatever ceilings were signed."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            template, channel_id, price = _template(first)
            for ceiling in (2 * price - 1, 3 * price):
                refused = _post(url, _voucher(chain, template, payer, ceiling))
                assert refused.status_code == 402, refused.text[:200]
                assert refused.json()["error"] == sdk_errors.ERR_CUMULATIVE_AMOUNT_MISMATCH
            assert _post(url, _voucher(chain, template, payer, 2 * price)).status_code == 200
            assert node.outbox.counts() == {"pending": 2}
            assert _commit(node) == []
        assert _claimed(chain, channel_id) == 2 * price


def test_a_high_first_voucher_on_a_channel_new_to_the_node_is_claimed_only_for_the_answered_call(seeded_profile,
                                                                                                 tmp_path):
    """A payer funds a channel itself and opens with a voucher for 5 calls: the node has no record
    (it infers 4 charged), serves one call and must claim that one call only, never the ceiling."""
    chain = seeded_profile
    with chain.snapshot():
        seed = channel_payer(chain, tmp_path)
        payer = _funded(chain)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, seed), url, 1)
            template, _, price = _template(first)
            config = _offer_config(node, payer, b"\x05" * 32)
            _deposit_on_chain(chain, payer, _tuple(config), 20 * price)
            answer = _post(url, _voucher(chain, template, payer, 5 * price, config=config))
            assert answer.status_code == 200, answer.text[:300]
            assert _commit(node) == []
        assert _claimed(chain, answer.json()["receipt"]["settlement"]["channel"]) == price


# ---------------------------------------------------------------------------------------------- channels and signatures

def test_a_voucher_for_another_channel_or_signed_by_a_stranger_is_refused(seeded_profile, tmp_path):
    """An attacker pays with the victim's channel id under its own config, then signs the victim's
    next voucher with its own key: both 402; only the two honest calls are claimed."""
    chain = seeded_profile
    with chain.snapshot():
        victim, attacker = channel_payer(chain, tmp_path), _funded(chain)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [v1] = _served(sdk_channel_session(chain, victim), url, 1)
            [a1] = _served(sdk_channel_session(chain, attacker), url, 1)
            victim_payload, victim_id, price = _template(v1)
            attacker_payload, attacker_id, _ = _template(a1)
            moved = _voucher(chain, attacker_payload, attacker, 2 * price, channel_id=victim_id)
            assert _post(url, moved).status_code == 402
            forged = _voucher(chain, victim_payload, attacker, 2 * price)
            answer = _post(url, forged)
            assert answer.status_code == 402 and answer.json()["error"] == sdk_errors.ERR_INVALID_VOUCHER_SIGNATURE
            assert node.outbox.counts() == {"pending": 2}
            assert _commit(node) == []
        assert (_claimed(chain, victim_id), _claimed(chain, attacker_id)) == (price, price)


@pytest.mark.parametrize("field, value, reason", [
    ("receiver", "0x" + "11" * 20, sdk_errors.ERR_RECEIVER_MISMATCH),
    ("receiverAuthorizer", "0x" + "22" * 20, sdk_errors.ERR_RECEIVER_AUTHORIZER_MISMATCH),
    ("token", "0x" + "33" * 20, sdk_errors.ERR_TOKEN_MISMATCH),
    ("withdrawDelay", 899, sdk_errors.ERR_WITHDRAW_DELAY_MISMATCH),
    ("withdrawDelay", 30 * 86_400 + 1, sdk_errors.ERR_WITHDRAW_DELAY_MISMATCH),
])
def test_a_channel_off_the_nodes_offer_is_refused(seeded_profile, tmp_path, field, value, reason):
    """A funded channel whose receiver, receiver authorizer, token or delay is not the offer's
    (a receiver the settlement cannot claim for, a delay it cannot claim within): 402."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            template, _, price = _template(first)
            config = {**_offer_config(node, payer, b"\x09" * 32), field: value}
            if field in ("receiver", "receiverAuthorizer"):  # a channel that exists, holding the payer's money
                _deposit_on_chain(chain, payer, _tuple(config), 10 * price)
            answer = _post(url, _voucher(chain, template, payer, price, config=config))
            assert answer.status_code == 402 and answer.json()["error"] == reason, answer.text[:300]
            assert node.outbox.counts() == {"pending": 1}


def test_a_malleated_or_raw_v_voucher_signature_is_refused_and_the_honest_one_commits(seeded_profile, tmp_path):
    """The payer's next voucher in its high-s twin and with v as 0/1: 402 (the chain would refuse
    them and revert the batch); the same voucher in its one accepted form is served and claimed."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            template, channel_id, price = _template(first)
            good = bytes.fromhex(_sign(chain, payer, channel_id, 2 * price)[2:])
            r, s, v = good[:32], int.from_bytes(good[32:64], "big"), good[64]
            high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
            raw_v = good[:64] + bytes([v - 27])
            for bad in (high_s, raw_v):
                answer = _post(url, _voucher(chain, template, payer, 2 * price, signature="0x" + bad.hex()))
                assert answer.status_code == 402 and answer.json()["error"] == SIGNATURE_REFUSED
            assert _post(url, _voucher(chain, template, payer, 2 * price, signature="0x" + good.hex())).status_code == 200
            assert _commit(node) == []
            assert node.outbox.counts() == {"settled": 2}
        assert _claimed(chain, channel_id) == 2 * price


def _lowercase(config: dict) -> dict:
    return {k: v.lower() if isinstance(v, str) else v for k, v in config.items()}


@pytest.mark.parametrize("spelling", ["bare_hex_signature", "lowercase_config"])
def test_a_voucher_spelled_unusually_is_claimed_for_every_call_it_paid(seeded_profile, tmp_path, spelling):
    """FINDING if it fails. The attacker's LAST voucher is valid but spelled unusually: its
    signature as bare hex (no `0x`), or its (unchanged) channel config in lower case. The node's
    signature rule and the SDK decode and checksum both, so the call is served (200); the outbox
    keeps the payload's strings verbatim, and the committer re-reads them its own way: it strips
    `signature[2:]` (a 64-byte signature: InvalidSignature on chain) or hands web3 non-checksummed
    addresses (InvalidAddress, taken for a revert). A channel is claimed with its latest voucher,
    so the batch is split and ALL the attacker's rows are marked failed: 3 calls served, none
    claimed, and the whole deposit withdrawable after 900 s. Honest payers still commit."""
    chain = seeded_profile
    with chain.snapshot():
        honest, attacker = channel_payer(chain, tmp_path), _funded(chain)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            _, h2 = _served(sdk_channel_session(chain, honest), url, 2)
            _, a2 = _served(sdk_channel_session(chain, attacker), url, 2)
            template, attacker_id, price = _template(a2)
            if spelling == "bare_hex_signature":
                header = _voucher(chain, template, attacker, 3 * price,
                                  signature=_sign(chain, attacker, attacker_id, 3 * price)[2:])
            else:
                header = _voucher(chain, template, attacker, 3 * price,
                                  config=_lowercase(template.payload["channelConfig"]))
            answered = 2 + (_post(url, header).status_code == 200)
            errors = _commit(node)
            failed = [c.error[:90] for c in node.outbox.in_state("failed", scheme="batch-settlement")]
        assert _claimed(chain, _template(h2)[1]) == 2 * price
        assert _claimed(chain, attacker_id) == answered * price, (
            f"the attacker was answered {answered} calls and claimed for {_claimed(chain, attacker_id) // price}; "
            f"failed rows: {failed}; committer errors {errors}")


def test_a_voucher_signature_with_a_leading_space_cannot_stall_every_payers_batch(seeded_profile, tmp_path):
    """FINDING if it fails. The attacker's next voucher carries its valid signature as " " + bare
    hex: `bytes.fromhex` skips whitespace, so the signature rule and the SDK accept it and the call
    is served. The committer's `bytes.fromhex(signature[2:])` then drops the space and one hex
    digit: an odd-length string, a ValueError raised while the batch is built, which is no
    RevertedError, so the batch is never split by channel. Every round fails the same way while
    that row is among the 256 oldest pending: NO payer's calls are committed (honest payers can
    withdraw their whole deposits after 900 s; records an hour old can no longer be committed)."""
    chain = seeded_profile
    with chain.snapshot():
        honest, attacker = channel_payer(chain, tmp_path), _funded(chain)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            _, h2 = _served(sdk_channel_session(chain, honest), url, 2)
            [a1] = _served(sdk_channel_session(chain, attacker), url, 1)
            template, attacker_id, price = _template(a1)
            spaced = " " + _sign(chain, attacker, attacker_id, 2 * price)[2:]
            answered = 1 + (_post(url, _voucher(chain, template, attacker, 2 * price, signature=spaced)).status_code == 200)
            errors = _commit(node)
            counts = node.outbox.counts()
        assert _claimed(chain, _template(h2)[1]) == 2 * price, (
            f"the honest payer's 2 calls were never committed: outbox {counts}; every round failed: {errors}")
        assert _claimed(chain, attacker_id) == answered * price


ACCEPT_ALL = bytes.fromhex("6010600c60003960106000f3" "631626ba7e60e01b60005260206000f3")  # isValidSignature: always yes


def _delegate(chain, eoa, target: str) -> None:
    """An EIP-7702 (type 4) transaction, sent by a sponsor, pointing `eoa`'s code at `target`
    (the zero address: back to a plain EOA)."""
    w3 = chain.w3
    sponsor = Account.create()
    chain.rpc("anvil_setBalance", [sponsor.address, hex(10**20)])
    authorization = eoa.sign_authorization({"chainId": w3.eth.chain_id, "address": target,
                                            "nonce": w3.eth.get_transaction_count(eoa.address)})
    tx = {"type": 4, "chainId": w3.eth.chain_id, "nonce": w3.eth.get_transaction_count(sponsor.address),
          "to": sponsor.address, "value": 0, "data": b"", "gas": 100_000, "maxFeePerGas": 10**11,
          "maxPriorityFeePerGas": 10**9, "authorizationList": [authorization]}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sponsor.sign_transaction(tx).raw_transaction))
    assert receipt.status == 1


def test_a_payer_whose_code_accepts_any_signature_cannot_revoke_the_vouchers_it_was_served_on(seeded_profile,
                                                                                              tmp_path):
    """FINDING if it fails (SECURITY.md names it a node obligation: claim before serving, cap the
    unclaimed, or require a payer authorizer). A payer funds a channel with no payerAuthorizer,
    points its EOA's code (EIP-7702) at a contract whose isValidSignature says yes to anything,
    and pays 3 calls with vouchers carrying a junk (well-formed) signature: the SDK checks such a
    payer by ERC-1271 only, so the node serves them. The payer then clears its code: the junk
    recovers to no one on chain, the claim reverts InvalidSignature, the rows are marked failed,
    and the payer withdraws its whole deposit."""
    chain = seeded_profile
    with chain.snapshot():
        seed, attacker = channel_payer(chain, tmp_path), _funded(chain)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, seed), url, 1)
            template, _, price = _template(first)
            config = {**_offer_config(node, attacker, b"\x77" * 32), "payerAuthorizer": channels.ZERO_ADDRESS}
            _deposit_on_chain(chain, attacker, _tuple(config), 20 * price)
            deployed = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_transaction(
                {"from": chain.w3.eth.accounts[0], "data": ACCEPT_ALL})).contractAddress
            _delegate(chain, attacker, deployed)
            junk = "0x" + (1).to_bytes(32, "big").hex() + (1).to_bytes(32, "big").hex() + "1b"
            codes = [_post(url, _voucher(chain, template, None, k * price, config=config, signature=junk)).status_code
                     for k in (1, 2, 3)]
            _delegate(chain, attacker, channels.ZERO_ADDRESS)
            assert chain.w3.eth.get_code(attacker.address) == b""
            errors = _commit(node)
            failed = [c.error[:80] for c in node.outbox.in_state("failed", scheme="batch-settlement")]
        channel_id = compute_channel_id(SdkConfig.from_dict(config), NETWORK)
        assert _claimed(chain, channel_id) == codes.count(200) * price, (
            f"answered {codes}, claimed for {_claimed(chain, channel_id) // price}; failed rows {failed}; {errors}")


# ---------------------------------------------------------------------------------------------- concurrency

def test_one_voucher_sent_on_concurrent_calls_is_served_once(seeded_profile, tmp_path):
    """Six simultaneous calls carrying the same next voucher (the spec allows one request in flight
    per channel): exactly one is served, the rest get 402, and one call's fee is claimed."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            template, channel_id, price = _template(first)
            header = _voucher(chain, template, payer, 2 * price)
            with ThreadPoolExecutor(6) as pool:
                codes = sorted(a.status_code for a in pool.map(lambda _: _post(url, header), range(6)))
            assert codes == [200] + [402] * 5
            assert node.outbox.counts() == {"pending": 2}
            assert _commit(node) == []
        assert _claimed(chain, channel_id) == 2 * price


# ---------------------------------------------------------------------------------------------- deposits

def test_a_deposit_from_a_payer_without_the_balance_is_refused_and_others_still_commit(seeded_profile, tmp_path):
    """An account holding no OPG opens a channel through the SDK: the deposit is refused (402),
    nothing is sent or served; an honest payer's calls commit as before."""
    chain = seeded_profile
    with chain.snapshot():
        honest = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            nonce = chain.w3.eth.get_transaction_count(node.channel_payments.operator)
            broke = sdk_channel_session(chain, Account.create()).post(f"{url}/v1/infer", json=BODY)
            assert SIG in broke.request.headers and broke.status_code == 402, broke.text[:300]
            assert broke.json()["error"] == sdk_errors.ERR_INSUFFICIENT_BALANCE
            assert chain.w3.eth.get_transaction_count(node.channel_payments.operator) == nonce
            _, h2 = _served(sdk_channel_session(chain, honest), url, 2)
            assert _commit(node) == []
            assert node.outbox.counts() == {"settled": 2}
        assert _claimed(chain, _template(h2)[1]) == 2 * int(h2.json()["receipt"]["value_wei"])


def test_a_deposit_front_run_by_the_payer_emptying_its_wallet_serves_nothing(seeded_profile, tmp_path, monkeypatch):
    """Between the node's checks and its deposit transaction, the payer moves its OPG away (a
    front-run): the deposit reverts, the call gets no 200, and the channel the node then holds a
    record of (with no money in it) pays for no later voucher either."""
    chain = seeded_profile
    with chain.snapshot():
        honest, attacker = channel_payer(chain, tmp_path), _funded(chain)
        token = chain.protocol.token.functions
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            sender, fired = node.committer.sender, []  # the operator's one Sender (deposits and batches)
            original = sender.submit

            def front_run(call, **kwargs):
                if kwargs.get("label") == "deposit":
                    fired.append(kwargs["label"])
                    _as_payer(chain, attacker, token.transfer(accounts.get("deployer").address,
                                                              token.balanceOf(attacker.address).call()))
                return original(call, **kwargs)

            monkeypatch.setattr(sender, "submit", front_run)
            opened = sdk_channel_session(chain, attacker).post(f"{url}/v1/infer", json=BODY)
            monkeypatch.setattr(sender, "submit", original)
            assert fired and opened.status_code == 402, opened.text[:300]
            assert opened.json()["error"] == sdk_errors.ERR_DEPOSIT_TRANSACTION_FAILED
            template = decode_payment_signature_header(opened.request.headers[SIG])
            channel_id, price = template.payload["voucher"]["channelId"], int(template.accepted.amount)
            assert _bs(chain).functions.channels(bytes.fromhex(channel_id[2:])).call() == [0, 0]
            for ceiling in (price, 2 * price):
                assert _post(url, _voucher(chain, template, attacker, ceiling)).status_code == 402
            _, h2 = _served(sdk_channel_session(chain, honest), url, 2)
            assert _commit(node) == []
            assert node.outbox.counts() == {"settled": 2}
        assert _claimed(chain, _template(h2)[1]) == 2 * price


# ---------------------------------------------------------------------------------------------- withdrawals

def test_a_payer_who_withdraws_its_deposit_is_not_served_on_the_stale_balance(seeded_profile, tmp_path):
    """FINDING if it fails. SDK channels name a payerAuthorizer, so the node checks their vouchers
    locally against its cached channel balance (fresh for 5 minutes, and a withdrawal in progress
    is ignored). The payer is served once, starts a withdrawal of everything unclaimed (the node
    commits its call at once), waits out the 900 s and finalizes: the channel now holds exactly
    what was claimed. On a real chain the attacker makes one call just before finalizing, so the
    cache is refreshed then (here chain time jumps while the wall clock does not: the same state).
    The node keeps serving the channel on the cached deposit; each claim then reverts
    ClaimExceedsBalance and its rows are marked failed: calls served for free for up to 5 minutes,
    up to the whole deposit. (SECURITY.md's known limits name the cache, not this consequence.)"""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        bs = _bs(chain).functions
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            session = sdk_channel_session(chain, payer)
            [first] = _served(session, url, 1)
            template, channel_id, price = _template(first)
            config, cid = _tuple(template.payload["channelConfig"]), bytes.fromhex(channel_id[2:])
            balance, _ = bs.channels(cid).call()
            _as_payer(chain, payer, bs.initiateWithdraw(config, balance))
            deadline = time.monotonic() + 30
            while node.outbox.counts() != {"settled": 1} and time.monotonic() < deadline:
                time.sleep(0.1)
            chain.advance(901)
            _as_payer(chain, payer, bs.finalizeWithdraw(config))
            assert bs.channels(cid).call() == [price, price]  # all that is left was claimed
            later = [session.post(f"{url}/v1/infer", json=BODY).status_code for _ in range(3)]
            errors = _commit(node)
            counts = node.outbox.counts()
        answered = 1 + later.count(200)
        assert _claimed(chain, channel_id) == answered * price, (
            f"after withdrawing its deposit the payer was answered {later}, claimed for "
            f"{_claimed(chain, channel_id) // price} of {answered} calls; outbox {counts}; {errors}")


# ---------------------------------------------------------------------------------------------- other payloads

def test_refund_claim_and_settle_payloads_are_refused_and_move_no_money(seeded_profile, tmp_path):
    """A cooperative refund (the SDK's zero-charge voucher), and the facilitator's claim and settle
    payload types, sent as payments: 402, no transaction, the channel untouched."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            template, channel_id, price = _template(first)
            state = _bs(chain).functions.channels(bytes.fromhex(channel_id[2:])).call()
            nonce = chain.w3.eth.get_transaction_count(node.channel_payments.operator)
            refund = _post(url, _voucher(chain, template, payer, price, kind="refund"))
            assert refund.status_code == 402 and refund.json()["error"] == REFUND_NOT_A_PAYMENT
            for kind in ("claim", "settle"):
                assert _post(url, _voucher(chain, template, payer, 2 * price, kind=kind)).status_code == 402
            assert chain.w3.eth.get_transaction_count(node.channel_payments.operator) == nonce
            assert _bs(chain).functions.channels(bytes.fromhex(channel_id[2:])).call() == state
            assert node.outbox.counts() == {"pending": 1}


def test_an_exact_header_mixed_with_batch_settlement_fields_is_refused(seeded_profile, tmp_path):
    """A voucher payload under an `exact` acceptance, an `exact` authorization under a
    batch-settlement acceptance, and a voucher accepting a half price: 402 each, nothing served."""
    from x402 import x402ClientSync
    from x402.mechanisms.evm.exact import ExactEvmScheme
    from x402.schemas import PaymentRequired

    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            template, channel_id, price = _template(first)
            offer = decode_payment_required_header(httpx.post(f"{url}/v1/infer", json=BODY).headers["PAYMENT-REQUIRED"])
            exact, batch = offer.accepts
            voucher = decode_payment_signature_header(_voucher(chain, template, payer, 2 * price))
            as_exact = voucher.model_copy(update={"accepted": exact})
            client = x402ClientSync().register(exact.network, ExactEvmScheme(payer))
            client.set_spend_controls(False)
            authorization = client.create_payment_payload(PaymentRequired(accepts=[exact]))
            as_batch = authorization.model_copy(update={"accepted": batch})
            cheap = batch.model_copy(update={"amount": str(price // 2)})  # the voucher as a half-price call
            underpriced = decode_payment_signature_header(_voucher(chain, template, payer, price + price // 2))
            underpriced = underpriced.model_copy(update={"accepted": cheap})
            for mixed in (as_exact, as_batch, underpriced):
                answer = _post(url, encode_payment_signature_header(mixed))
                assert answer.status_code == 402, answer.text[:300]
            assert node.outbox.counts() == {"pending": 1}


def test_a_call_whose_model_run_fails_is_never_claimed(seeded_profile, tmp_path):
    """A paid call to a model the node can no longer fetch fails after its charge: no 200, no row;
    the payer's next client (it knows nothing of the failed charge) is put right by the corrective
    402 and pays on, and the channel is claimed for the two calls answered only."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            session = sdk_channel_session(chain, payer)
            [first] = _served(session, url, 1)
            for blob in (tmp_path / "blobs").rglob("*"):
                if blob.is_file():
                    blob.unlink()  # model 3 was never loaded: its run cannot fetch it
            failed = session.post(f"{url}/v1/infer", json={"model": 3, "inputs": {"features": [[1.0] * 16]}})
            assert failed.status_code not in (200, 402), failed.text[:300]
            # (the 500 closed the SDK session's connection: a new client, with no channel state)
            [after] = _served(sdk_channel_session(chain, payer), url, 1)
            assert node.outbox.counts() == {"pending": 2}
            assert _commit(node) == []
        _, channel_id, _ = _template(after)
        fees = int(first.json()["receipt"]["value_wei"]) + int(after.json()["receipt"]["value_wei"])
        assert _claimed(chain, channel_id) == fees
