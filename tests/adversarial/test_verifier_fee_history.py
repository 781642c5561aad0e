"""Fees are judged under the parameters in force when the call settled: governance raising the
protocol's cuts afterwards does not turn an honest old record invalid in the verifier's eyes
(attesting it INVALID would be a false verdict), nor in `infer verify`'s."""

from __future__ import annotations

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.node.verifier import Verifier
from tests.adversarial.test_verify_states import by_name, paid_call, report
from tests.chain.conftest import send_as
from tests.chain.test_infer_e2e import node  # noqa: F401 (carol, a node on the seeded chain, a snapshot)

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


def test_an_old_record_is_judged_under_the_parameters_of_its_time(node, cli, tmp_path):  # noqa: F811
    url, _running, chain = node
    settlement = chain.protocol.settlement
    call = paid_call(cli, url)
    old = settlement.functions.params().call()
    new = (old[0] * 2, old[1] * 2, *old[2:])  # validators' and treasury's cuts doubled by governance
    send_as(chain, chain.protocol.timelock.address, settlement.functions.setParams(new))
    assert tuple(settlement.functions.params().call()) == new

    validator = accounts.get("validator-3").local_account
    verifier = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "v.db")
    try:
        verifier.step()
        assert verifier.verdicts()[call["record_id"]] is True
        # The parameters of its time are what make it valid: judged as if it settled now, it is not.
        assert verifier.judge(_settled_args(chain, call["record_id"])).valid is False
    finally:
        verifier.stop()
    assert settlement.functions.attestationOf(call["record_id"], validator.address).call()[0] > 0

    result = cli("--json", "infer", "verify", call["request_id"], "--node", url)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert by_name(report(result))["payment split"]["ok"] is True


def _settled_args(chain, record_id: int) -> dict:
    from ogcli.chain import events as event_logs

    settlement = chain.protocol.settlement
    raw = chain.protocol.rpc.request("eth_getLogs", [event_logs.log_filter(settlement, ("InferenceSettled",), 0)])
    return next(e.args for e in event_logs.decode(settlement, ("InferenceSettled",), raw) if e.args["recordId"] == record_id)
