"""Model Hub from the terminal on the seeded devnet: push, list, pull, price, earnings, withdraw."""

from __future__ import annotations


import pytest

from ogcli.devnet import accounts
from ogcli.devnet.models import make_mlp
from tests.cli_results import data as _data, refused as _refused, use_devnet_wallet
from tests.chain.fixtures import story_seeder

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

E18 = 10**18


@pytest.fixture
def publisher(seeded_profile, cli, monkeypatch, tmp_path):
    """Wallet `pub` (devnet holder-3's key) on the seeded chain with a local model store."""
    from ogcli import config

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        profile = config.load().profiles["seeded"]
        config.put_profile(
            "seeded", config.Profile(**{**profile.__dict__, "storage": (tmp_path / "blobs").as_uri()}), activate=True
        )
        use_devnet_wallet(cli, "pub", "holder-3")
        yield seeded_profile


def _model_file(tmp_path, seed=101, name="gas-price-mlp"):
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(make_mlp(name, "next-block gas price from 6 features", [6, 12, 1], seed, False))
    return path


def test_push_list_pull_price_earn_withdraw(publisher, cli, tmp_path):
    me = accounts.get("holder-3").address
    hub, token = publisher.protocol.hub.functions, publisher.protocol.token.functions
    model_file = _model_file(tmp_path)
    pushed = _data(cli("--json", "--yes", "model", "push", str(model_file), "--name", "gas-price-mlp",
                       "--price", "0.5", "--modes", "tee,vanilla", "--description", "gas price forecast"))
    model_id = pushed["model_id"]
    assert pushed["sent"] and pushed["version"] == 1 and model_id == hub.modelCount().call()
    assert hub.getModel(model_id).call()[3] == pushed["cid"]

    listed = _data(cli("--json", "model", "list", "--publisher", me))["models"]
    assert [(m["id"], m["name"], m["price_wei"], m["modes"]) for m in listed] == [
        (model_id, "gas-price-mlp", str(E18 // 2), ["vanilla", "tee"])
    ]
    assert _data(cli("--json", "model", "list", "--search", "GAS PRICE"))["models"][0]["id"] == model_id
    shown = _data(cli("--json", "model", "show", str(model_id)))
    assert shown["metadata"]["inputs"] == [{"name": "features", "type": "float32", "shape": [1, 6]}]
    assert shown["metadata"]["size"] == model_file.stat().st_size

    copy = tmp_path / "pulled" / "copy.onnx"
    assert _data(cli("--json", "model", "pull", str(model_id), "-o", str(copy)))["verified"] is True
    assert copy.read_bytes() == model_file.read_bytes()

    _data(cli("--json", "--yes", "model", "set-price", str(model_id), "0.75"))
    assert hub.getModel(model_id).call()[5] == 3 * E18 // 4
    history = _data(cli("--json", "model", "show", str(model_id)))["history"]
    assert [(h["event"], h.get("price_wei")) for h in history] == [
        ("ModelPublished", str(E18 // 2)), ("PriceChanged", str(3 * E18 // 4))
    ]
    # A rise applies to calls settled an hour on (calls answered at the old price settle at it).
    assert history[1]["effective_at"] == history[1]["time"] + hub.TERMS_DELAY().call()
    assert hub.callTerms(model_id, 1).call()[0] == E18 // 2
    publisher.advance(hub.TERMS_DELAY().call())
    assert hub.callTerms(model_id, 1).call()[0] == 3 * E18 // 4

    # Two settled calls at the new price: the publisher earns exactly 2 x 0.75 OPG.
    seeder = story_seeder(publisher, 2_000)  # past the seeded story's request ids
    for payer in ("delegator-5", "delegator-6"):
        seeder.settle_call(model_id, 3 * E18 // 4, accounts.get(payer), tampered=False)
    earned = _data(cli("--json", "model", "earnings"))
    assert earned["withdrawable_wei"] == str(3 * E18 // 2)
    assert earned["models"] == [{"id": model_id, "name": "gas-price-mlp", "calls": 2, "earned_wei": str(3 * E18 // 2)}]
    before = token.balanceOf(me).call()
    _data(cli("--json", "--yes", "model", "withdraw"))
    assert token.balanceOf(me).call() == before + 3 * E18 // 2
    _refused(cli("--yes", "model", "withdraw"), "no earnings")

    # A new version under the same name, then deprecation.
    v2 = _model_file(tmp_path, seed=202)
    _refused(cli("--yes", "model", "push", str(v2), "--name", "gas-price-mlp", "--price", "1"), "--new-version", "version 2")
    pushed = _data(cli("--json", "--yes", "model", "push", str(v2), "--name", "gas-price-mlp", "--price", "1", "--new-version"))
    assert (pushed["model_id"], pushed["version"]) == (model_id, 2)
    _data(cli("--json", "--yes", "model", "deprecate", str(model_id)))
    assert hub.getModel(model_id).call()[9] is True


def test_corrupted_download_is_refused_and_nothing_written(publisher, cli, tmp_path):
    model_file = _model_file(tmp_path, seed=303, name="corrupt-me")
    pushed = _data(cli("--json", "--yes", "model", "push", str(model_file), "--name", "corrupt-me", "--price", "0"))
    stored = tmp_path / "blobs" / pushed["cid"]
    corrupted = bytearray(stored.read_bytes())
    corrupted[len(corrupted) // 2] ^= 0x40
    stored.write_bytes(bytes(corrupted))
    target = tmp_path / "out" / "model.onnx"
    result = cli("model", "pull", str(pushed["model_id"]), "-o", str(target))
    assert result.exit_code == 1 and "corrupted or tampered" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_bad_input_publishes_nothing(publisher, cli, tmp_path):
    me = accounts.get("holder-3").address
    count = publisher.protocol.hub.functions.modelCount().call()
    nonce = publisher.w3.eth.get_transaction_count(me)
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"this is not a protobuf at all" * 10)
    _refused(cli("--yes", "model", "push", str(fake), "--name", "fake", "--price", "1"), "not a valid ONNX model")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    _refused(cli("--yes", "model", "push", str(empty), "--name", "empty", "--price", "1", "--format", "raw"), "is empty")
    good = _model_file(tmp_path, seed=404, name="ok")
    _refused(cli("--yes", "model", "push", str(good), "--name", "ok", "--price", "-1"))
    _refused(cli("--yes", "model", "push", str(good), "--name", "ok", "--price", "5000000"), "above ModelHub's limit")
    _refused(cli("--yes", "model", "push", str(good), "--name", "ok", "--price", "1", "--modes", "gpu"), "--modes")
    _refused(cli("--yes", "model", "push", str(good), "--name", " ", "--price", "1"), "--name")
    # The seeded devnet's model bytes are on the hub already.
    from ogcli.devnet.models import seed_models

    seeded = tmp_path / "seeded.onnx"
    seeded.write_bytes(seed_models()[0][1])
    _refused(cli("--yes", "model", "push", str(seeded), "--name", "copycat", "--price", "1"), "already model 1")
    _refused(cli("model", "show", "999"), "no model 999")
    _refused(cli("model", "pull", "999"), "no model 999")
    _refused(cli("--yes", "model", "set-price", "1", "2"), "not by")
    assert publisher.protocol.hub.functions.modelCount().call() == count
    assert publisher.w3.eth.get_transaction_count(me) == nonce


def test_a_dry_run_push_uploads_nothing_and_publishes_nothing(publisher, cli, tmp_path):
    """As issue 18 found it: `model push --dry-run` still uploaded the file (and built the zkML
    circuit). A dry run shows the plan and writes nothing anywhere."""
    hub = publisher.protocol.hub.functions
    before = hub.modelCount().call()
    model_file = _model_file(tmp_path, seed=202, name="dry-mlp")
    result = cli("--dry-run", "model", "push", str(model_file), "--name", "dry-mlp", "--price", "0.5")
    assert result.exit_code == 0, result.stderr
    assert "dry run" in (result.stdout + result.stderr).lower()
    blobs = tmp_path / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*")), "a dry run uploaded the model"
    assert hub.modelCount().call() == before
