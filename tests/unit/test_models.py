"""The devnet's ONNX models are valid and reproducible byte for byte."""

import onnx

from ogcli.devnet import models


def test_models_are_valid_onnx_and_deterministic():
    first = models.seed_models()
    models.seed_models.cache_clear()
    second = models.seed_models()
    assert [b for _, b in first] == [b for _, b in second]
    names = [name for name, _ in first]
    assert len(set(names)) == len(names) == 3
    for _, blob in first:
        onnx.checker.check_model(onnx.load_from_string(blob))
