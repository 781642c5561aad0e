"""`ogcli pay channel open | topup | status | withdraw` as a payer types them, against a real node
that takes channel payments: the channel the CLI opens is the one the official x402 SDK client
then pays vouchers on (no deposit of its own), and a withdrawal returns exactly what the node did
not claim, after the channel's delay and not before."""

from __future__ import annotations

import contextlib
import json
from http.server import BaseHTTPRequestHandler

import pytest
from eth_account import Account

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.devnet import accounts
from ogcli.protocol import artifacts
from ogcli.protocol.params import OPG
from tests.chain.fixtures import send_as
from tests.chain.node_fixture import free_port, running_node, sdk_channel_session, use_local_storage, wait_until
from tests.cli_results import data, refused
from tests.http_doubles import serving

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(180)]

WALLET_OPG = 10 * OPG
CALL = {"model": 1, "inputs": {"features": [[0.25] * 8]}}


def _payer(chain, cli, monkeypatch):
    """A new wallet `payer`, active, holding WALLET_OPG and gas for its own deposits."""
    payer = Account.create()
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    assert cli("wallet", "import", "payer", "--private-key", input=payer.key.hex() + "\n").exit_code == 0
    assert cli("wallet", "use", "payer").exit_code == 0
    send_as(chain, accounts.get("deployer").address, chain.protocol.token.functions.transfer(payer.address, WALLET_OPG))
    chain.rpc("anvil_setBalance", [payer.address, hex(10**18)])
    return payer


@pytest.fixture
def paying(seeded_profile, cli, monkeypatch, tmp_path):
    """(chain, payer, node url, node): a fresh payer and a node taking channel payments, on the
    seeded chain inside a snapshot; the node commits a batch only when a payer withdraws."""
    chain = seeded_profile
    with chain.snapshot():
        payer = _payer(chain, cli, monkeypatch)
        use_local_storage(tmp_path / "blobs")
        with running_node(tmp_path / "node", batch_min_records=100, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            yield chain, payer, url, node


def _channels(chain):
    return chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement")).functions


def _state(chain, channel_id: str) -> tuple[int, int]:
    return tuple(_channels(chain).channels(bytes.fromhex(channel_id[2:])).call())


def _opg(chain, address: str) -> int:
    return chain.protocol.token.functions.balanceOf(address).call()


def _status(cli, *args) -> list[dict]:
    return data(cli("--json", "pay", "channel", "status", *args))


def test_open_then_status_and_the_official_sdk_client_pays_vouchers_on_that_very_channel(paying, cli):
    from x402.http import decode_payment_signature_header

    chain, payer, url, node = paying
    first_block = chain.w3.eth.block_number + 1
    opened = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "2", "--node", url))
    assert opened["sent"] is True and opened["channel"]["node"] == url
    channel_id = opened["channel"]["id"]
    assert opened["channel"]["operator"] == accounts.get("node-operator").address
    assert _state(chain, channel_id) == (2 * OPG, 0)
    assert _opg(chain, payer.address) == WALLET_OPG - 2 * OPG
    [row] = _status(cli)  # from the local index: the node is not asked
    assert (row["channel_id"], row["node"], row["balance_wei"], row["available_wei"]) == (channel_id, url, str(2 * OPG),
                                                                                         str(2 * OPG))
    assert row["pending_withdrawal"] is None and row["withdraw_delay_s"] == 900

    answer = sdk_channel_session(chain, payer).post(f"{url}/v1/infer", json=CALL)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["receipt"]["settlement"]["channel"] == channel_id
    paid_with = decode_payment_signature_header(answer.request.headers["PAYMENT-SIGNATURE"]).payload
    assert "voucher" in paid_with and "deposit" not in paid_with  # the SDK found the CLI's channel on chain
    assert _state(chain, channel_id) == (2 * OPG, 0)  # no new deposit
    contract = chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
    assert len(contract.events.Deposited().get_logs(from_block=first_block)) == 1  # the CLI's only
    assert _opg(chain, payer.address) == WALLET_OPG - 2 * OPG
    human = cli("pay", "channel", "status", "--node", url)
    assert human.exit_code == 0 and channel_id in human.stdout and "2 OPG" in human.stdout


def test_the_nodes_health_states_the_terms_of_its_402_and_status_reads_every_channel_in_one_call(paying, cli):
    """What `open` learns from /health is what the node's 402 offers (its minDeposit that of the
    cheapest call); `status` reads all of the account's channels in one eth_call."""
    import httpx

    from ogcli import channel_index
    from ogcli.core.channel_terms import ChannelTerms, channel_config
    from ogcli.core.channels import channel_id as channel_id_of
    from tests.chain.rpc_counter import CountingProxy

    chain, payer, url, _node = paying
    terms = httpx.get(f"{url}/health").json()["channels"]
    [offer] = [a for a in httpx.post(f"{url}/v1/infer", json=CALL).json()["accepts"] if a["scheme"] == "batch-settlement"]
    assert (terms["payTo"], terms["asset"], terms["network"]) == (offer["payTo"], offer["asset"], offer["network"])
    assert {k: terms[k] for k in ("receiverAuthorizer", "withdrawDelay")} == \
        {k: offer["extra"][k] for k in ("receiverAuthorizer", "withdrawDelay")}
    assert 0 < int(terms["minDeposit"]) <= int(offer["extra"]["minDeposit"])

    opened = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "1", "--node", url))["channel"]["id"]
    elsewhere = ChannelTerms("http://127.0.0.1:1", terms["payTo"], terms["asset"], Account.create().address, 900, None)
    config = channel_config(payer.address, elsewhere)
    other = "0x" + channel_id_of(config, 31337, BATCH_SETTLEMENT_ADDRESS).hex()
    channel_index.add(31337, channel_index.IndexedChannel(other, elsewhere.node_url, config, chain.now() + 1))
    with CountingProxy(chain.url) as proxy:
        rows = _status(cli, "--rpc-url", proxy.url)
    assert [(r["channel_id"], r["balance_wei"]) for r in rows] == [(opened, str(OPG)), (other, "0")]
    assert [m for m in proxy.round_trips if "eth_call" in m] == [["eth_call"]], proxy.round_trips


def test_dry_runs_send_nothing_and_topup_raises_the_balance(paying, cli):
    from ogcli import channel_index

    chain, payer, url, _node = paying
    refused(cli("--yes", "pay", "channel", "topup", "--amount", "1", "--node", url), "open one first")
    dry = cli("--dry-run", "pay", "channel", "open", "--amount", "0.1", "--node", url)
    assert dry.exit_code == 0 and "dry run" in dry.stdout, dry.stderr
    assert "withdraw delay" in dry.stderr and "15m" in dry.stderr and url in dry.stderr
    assert "suggests a first deposit of at least" in dry.stderr  # below the node's minDeposit: a warning only
    assert _opg(chain, payer.address) == WALLET_OPG
    assert channel_index.channels_of(31337, payer.address) == [] and _status(cli) == []

    channel_id = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "1", "--node", url))["channel"]["id"]
    refused(cli("--yes", "pay", "channel", "open", "--amount", "1", "--node", url), "already", "topup")
    dry_topup = data(cli("--json", "--dry-run", "pay", "channel", "topup", "--amount", "0.5", "--node", url))
    assert dry_topup["sent"] is False and dry_topup["channel"]["balance_wei"] == str(OPG)
    assert _state(chain, channel_id) == (OPG, 0)
    topped = data(cli("--json", "--yes", "pay", "channel", "topup", "--amount", "0.5", "--node", url))
    assert topped["channel"]["id"] == channel_id and topped["channel"]["balance_wei"] == str(OPG + OPG // 2)
    assert _state(chain, channel_id) == (OPG + OPG // 2, 0)
    assert [r["balance_wei"] for r in _status(cli, "--node", url)] == [str(OPG + OPG // 2)]
    assert _opg(chain, payer.address) == WALLET_OPG - OPG - OPG // 2


def test_withdraw_starts_refuses_to_finalize_early_then_returns_exactly_what_is_unclaimed(paying, cli):
    chain, payer, url, node = paying
    channel_id = data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "1", "--node", url))["channel"]["id"]
    answer = sdk_channel_session(chain, payer).post(f"{url}/v1/infer", json=CALL)
    assert answer.status_code == 200, answer.text[:300]
    fee = int(answer.json()["receipt"]["value_wei"])

    started = data(cli("--json", "--yes", "pay", "channel", "withdraw"))  # the one indexed channel
    assert started["withdrawal"]["state"] == "initiated" and started["withdrawal"]["amount_wei"] == str(OPG)
    finalize_after = started["withdrawal"]["finalize_after"]
    assert finalize_after == chain.w3.eth.get_block(started["block_number"])["timestamp"] + 900
    wait_until(lambda: node.outbox.counts() == {"settled": 1})  # the node claims its call at once
    [row] = _status(cli)
    assert row["claimed_wei"] == str(fee) and row["available_wei"] == str(OPG - fee)
    assert row["pending_withdrawal"] == {"amount_wei": str(OPG), "initiated_at": finalize_after - 900,
                                         "finalize_after": finalize_after, "due": False}

    nonce = chain.w3.eth.get_transaction_count(payer.address)
    early = cli("--yes", "pay", "channel", "withdraw", "--node", url)
    refused(early, "can be finalized after", "nothing was sent")
    assert chain.w3.eth.get_transaction_count(payer.address) == nonce

    chain.advance(901)
    before = _opg(chain, payer.address)
    done = data(cli("--json", "--yes", "pay", "channel", "withdraw", "--node", url))
    assert done["withdrawal"] == {"state": "finalized", "returned_wei": str(OPG - fee)}
    assert _opg(chain, payer.address) - before == OPG - fee
    assert _state(chain, channel_id) == (fee, fee)
    refused(cli("--yes", "pay", "channel", "withdraw", "--node", url), "nothing to withdraw")


def test_bad_amounts_and_amounts_above_the_balance_are_one_line_errors(paying, cli):
    chain, payer, url, _node = paying
    for amount, why in (("0", "greater than zero"), ("-1", "negative"), ("1e3", "exponents"), ("abc", "not a number"),
                        ("0.0000000000000000001", "18 decimals")):
        refused(cli("--yes", "pay", "channel", "open", "--amount", amount, "--node", url), why)
    refused(cli("--yes", "pay", "channel", "open", "--amount", "10.5", "--node", url),
            "more than the 10 OPG this account holds")
    as_json = cli("--json", "--yes", "pay", "channel", "open", "--amount", "11", "--node", url)
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["error"]["code"] == "usage"
    data(cli("--json", "--yes", "pay", "channel", "open", "--amount", "1", "--node", url))
    refused(cli("--yes", "pay", "channel", "withdraw", "--amount", "1.5", "--node", url),
            "more than the 1 OPG available")
    assert _opg(chain, payer.address) == WALLET_OPG - OPG


# ---------------------------------------------------------------------- nodes without usable terms


@contextlib.contextmanager
def _fake_node(health: dict):
    """An HTTP server whose /health answers `health`: a node this test writes the terms of."""
    body = json.dumps(health).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    with serving(Handler) as url:
        yield url


@pytest.fixture
def payer_on_bare_chain(devnet_profile, cli, monkeypatch):
    return devnet_profile, _payer(devnet_profile, cli, monkeypatch)


def _terms(chain, **changes) -> dict:
    offer = {"scheme": "batch-settlement", "network": "eip155:31337", "payTo": chain.protocol.settlement.address,
             "asset": chain.protocol.token.address, "receiverAuthorizer": accounts.get("node-operator").address,
             "withdrawDelay": 900, "minDeposit": str(OPG)}
    return {"ok": True, "chain_id": 31337, "channels": {**offer, **changes}}


@pytest.mark.parametrize("case, needle", [
    ("no channels", "takes no channel payments"),
    ("wrong payTo", "not to this network's settlement contract"),
    ("wrong asset", "not in this network's OPG"),
])
def test_a_node_without_usable_channel_terms_is_refused_before_anything_is_signed(payer_on_bare_chain, cli, case,
                                                                                    needle):
    chain, payer = payer_on_bare_chain
    stranger = Account.create().address
    health = {"no channels": {"ok": True, "chain_id": 31337}, "wrong payTo": _terms(chain, payTo=stranger),
              "wrong asset": _terms(chain, asset=stranger)}[case]
    with _fake_node(health) as url:
        result = cli("--yes", "pay", "channel", "open", "--amount", "1", "--node", url)
    assert result.exit_code == 1 and result.stdout == "", result.stderr
    assert needle in result.stderr and "nothing was signed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _opg(chain, payer.address) == WALLET_OPG


def test_an_unreachable_node_and_a_url_that_is_none_are_one_line_errors(payer_on_bare_chain, cli):
    chain, payer = payer_on_bare_chain
    gone = cli("--yes", "pay", "channel", "open", "--amount", "1", "--node", f"http://127.0.0.1:{free_port()}")
    assert gone.exit_code == 3 and gone.stdout == "" and "cannot reach the node" in gone.stderr
    assert len(gone.stderr.strip().splitlines()) == 1
    refused(cli("--yes", "pay", "channel", "topup", "--amount", "1", "--node", "ftp://node"), "is not a node URL")
    with _fake_node({"ok": True}) as url:
        not_a_node = cli("pay", "channel", "status", "--node", url + "/nowhere")
    assert not_a_node.exit_code == 3 and "answered HTTP 404" in not_a_node.stderr
    assert _opg(chain, payer.address) == WALLET_OPG


def test_status_with_no_channels_says_so(payer_on_bare_chain, cli):
    assert _status(cli) == []
    human = cli("pay", "channel", "status")
    assert human.exit_code == 0 and "no channels" in human.stdout
