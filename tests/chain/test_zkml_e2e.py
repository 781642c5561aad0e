"""zkML end to end with the real ezkl: a publisher pushes a model with its circuit, a caller pays
for a ZKML call and gets a proof, and the proof is checked by `infer verify` and by the verifier
role; tampering with any part of it is caught. Without ezkl, zkML is refused, never faked."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from ogcli.core.model_metadata import MODES
from tests.chain.test_infer_e2e import node  # noqa: F401 (the paid-call fixture: carol, a node, a snapshot)
from tests.cli_results import data as _data, refused

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

FEATURES = {"features": [[0.3, -1.2, 0.5, 0.05, 2.0, -0.7, 0.1, 0.9]]}


def _model_file(tmp_path):
    from ogcli.devnet.models import make_mlp

    path = tmp_path / "zk-vol.onnx"
    path.write_bytes(make_mlp("zk-vol", "volatility forecast, provable", [8, 16, 1], 99, False))
    return path


def _plain_outputs(path) -> list[float]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    [out] = session.run(None, {"features": np.asarray(FEATURES["features"], dtype=np.float32)})
    return out.reshape(-1).astype(float).tolist()


def test_a_zkml_call_is_proven_and_the_proof_checked_by_caller_and_verifier(node, cli, tmp_path):  # noqa: F811
    pytest.importorskip("ezkl", reason="the zkml extra is installed by `make test`")
    url, running, chain = node
    model_file = _model_file(tmp_path)
    pushed = _data(cli("--json", "--yes", "model", "push", str(model_file), "--name", "zk-vol", "--price", "0.1",
                       "--modes", "tee,zkml"))
    model_id = pushed["model_id"]
    block = _data(cli("--json", "model", "show", str(model_id)))["metadata"]["zkml"]
    assert set(block) == {"settings", "circuit", "vk", "pk", "srs", "inputs", "outputs"}
    assert block["inputs"] == ["features"] and block["outputs"] == ["prediction"]

    answer = cli("--json", "--yes", "infer", "run", "--node", url, "--model", str(model_id), "--mode", "zkml",
                 "--input", json.dumps(FEATURES))
    result = _data(answer)
    assert result["settlement"] == "settled"
    assert result["receipt"]["mode"] == MODES["zkml"]
    proven = result["outputs"]["prediction"][0]
    assert np.allclose(proven, _plain_outputs(model_file), atol=1e-3)  # the circuit's fixed point, close to float
    record_id = result["record_id"]
    assert chain.protocol.settlement.functions.recordState(record_id).call()[0] != b"\0" * 32

    # The caller checks the proof: from the saved answer, and fetched from the node.
    saved = tmp_path / "answer.json"
    saved.write_text(answer.stdout)
    for extra in (["--response", str(saved)], []):
        report = _data(cli("--json", "infer", "verify", result["request_id"], "--node", url, *extra))
        checks = {c["name"]: c for c in report["checks"]}
        assert report["verified"] is True and checks["zkML proof"]["ok"] is True, checks

    # A tampered answer: the output no longer matches the record, nor the proof.
    tampered = json.loads(saved.read_text())
    tampered["data"]["output"]["prediction"][0][0] += 0.5
    saved.write_text(json.dumps(tampered))
    failed = cli("--json", "infer", "verify", result["request_id"], "--node", url, "--response", str(saved))
    assert failed.exit_code == 1
    checks = {c["name"]: c for c in json.loads(failed.stdout)["data"]["checks"]}
    assert checks["zkML proof"]["ok"] is False and "output" in checks["zkML proof"]["detail"]

    # The verifier role judges the record from the node's published bundle.
    from ogcli import context
    from ogcli.chain.receipts import find
    from ogcli.verify import zkml
    from ogcli.storage.blobs import open_store
    from ogcli.verify.judges import KeptCalls, ZkJudge

    store = open_store(context.resolve_network().storage)
    judge = ZkJudge(KeptCalls(chain.protocol, store, tmp_path / "cache", node_url=url))
    record = find(chain.protocol, result["request_id"]).record
    assert judge.reasons(record) == []
    from ogcli.chain.sender import Sender
    from ogcli.devnet import accounts
    from ogcli.node.verifier import Verifier

    validator = accounts.get("validator-3").local_account
    verifier = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "verifier.db", zk=judge)
    verifier.step()
    assert verifier.verdicts()[record_id] is True
    assert chain.protocol.settlement.functions.attestationOf(record_id, validator.address).call()[1] is True
    verifier.stop()
    blind = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "blind.db")  # no way to check proofs
    assert blind.judge(_settled_args(chain, record_id)).valid is None  # it abstains rather than guess
    blind.stop()

    lying = {**record, "outputHash": b"\x11" * 32}
    assert judge.reasons(lying) == ["the published output is not the one the record hashes"]

    bundle = httpx.get(f"{url}/v1/calls/{result['request_id']}").json()
    circuit = zkml.fetch(block, store, tmp_path / "cache" / "zk", with_pk=False)
    forged = json.loads(json.dumps(bundle))
    forged["proof"]["instances"][0][-1] = zkml._ezkl().float_to_felt(proven[0] + 1.0, circuit.settings["model_output_scales"][0],
                                                                      zkml._ezkl().PyInputType.F64)
    assert any("does not verify" in r for r in zkml.check_bundle(forged, record, circuit, block))
    other_input = json.loads(json.dumps(bundle))
    other_input["input"]["inputs"]["features"][0][0] += 1.0
    assert "the published input is not the one the record hashes" in zkml.check_bundle(other_input, record, circuit, block)
    assert httpx.get(f"{url}/v1/calls/0x{'00' * 32}").status_code == 404


def _settled_args(chain, record_id: int) -> dict:
    from ogcli.chain import events as event_logs

    settlement = chain.protocol.settlement
    raw = chain.protocol.rpc.request("eth_getLogs", [event_logs.log_filter(settlement, ("InferenceSettled",), 0)])
    return next(e.args for e in event_logs.decode(settlement, ("InferenceSettled",), raw) if e.args["recordId"] == record_id)


def test_zkml_is_refused_not_faked_without_ezkl(node, cli, tmp_path, monkeypatch):  # noqa: F811
    url, running, chain = node
    from ogcli.verify import zkml

    monkeypatch.setattr(zkml, "available", lambda: False)
    model_file = _model_file(tmp_path)
    before = chain.protocol.hub.functions.modelCount().call()
    refused(cli("--yes", "model", "push", str(model_file), "--name", "zk-vol", "--price", "0.1", "--modes", "zkml"),
            "needs ezkl")
    refused(cli("--yes", "model", "push", str(model_file), "--name", "zk-vol", "--price", "0.1", "--modes", "zkml",
                "--format", "raw"), "needs an ONNX model")
    assert chain.protocol.hub.functions.modelCount().call() == before  # nothing published

    running.modes = ["vanilla", "tee"]  # what a node without ezkl offers
    answer = httpx.post(f"{url}/v1/infer", json={"model": 2, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}, "mode": "zkml"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_mode"
    assert sum(running.outbox.counts().values()) == 0  # nothing charged
