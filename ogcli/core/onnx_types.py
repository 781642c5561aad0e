"""ONNX input types as the numpy dtypes a request's JSON is converted to: the one table the node
that runs a model and the verifier that re-runs it both read, so an honest call re-runs on the
very tensors it ran on (two tables once disagreed on bool, and every honest call of a model with
boolean inputs was judged invalid)."""

from __future__ import annotations

# onnxruntime names a session's input types "tensor(<onnx type>)".
NUMPY_DTYPE = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(bool)": "bool",
}
INPUT_DTYPES = frozenset(NUMPY_DTYPE.values())  # the dtypes a model's metadata may name for an input
FALLBACK_DTYPE = "float32"  # other types: fed as float32, which onnxruntime then refuses by name


def numpy_dtype(onnx_type: str) -> str:
    """The numpy dtype an input of `onnx_type` ("tensor(float)", ...) is fed as."""
    return NUMPY_DTYPE.get(onnx_type, FALLBACK_DTYPE)
