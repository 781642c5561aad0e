"""`ogcli infer` and the SDK pay by channel, as a payer types it: with a channel open (`ogcli pay
channel open`) a call is paid by a voucher on it, with no transaction and no new deposit; with
`--pay channel` and no channel, the first call deposits (shown in the confirmation) through the
node; without a channel, `auto` pays by `exact`. The SDK's client rules check each payment
response, its state is kept on disk (so `pay channel status` knows what was charged), and the
calls commit in a batch that `infer verify` verifies."""

from __future__ import annotations

import json
import time

import pytest

from ogcli.protocol.params import OPG
from tests.chain.test_pay_channel_cli import WALLET_OPG, _opg, _state, _status, paying  # noqa: F401
from tests.cli_results import data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(180)]

INPUT = json.dumps({"features": [[0.25] * 8]})


def _run(cli, url, *extra):
    return cli("--json", "--yes", "infer", "run", "--node", url, "--model", "1", "--input", INPUT, *extra)


def test_an_open_channel_pays_each_call_by_voucher_and_the_calls_verify_from_their_batch(paying, cli):  # noqa: F811
    chain, payer, url, node = paying
    channel = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "2", "--node", url))["channel"]["id"]
    wallet = _opg(chain, payer.address)
    records = chain.protocol.settlement.functions.recordCount().call()

    first, second = data(_run(cli, url)), data(_run(cli, url))  # as typed: --pay auto, the default
    for call in (first, second):
        assert call["scheme"] == "batch-settlement" and call["channel"] == channel and call["deposit_wei"] == "0"
        assert call["transaction_hash"] is None and call["settlement"] == "pending"
    fee = int(first["price_wei"])
    assert _state(chain, channel) == (2 * OPG, 0)  # no deposit, nothing claimed yet
    assert _opg(chain, payer.address) == wallet  # no transaction of the payer's
    assert chain.protocol.settlement.functions.recordCount().call() == records  # nothing settled by exact
    [row] = _status(cli)
    assert row["charged_wei"] == str(2 * fee)  # the SDK's client state, on disk, read by status

    node.committer.commit_pending()
    assert _state(chain, channel) == (2 * OPG, 2 * fee)  # claimed in the batch, for exactly the two calls
    verified = data(cli("--json", "infer", "verify", first["request_id"]))
    assert verified["state"] == "verified" and verified["scheme"] == "batch-settlement"
    assert verified["payer"] == payer.address

    human = cli("--yes", "infer", "run", "--node", url, "--model", "1", "--input", INPUT)
    assert human.exit_code == 0 and f"paid by voucher on channel {channel}" in human.stdout


def test_pay_channel_without_a_channel_deposits_through_the_node_after_saying_so(paying, cli):  # noqa: F811
    chain, payer, url, node = paying
    dry = data(cli("--json", "--dry-run", "infer", "run", "--node", url, "--model", "1", "--input", INPUT,
                   "--pay", "channel"))
    assert dry["sent"] is False and dry["scheme"] == "batch-settlement" and int(dry["deposit_wei"]) > 0
    wallet = _opg(chain, payer.address)
    assert _status(cli) == []  # nothing was deposited

    declined = cli("infer", "run", "--node", url, "--model", "1", "--input", INPUT, "--pay", "channel",
                   stdin_tty=True, input="n\n")
    assert declined.exit_code != 0 and "depositing" in declined.stderr + declined.stdout
    assert _opg(chain, payer.address) == wallet

    paid = data(_run(cli, url, "--pay", "channel"))
    deposit = int(paid["deposit_wei"])
    assert deposit == int(dry["deposit_wei"]) and paid["scheme"] == "batch-settlement"
    assert _state(chain, paid["channel"]) == (deposit, 0)  # the node sent the payer's deposit
    assert _opg(chain, payer.address) == wallet - deposit
    again = data(_run(cli, url))  # now `auto` finds the channel
    assert again["scheme"] == "batch-settlement" and again["deposit_wei"] == "0"


def test_auto_pays_by_exact_without_a_channel_and_channel_is_refused_where_none_is_offered(paying, cli,  # noqa: F811
                                                                                          monkeypatch):
    chain, payer, url, node = paying
    paid = data(_run(cli, url))
    assert paid["scheme"] == "exact" and paid["record_id"] is not None and paid["transaction_hash"]
    assert _status(cli) == []

    monkeypatch.setattr(node, "channel_payments", None)  # a node that takes only exact
    wallet = _opg(chain, payer.address)
    refused = cli("--yes", "infer", "run", "--node", url, "--model", "1", "--input", INPUT, "--pay", "channel")
    assert refused.exit_code != 0 and "takes no channel payments" in refused.stderr
    errors = [line for line in refused.stderr.splitlines() if not line.startswith("routing:")]  # a progress note
    assert len(errors) == 1 and _opg(chain, payer.address) == wallet
    bad = cli("--yes", "infer", "run", "--node", url, "--model", "1", "--input", INPUT, "--pay", "card")
    assert bad.exit_code == 2 and "--pay takes auto, exact, channel" in bad.stderr


def test_the_sdk_pays_by_channel_and_the_payment_response_is_held_to_the_price(paying, cli, monkeypatch):  # noqa: F811
    """`LLM(payment="channel")`: the answer at once (its batch commits later: no transaction hash
    unless asked to wait); a node whose PAYMENT-RESPONSE says it charged more than the price is
    caught by the SDK's client rules."""
    from ogcli.sdk import LLM

    chain, payer, url, node = paying
    llm = LLM(node=url, payment="channel", password="pw")
    answer = llm.infer(model=1, inputs={"features": [[0.5] * 8]})
    assert answer.transaction_hash is None and answer.receipt["settlement"]["scheme"] == "batch-settlement"
    waiting = LLM(node=url, payment="channel", password="pw", wait_for_settlement=True)
    started = time.monotonic()
    node.committer.max_wait_s = 0.5  # the node's --channel-wait, short for the test
    second = waiting.infer(model=1, inputs={"features": [[0.5] * 8]})
    assert second.transaction_hash and time.monotonic() - started < 30

    import base64

    real_take = node.channel_payments.take

    def overcharging(payload, amount_wei):  # a test double: a node that lies in its response
        payment, response = real_take(payload, amount_wei)
        header = json.loads(base64.b64decode(response))
        header["extra"]["chargedAmount"] = str(amount_wei * 2)
        return payment, base64.b64encode(json.dumps(header).encode()).decode()

    monkeypatch.setattr(node.channel_payments, "take", overcharging)
    from ogcli.sdk.paid_http import PaymentRejected

    with pytest.raises(PaymentRejected, match="channel rules"):
        llm.infer(model=1, inputs={"features": [[0.75] * 8]})


def test_a_node_cannot_make_a_paying_client_lock_up_a_large_deposit(paying, cli, monkeypatch):  # noqa: F811
    """Attack: a node's offer names the deposit a new channel gets (`extra.minDeposit`), and the
    SDK's client deposits it. A node asking 9 OPG (90% of the payer's wallet, some 70 calls'
    worth) has it locked in a channel for the withdraw delay (only ever claimable by vouchers, but
    the payer cannot spend it elsewhere meanwhile). Paying by channel deposits at most 50 calls'
    worth on its own (what the reference node asks); more, the payer opens the channel itself."""
    chain, payer, url, node = paying
    real = node.channel_payments.requirements

    def greedy(amount_wei):  # a test double: a node asking a huge first deposit
        requirement = real(amount_wei)
        requirement.extra["minDeposit"] = str(9 * OPG)
        return requirement

    monkeypatch.setattr(node.channel_payments, "requirements", greedy)
    wallet = _opg(chain, payer.address)
    result = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "1", "--input", INPUT, "--pay", "channel")
    assert result.exit_code != 0, "the client deposited what the node asked"
    assert _opg(chain, payer.address) == wallet and _status(cli) == []
    assert "pay channel open" in json.loads(result.stdout)["error"]["message"]


def test_pay_channel_refund_takes_back_at_once_what_was_not_charged(paying, cli):  # noqa: F811
    chain, payer, url, node = paying
    channel = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "2", "--node", url))["channel"]["id"]
    fee = int(data(_run(cli, url))["price_wei"])
    data(_run(cli, url))
    wallet = _opg(chain, payer.address)

    dry = data(cli("--json", "--dry-run", "pay", "channel", "refund"))
    assert dry["sent"] is False and dry["refund_wei"] == str(2 * OPG - 2 * fee) and _opg(chain, payer.address) == wallet
    too_much = cli("--yes", "pay", "channel", "refund", "--amount", "2")
    assert too_much.exit_code == 2 and "more than" in too_much.stderr and _opg(chain, payer.address) == wallet

    refunded = data(cli("--json", "--yes", "pay", "channel", "refund"))  # as typed: no --node, the one channel
    assert refunded["refunded_wei"] == str(2 * OPG - 2 * fee) and refunded["balance_wei"] == str(2 * fee)
    assert _opg(chain, payer.address) == wallet + 2 * OPG - 2 * fee  # the node paid the gas
    assert _state(chain, channel) == (2 * fee, 0)
    node.committer.commit_pending()
    assert _state(chain, channel) == (2 * fee, 2 * fee)  # both calls still paid for
    nothing = cli("--yes", "pay", "channel", "refund")
    assert nothing.exit_code == 2 and "nothing to refund" in nothing.stderr


def test_a_client_that_lost_its_channel_state_is_put_right_by_the_nodes_corrective_402(paying, cli):  # noqa: F811
    """The spec's corrective 402 as meant: the client's state is gone (another machine, a wiped
    data directory), so it starts from the chain's claimed total and signs too little; the node
    answers with what it has charged (a voucher the payer signed earlier as its evidence), and the
    client pays on from there, once, for this call's price."""
    import shutil

    from ogcli import channel_index

    chain, payer, url, node = paying
    data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "2", "--node", url))
    fee = int(data(_run(cli, url))["price_wei"])
    data(_run(cli, url))
    shutil.rmtree(channel_index.client_state_dir(31337))  # the client forgets: the chain has claimed nothing
    third = data(_run(cli, url))
    assert third["scheme"] == "batch-settlement" and third["price_wei"] == str(fee)
    [row] = _status(cli)
    assert row["charged_wei"] == str(3 * fee)
    node.committer.commit_pending()
    assert node.outbox.counts() == {"settled": 3}


def test_infer_receipts_lists_calls_paid_by_channel_from_their_batches(paying, cli):  # noqa: F811
    """A channel the first call opened (--pay channel) is remembered (so `pay channel status`
    knows it without `pay channel open`), and `infer receipts` lists its calls once committed,
    next to those paid by exact, newest first."""
    chain, payer, url, node = paying
    exact = data(_run(cli, url, "--pay", "exact"))
    first = data(_run(cli, url, "--pay", "channel"))
    second = data(_run(cli, url))  # auto: the channel is open now
    [row] = _status(cli)
    assert row["channel_id"] == first["channel"] and row["charged_wei"] == str(2 * int(first["price_wei"]))
    pending = data(cli("--json", "infer", "receipts"))["receipts"]
    assert [r["request_id"] for r in pending] == [exact["request_id"]]  # the channel calls are not committed yet
    node.committer.commit_pending()
    listed = data(cli("--json", "infer", "receipts"))["receipts"]
    assert {r["request_id"] for r in listed} == {exact["request_id"], first["request_id"], second["request_id"]}
    batch = [r for r in listed if r["scheme"] == "batch-settlement"]
    assert len(batch) == 2 and batch[0]["record_id"] is None and batch[0]["batch_id"] == batch[1]["batch_id"]
    assert listed[0]["settled_at"] >= listed[-1]["settled_at"]
    assert data(cli("--json", "infer", "receipts", "--limit", "1"))["receipts"][0]["request_id"] in \
        {first["request_id"], second["request_id"]}  # the batch is the newest
    table = cli("infer", "receipts")
    assert table.exit_code == 0 and f"batch {batch[0]['batch_id']}" in table.stdout
