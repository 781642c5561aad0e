"""Sampled re-execution: a verifier re-runs ONNX calls from what the node keeps public and
attests a call invalid when the model does not give the node's answer."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.chain.test_infer_e2e import node  # noqa: F401 (the paid-call fixture: carol, a node, a snapshot)
from tests.cli_results import data as _data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}


def _judges(chain, url, tmp_path, rate=1.0):
    from ogcli import context
    from ogcli.storage.blobs import open_store
    from ogcli.verify.judges import KeptCalls, ReExecutor

    calls = KeptCalls(chain.protocol, open_store(context.resolve_network().storage), tmp_path / "cache", node_url=url)
    return calls, ReExecutor(calls, rate, b"test salt")


def _record(chain, request_id):
    from ogcli.chain.receipts import find

    return find(chain.protocol, request_id).record


def test_an_honest_call_re_runs_to_the_same_answer_and_a_lying_node_is_caught(node, cli, tmp_path):  # noqa: F811
    url, running, chain = node
    honest = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES)))
    kept = httpx.get(f"{url}/v1/calls/{honest['request_id']}").json()
    assert kept == {"input": {"model": 2, "inputs": FEATURES}, "outputs": honest["outputs"]}
    calls, rerun = _judges(chain, url, tmp_path)
    assert rerun.reasons(_record(chain, honest["request_id"])) == []
    assert rerun.reran == 1

    # A test double of a dishonest node: it answers (and signs, and settles) a made-up output.
    real = running.run_onnx

    def lying(model, inputs):
        outputs = real(model, inputs)
        outputs["probabilities"][0] = [1.0, 0.0, 0.0]
        return outputs

    running.run_onnx = lying
    try:
        lie = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES)))
    finally:
        del running.run_onnx
    assert lie["settlement"] == "settled" and lie["outputs"]["probabilities"][0] == [1.0, 0.0, 0.0]
    record = _record(chain, lie["request_id"])
    assert rerun.reasons(record) == ["re-running the model gives another 'probabilities' than the node answered"]

    # The verifier attests it invalid, and the honest call valid.
    from ogcli.chain.sender import Sender
    from ogcli.devnet import accounts
    from ogcli.node.verifier import Verifier
    from ogcli.verify.judges import ZkJudge

    validator = accounts.get("validator-3").local_account
    verifier = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "v.db", zk=ZkJudge(calls), rerun=rerun)
    verifier.step()
    verdicts = verifier.verdicts()
    verifier.stop()
    assert verdicts[lie["record_id"]] is False and verdicts[honest["record_id"]] is True
    assert chain.protocol.settlement.functions.attestationOf(lie["record_id"], validator.address).call()[1] is False

    # A node that does not keep the call (it answers 404): it cannot be re-run, the node's failure.
    (running.calls_dir / f"{lie['request_id']}.json").unlink()
    assert rerun.reasons(record) == ["the node does not publish the input of this call, so it cannot be re-run"]
    # A node that cannot be reached now: no verdict at all (the round is retried), not INVALID.
    from ogcli.errors import NetworkError

    _calls, cut_off = _judges(chain, "http://127.0.0.1:9", tmp_path)
    with pytest.raises(NetworkError):
        cut_off.reasons(record)


def test_sampling_is_a_fair_share_and_each_verifier_draws_its_own(node, tmp_path):  # noqa: F811
    from ogcli.verify.judges import ReExecutor

    url, _running, chain = node
    calls, _ = _judges(chain, url, tmp_path)
    records = [{"requestId": i.to_bytes(32, "big")} for i in range(2_000)]
    from ogcli.verify.judges import sampling_salt

    salt = sampling_salt(tmp_path / "verifier")
    assert sampling_salt(tmp_path / "verifier") == salt and len(salt) == 32  # made once, then kept
    assert (tmp_path / "verifier" / "sampling-salt").stat().st_mode & 0o077 == 0  # private
    mine = ReExecutor(calls, 0.25, salt)
    theirs = ReExecutor(calls, 0.25, sampling_salt(tmp_path / "another-verifier"))
    picked = {i for i, r in enumerate(records) if mine.sampled(r)}
    assert 400 < len(picked) < 600  # a quarter, give or take
    assert picked == {i for i, r in enumerate(records) if mine.sampled(r)}  # deterministic
    assert picked != {i for i, r in enumerate(records) if theirs.sampled(r)}  # but not the same for everyone
    assert not any(ReExecutor(calls, 0.0, salt).sampled(r) for r in records)
    with pytest.raises(ValueError, match="fraction"):
        ReExecutor(calls, 1.5, salt)


def _flags_model(path):
    """A model of boolean inputs (flags [1, 4] -> their float values), generated here."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Cast", ["flags"], ["as_float"], to=TensorProto.FLOAT)], "bool-flags",
        [helper.make_tensor_value_info("flags", TensorProto.BOOL, [1, 4])],
        [helper.make_tensor_value_info("as_float", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, producer_name="ogcli-test", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString(deterministic=True))
    return path


def test_an_honest_call_of_a_model_with_boolean_inputs_re_runs_to_the_same_answer(node, cli, tmp_path):  # noqa: F811
    """The node feeds a tensor(bool) input as bool; the verifier must re-run it the same way, or
    every honest call of such a model is attested invalid."""
    url, _running, chain = node
    pushed = _data(cli("--json", "--yes", "model", "push", str(_flags_model(tmp_path / "flags.onnx")),
                       "--name", "bool-flags", "--price", "0"))
    flags = {"flags": [[True, False, True, True]]}
    answer = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", str(pushed["model_id"]),
                       "--input", json.dumps(flags)))
    assert answer["outputs"] == {"as_float": [[1.0, 0.0, 1.0, 1.0]]}
    _calls, rerun = _judges(chain, url, tmp_path)
    assert rerun.reasons(_record(chain, answer["request_id"])) == []
    assert rerun.reran == 1
