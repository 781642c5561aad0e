"""Attacks on cooperative refunds of x402 batch-settlement channels (ogcli/node/channel_payments.py
`ChannelPayments.refund`, `_send_refund`, `_after_refund`; app.py's `Node.refund_channel` and
GET /v1/channels/refund; the client's `ogcli pay channel refund`), end to end: a real node in
process (tests/chain/node_fixture.py) on the seeded session Anvil, paid by the official SDK client,
and refund requests built by hand from the node's public refund 402 (tests/adversarial/
refund_attack_doubles.py). Each test asserts the SECURE outcome, so it FAILS when its attack works.
The background committer is held back (HOLD); tests commit with `_commit`."""

from __future__ import annotations

import json
import threading

import pytest
from x402.mechanisms.evm.batch_settlement import errors as sdk_errors

from ogcli.devnet import accounts
from ogcli.protocol.params import OPG
from tests.adversarial.refund_attack_doubles import (
    ask_refund,
    authorize,
    config_from_claim,
    give_up_on_refund_receipts,
    hostile_refund_proxy,
    refund_header,
    sign_voucher,
)
from tests.adversarial.test_channel_payment_attacks import (
    BODY,
    HOLD,
    _as_payer,
    _bs,
    _commit,
    _deposit_on_chain,
    _funded,
    _offer_config,
    _served,
    _template,
    _tuple,
)
from tests.chain.node_fixture import channel_payer, running_node, sdk_channel_session, wait_until
from tests.chain.test_pay_channel_cli import _opg, paying  # noqa: F401 (the fixture)
from tests.cli_results import data

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]

OPERATOR = accounts.get("node-operator").address
INPUT = json.dumps({"features": [[0.25] * 8]})


# ---------------------------------------------------------------------------------------------- helpers

def _state(chain, channel_id: str) -> tuple[int, int]:
    """(balance, totalClaimed) on chain."""
    return tuple(_bs(chain).functions.channels(bytes.fromhex(channel_id[2:])).call())


def _sent_by_operator(chain) -> int:
    return chain.w3.eth.get_transaction_count(OPERATOR)


def _stored(node, channel_id: str):
    return node.channel_payments.storage.get(channel_id.lower())


def _opened(chain, payer, url, calls: int = 1):
    """The payer's official SDK client, which opened a channel by its first call and made `calls`:
    (payer, session, sdk payload template, channel id, price)."""
    session = sdk_channel_session(chain, payer)
    answers = _served(session, url, calls)
    template, channel_id, price = _template(answers[-1])
    return payer, session, template, channel_id, price


def _published_claims(chain, from_block: int) -> list:
    """Every commitBatch claim on chain since `from_block`, read from public calldata:
    [(channel config dict, voucher ceiling, signature 0x hex)]."""
    settlement = chain.protocol.settlement
    claims = []
    for number in range(from_block, chain.w3.eth.block_number + 1):
        for tx in chain.w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["to"] and tx["to"].lower() == settlement.address.lower():
                try:
                    fn, params = settlement.decode_function_input(tx["input"])
                except ValueError:
                    continue
                if fn.fn_name == "commitBatch":
                    for claim in params["claims"]:
                        voucher, signature = (claim["voucher"], claim["signature"]) if isinstance(claim, dict) \
                            else (claim[0], claim[1])
                        channel, ceiling = (voucher["channel"], voucher["maxClaimableAmount"]) \
                            if isinstance(voucher, dict) else (voucher[0], voucher[1])
                        if isinstance(channel, dict):
                            channel = tuple(channel[k] for k in ("payer", "payerAuthorizer", "receiver",
                                                                 "receiverAuthorizer", "token", "withdrawDelay", "salt"))
                        claims.append((config_from_claim(channel), int(ceiling), "0x" + bytes(signature).hex()))
    return claims


# ---------------------------------------------------------------------------------------------- anyone vs the payer

def test_a_stranger_cannot_refund_a_payers_channel_with_the_voucher_its_batch_published(seeded_profile, tmp_path):
    """Attack: a stranger (no key of the payer's) reads the payer's latest voucher from the
    node's public commitBatch calldata (channel config, ceiling, signature) and sends it as a
    cooperative refund request. Since the refund's voucher is exactly the last paid voucher, the
    node accepts it and empties the payer's channel unasked (the payer's prepaid deposit is gone
    and its next call must deposit again, the node paying the gas of both). Secure: a refund is
    refused unless the payer asked for it now (a refund-specific signature), and the channel
    keeps its balance."""
    chain = seeded_profile
    with chain.snapshot():
        start = chain.w3.eth.block_number + 1
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, session, _template_, channel_id, price = _opened(chain, payer, url, calls=2)
            assert _commit(node) == []
            [(config, ceiling, signature)] = [c for c in _published_claims(chain, start)
                                              if c[0]["payer"].lower() == payer.address.lower()]
            balance_before, _ = _state(chain, channel_id)
            wallet = _opg(chain, payer.address)
            sent = _sent_by_operator(chain)

            answer = ask_refund(url, refund_header(url, config, ceiling, signature))

            balance_after, _ = _state(chain, channel_id)
            refunded = _opg(chain, payer.address) - wallet
            next_call = session.post(f"{url}/v1/infer", json=BODY)
            next_call = (next_call.status_code, next_call.json().get("error"),
                         session.post(f"{url}/v1/infer", json=BODY).status_code)
            assert answer.status_code == 402 and balance_after == balance_before, (
                f"a stranger's refund request from public calldata answered {answer.status_code}: the node sent "
                f"{_sent_by_operator(chain) - sent} refund tx(s) and emptied the payer's channel "
                f"({balance_before} -> {balance_after} wei, {refunded} back to the payer unasked); the payer's next "
                f"calls answered {next_call}")


# ---------------------------------------------------------------------------------------------- payer vs the node

def test_one_signed_refund_request_replayed_cannot_make_the_operator_send_refund_after_refund(seeded_profile,
                                                                                            tmp_path):
    """Attack: one refund request for 1 wei (signed once, or copied by anyone who saw the
    payer's last voucher) is sent again and again. Nothing in it is spent by a refund (the
    voucher stays at the charged total), so each replay makes the operator send and pay for
    another BatchSettlement.refund: a gas drain of the node at no cost to the sender. Secure: a
    refund request is honoured once (a replay is refused), so the operator sends at most one."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, _session, template, channel_id, price = _opened(chain, payer, url)
            charged = int(_stored(node, channel_id).charged_cumulative_amount)
            header = refund_header(url, template.payload["channelConfig"], charged,
                                   sign_voucher(chain, payer, channel_id, charged), amount="1")
            asked = authorize(chain, payer, channel_id, 1)  # the payer's own request, replayed by anyone
            sent, gas = _sent_by_operator(chain), chain.w3.eth.get_balance(OPERATOR)
            statuses = [ask_refund(url, header, asked).status_code for _ in range(6)]
            refunds = _sent_by_operator(chain) - sent
            spent = gas - chain.w3.eth.get_balance(OPERATOR)
            assert refunds <= 1, (f"one 1-wei refund request replayed 6 times ({statuses}) made the operator send "
                                  f"{refunds} refund transactions, {spent} wei of its gas")


def test_a_full_refund_twice_returns_the_uncharged_balance_once_and_the_node_is_still_paid(seeded_profile,
                                                                                          tmp_path):
    """Attack: the payer asks for a full refund twice (same request, then a fresh one). Secure:
    the second is refused (nothing left beyond the charged total), the payer got back exactly
    balance - charged, and the node still claims every call it answered."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, _session, template, channel_id, price = _opened(chain, payer, url, calls=3)
            balance, _ = _state(chain, channel_id)
            wallet = _opg(chain, payer.address)
            header = refund_header(url, template.payload["channelConfig"], 3 * price,
                                   sign_voucher(chain, payer, channel_id, 3 * price))
            asked = authorize(chain, payer, channel_id)
            first, second = ask_refund(url, header, asked), ask_refund(url, header, asked)
            third = ask_refund(url, refund_header(url, template.payload["channelConfig"], 3 * price,
                                                  sign_voucher(chain, payer, channel_id, 3 * price), amount="1"),
                               authorize(chain, payer, channel_id, 1))
            assert first.status_code == 200, first.text[:300]
            assert (second.status_code, third.status_code) == (402, 402)
            assert _opg(chain, payer.address) - wallet == balance - 3 * price
            assert _commit(node) == [] and node.outbox.counts() == {"settled": 3}
            assert _state(chain, channel_id) == (3 * price, 3 * price)


def test_malformed_refund_amounts_are_refused_with_a_402_and_send_nothing(seeded_profile, tmp_path):
    """Attack: refund requests whose `amount` is malformed (zero, negative, fractional, hex,
    padded, a JSON number, a Unicode digit such as '²' that str.isdigit accepts and int refuses,
    5,000 digits that int refuses past Python's digit limit) or huge (2**128, past uint128).
    Secure: each is answered 402 with the refund's reason (never a 500), the operator sends
    nothing, and the channel is not left reserved (the payer's next call is served)."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, session, template, channel_id, price = _opened(chain, payer, url)
            config = template.payload["channelConfig"]
            signature = sign_voucher(chain, payer, channel_id, price)
            bad = {}
            for amount in ("0", "-1", "1.5", "0x10", " 1", "", 5, "\u00b2", "\u0663", "9" * 5000, str(2**128)):
                sent, wallet = _sent_by_operator(chain), _opg(chain, payer.address)
                answer = ask_refund(url, refund_header(url, config, price, signature, amount=amount))
                reason = answer.json().get("error") if answer.headers.get("content-type", "").startswith(
                    "application/json") else None
                txs, back = _sent_by_operator(chain) - sent, _opg(chain, payer.address) - wallet
                if answer.status_code != 402 or txs or reason not in (sdk_errors.ERR_REFUND_AMOUNT_INVALID,
                                                                      sdk_errors.ERR_REFUND_NO_BALANCE):
                    bad[repr(amount)[:20]] = (answer.status_code, reason, answer.text[:60], f"{txs} tx, {back} wei back")
            after = session.post(f"{url}/v1/infer", json=BODY)
            assert after.status_code == 200, after.text[:300]
            assert bad == {}, f"refund amounts not refused with a 402: {bad}"


def test_refunds_racing_calls_on_the_same_channel_never_refund_what_was_charged(seeded_profile, tmp_path):
    """Attack: the payer fires small refunds (each at the charged total it reads) in one thread
    while its SDK client pays calls on the same channel in another, hoping a refund is computed
    from a charged total that a concurrent call then raises (the node serving that call from
    money already refunded). Secure: every call answered 200 is committed and claimed in full,
    nothing is marked failed, and the channel on chain still holds everything claimed."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, session, template, channel_id, price = _opened(chain, payer, url)
            config = template.payload["channelConfig"]
            served, refunds = [1], []

            def calls():
                for _ in range(10):
                    try:
                        served.append(session.post(f"{url}/v1/infer", json=BODY).status_code)
                    except Exception as exc:  # noqa: BLE001 (a busy channel may upset the SDK client)
                        served.append(type(exc).__name__)

            def refunder():
                for _ in range(10):
                    charged = int(_stored(node, channel_id).charged_cumulative_amount)
                    header = refund_header(url, config, charged, sign_voucher(chain, payer, channel_id, charged),
                                           amount=str(price))
                    refunds.append(ask_refund(url, header, authorize(chain, payer, channel_id, price)).status_code)

            threads = [threading.Thread(target=calls), threading.Thread(target=refunder)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=180)
            answered = served.count(200) + served.count(1)
            assert refunds.count(200) > 0, f"no refund got through the race: {refunds}"
            assert _commit(node) == []
            assert node.outbox.counts() == {"settled": answered}, (node.outbox.counts(), served, refunds)
            balance, claimed = _state(chain, channel_id)
            assert claimed == answered * price and balance >= claimed


def test_a_refund_during_a_pending_withdrawal_leaves_every_answered_call_claimed(seeded_profile, tmp_path):
    """Attack: the payer starts a withdrawal of the whole balance (the contract lets it ask for
    everything not claimed yet, charged calls included), asks the node for a refund at once,
    then finalizes after the delay, hoping refund + withdrawal together return money the node
    charged. Secure: the node claims every answered call, and the payer gets back exactly the
    balance less those calls."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, _session, template, channel_id, price = _opened(chain, payer, url, calls=3)
            config = template.payload["channelConfig"]
            balance, _ = _state(chain, channel_id)
            wallet = _opg(chain, payer.address)
            _as_payer(chain, payer, _bs(chain).functions.initiateWithdraw(_tuple(config), balance))
            answer = ask_refund(url, refund_header(url, config, 3 * price,
                                                   sign_voucher(chain, payer, channel_id, 3 * price)),
                                authorize(chain, payer, channel_id))
            wait_until(lambda: node.outbox.counts() == {"settled": 3}, timeout_s=60)
            chain.advance(901)
            _as_payer(chain, payer, _bs(chain).functions.finalizeWithdraw(_tuple(config)))
            assert _state(chain, channel_id) == (3 * price, 3 * price), answer.status_code
            assert _opg(chain, payer.address) - wallet == balance - 3 * price


def test_the_operator_refunds_no_channel_of_another_receiver(seeded_profile, tmp_path):
    """Attack: a channel whose receiver is someone else but whose receiver authorizer is this
    node's operator (so BatchSettlement lets the operator refund it) is funded on chain by the
    payer, who then asks this node for a refund on it: the operator would hand back money
    another receiver is owed. Secure: refused (402), the channel keeps its balance."""
    chain = seeded_profile
    with chain.snapshot():
        channel_payer(chain, tmp_path)  # the devnet's models for the node
        payer = _funded(chain)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            config = {**_offer_config(node, payer, b"\x42" * 32), "receiver": accounts.get("deployer").address}
            _deposit_on_chain(chain, payer, _tuple(config), OPG)
            from x402.mechanisms.evm.batch_settlement.types import ChannelConfig as SdkConfig
            from x402.mechanisms.evm.batch_settlement.utils import compute_channel_id

            channel_id = compute_channel_id(SdkConfig.from_dict(config), "eip155:31337")
            assert _state(chain, channel_id) == (OPG, 0)
            answer = ask_refund(url, refund_header(url, config, 0, sign_voucher(chain, payer, channel_id, 0)),
                                authorize(chain, payer, channel_id))
            assert answer.status_code == 402, answer.text[:300]
            assert _state(chain, channel_id) == (OPG, 0)


def test_a_refund_whose_receipt_wait_gives_up_leaves_no_free_calls(seeded_profile, tmp_path):
    """Attack (with a fault): the node sends the refund and it is mined, but its receipt wait
    gives up (an RPC timeout, or a crash right after sending; a test double of the Sender). The
    node cancels the reservation and never records the refund: its storage keeps the old balance
    (marked freshly read from the chain), so for the next minutes it verifies vouchers locally
    against money already returned. The payer, refunded in full, keeps calling on its SDK client's
    old state. Secure: the node's stored balance matches the chain's after a refund attempt, it
    serves no call the channel cannot pay, and every call it answered is claimed."""
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            payer, session, template, channel_id, price = _opened(chain, payer, url, calls=2)
            undo = give_up_on_refund_receipts(node.channel_payments._sender)
            try:
                answer = ask_refund(url, refund_header(url, template.payload["channelConfig"], 2 * price,
                                                       sign_voucher(chain, payer, channel_id, 2 * price)),
                                    authorize(chain, payer, channel_id))
            finally:
                undo()
            chain_balance, _ = _state(chain, channel_id)
            stored = int(_stored(node, channel_id).balance)
            later = [session.post(f"{url}/v1/infer", json=BODY).status_code for _ in range(3)]
            errors = _commit(node)
            counts = node.outbox.counts()
            _, claimed = _state(chain, channel_id)
            assert stored == chain_balance and counts == {"settled": 2 + later.count(200)}, (
                f"refund answered {answer.status_code}; chain balance {chain_balance} (= {chain_balance // price} "
                f"calls) but the node's stored balance is {stored}; later calls answered {later}; outbox {counts}, "
                f"claimed {claimed} of {(2 + later.count(200)) * price}; commit errors {errors}")


# ---------------------------------------------------------------------------------------------- node vs the payer

@pytest.mark.usefixtures("fast_wallets")
def test_pay_channel_refund_does_not_report_a_refund_a_hostile_node_only_claimed(paying, cli):  # noqa: F811
    """Attack: a hostile node (a proxy test double in front of a real one) answers the refund
    request with a success PAYMENT-RESPONSE (a made-up transaction, the whole balance "refunded")
    and sends nothing on chain. Secure: `ogcli pay channel refund` reports what the chain says
    came back (nothing), not the node's word, and does not present the refund as done."""
    chain, payer, real_url, node = paying
    with hostile_refund_proxy(real_url) as (url, forged):
        channel = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "2", "--node", url))["channel"]["id"]
        run = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "1", "--input", INPUT)
        assert run.exit_code == 0, run.stderr
        wallet = _opg(chain, payer.address)
        balance, _ = _state(chain, channel)
        result = cli("--json", "--yes", "pay", "channel", "refund", "--node", url)
        assert forged, "the hostile node was never asked for the refund"
        assert _opg(chain, payer.address) == wallet and _state(chain, channel)[0] == balance  # nothing came back
        reported = json.loads(result.stdout)["data"] if result.exit_code == 0 else None
        assert reported is None or reported["refunded_wei"] == "0", (
            f"the CLI reported {reported['refunded_wei']} wei refunded that never came back")
        status = data(cli("--json", "pay", "channel", "status"))
        assert result.exit_code != 0, (
            f"the CLI exited 0 with sent={reported and reported['sent']} and the forged transaction "
            f"{reported and reported['transaction_hash']} for a refund that never happened (refunded_wei "
            f"{reported and reported['refunded_wei']}); its channel state afterwards: {status}")
