"""A governance fee change never costs the node a call (issue 14): the node caches the settlement's
fee parameters for its quotes, so a call paid at the old price right after `setParams` used to be
accepted, run, and then refused at settlement (`Underpaid`): the caller got an answer for free and
the node did the work for nothing. A paid call is now checked against the parameters read when it
arrives: the stale payment is refused (402, nothing run, nothing pulled), and the next call pays
the new price and settles."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from tests.adversarial.test_verify_states import FEATURES, paid_call
from tests.chain.conftest import send_as
from tests.chain.test_infer_e2e import node  # noqa: F401 (carol, a node on the seeded chain, a snapshot)

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


def test_a_call_paid_at_the_old_price_is_refused_before_it_runs(node, cli):  # noqa: F811
    url, running, chain = node
    settlement, token = chain.protocol.settlement.functions, chain.protocol.token.functions
    payer = accounts.get("delegator-1").address
    first = paid_call(cli, url)  # the node now holds the fee parameters in its cache
    old = settlement.params().call()
    send_as(chain, chain.protocol.timelock.address, settlement.setParams((old[0] * 2, old[1] * 2, *old[2:])))

    balance, settled = token.balanceOf(payer).call(), settlement.recordCount().call()
    stale = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES))
    error = json.loads(stale.stdout)
    assert stale.exit_code != 0 and error["ok"] is False
    assert "refused the payment" in error["error"]["message"] and "costs" in error["error"]["message"], error
    assert running.outbox.counts().get("failed", 0) == 0  # nothing was run and left unpaid
    assert (token.balanceOf(payer).call(), settlement.recordCount().call()) == (balance, settled)

    again = paid_call(cli, url)  # quoted and paid at the new price: settles
    assert again["record_id"] == settled + 1
    assert int(again["price_wei"]) > int(first["price_wei"])
