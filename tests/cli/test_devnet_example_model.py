"""`ogcli devnet example-model FILE`: a real ONNX model to try `model push` with, one per seed."""

from __future__ import annotations

import onnx

from ogcli.errors import ExitCode


def test_example_models_are_valid_onnx_and_differ_by_seed(cli, tmp_path):
    first, second = tmp_path / "a.onnx", tmp_path / "b.onnx"
    assert cli("devnet", "example-model", str(first), "--seed", "7").exit_code == 0
    assert cli("devnet", "example-model", str(second), "--seed", "8").exit_code == 0
    onnx.checker.check_model(onnx.load(str(first)))
    assert [i.name for i in onnx.load(str(first)).graph.input] == ["features"]
    assert first.read_bytes() != second.read_bytes()
    (tmp_path / "again").mkdir()
    again = tmp_path / "again" / "a.onnx"
    assert cli("devnet", "example-model", str(again), "--seed", "7").exit_code == 0
    assert again.read_bytes() == first.read_bytes()  # the same seed, the same model


def test_an_existing_file_is_never_replaced(cli, tmp_path):
    taken = tmp_path / "mine.onnx"
    taken.write_bytes(b"my own model")
    result = cli("devnet", "example-model", str(taken))
    assert result.exit_code == ExitCode.USAGE and "exists; nothing was written" in result.stderr
    assert taken.read_bytes() == b"my own model"
