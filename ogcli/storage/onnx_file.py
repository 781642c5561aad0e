"""Checks that a file is an ONNX model and reads its signature (inputs, outputs, opset)."""

from __future__ import annotations

from pathlib import Path


class NotOnnxError(ValueError):
    pass


def inspect(path: Path) -> dict:
    """{"inputs": [...], "outputs": [...], "opset": N, "producer": "..."}; NotOnnxError when the
    file does not parse as ONNX or fails the ONNX checker."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(model)
    except (DecodeError, onnx.checker.ValidationError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotOnnxError(f"{path.name} is not a valid ONNX model: {first[:160]}") from None
    if not model.graph.node:
        raise NotOnnxError(f"{path.name} is not a valid ONNX model: its graph is empty")
    return describe(model)


def describe_bytes(data: bytes) -> dict:
    """The signature of ONNX bytes already known to be valid (the devnet's generated models)."""
    import onnx

    return describe(onnx.load_from_string(data))


def describe(model) -> dict:
    initializers = {i.name for i in model.graph.initializer}
    return {
        "inputs": [_tensor(v) for v in model.graph.input if v.name not in initializers],
        "outputs": [_tensor(v) for v in model.graph.output],
        "opset": max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=None),
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }


def _tensor(value) -> dict:
    from onnx import helper

    tensor = value.type.tensor_type
    shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim]
    return {"name": value.name, "type": helper.tensor_dtype_to_np_dtype(tensor.elem_type).name, "shape": shape}
