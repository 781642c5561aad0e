"""One ONNX input-type table (ogcli/core/onnx_types.py) for the node and the verifier, in step
with onnx's own element-type mapping, which `model push` writes into a model's metadata."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from ogcli.core.onnx_types import FALLBACK_DTYPE, INPUT_DTYPES, NUMPY_DTYPE, numpy_dtype


def test_each_type_maps_as_onnx_maps_it():
    for onnx_type, dtype in NUMPY_DTYPE.items():
        element = getattr(TensorProto, {"float": "FLOAT", "double": "DOUBLE", "int64": "INT64", "int32": "INT32",
                                        "bool": "BOOL"}[onnx_type[len("tensor("):-1]])
        assert helper.tensor_dtype_to_np_dtype(element) == np.dtype(dtype), onnx_type


def test_other_types_fall_back_and_metadata_dtypes_are_the_tables():
    assert numpy_dtype("tensor(float16)") == FALLBACK_DTYPE == "float32"
    assert numpy_dtype("tensor(bool)") == "bool"
    assert INPUT_DTYPES == {"float32", "float64", "int64", "int32", "bool"}
