"""Runs hub models: fetches their bytes by CID (verified), loads ONNX models into onnxruntime,
checks inputs against the recorded signature, and runs them. Sessions are cached per CID."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ogcli.storage.blobs import BlobStore

MAX_INPUT_ELEMENTS = 65_536  # a request's tensors together; larger inputs are refused with 413


class InputError(ValueError):
    """The request's input does not fit the model (HTTP 400, or 413 when too large)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class LoadedModel:
    cid: str
    session: object  # onnxruntime.InferenceSession
    inputs: dict[str, tuple[str, list]]  # name -> (numpy dtype name, shape with None for free dims)
    outputs: list[str]


class Runtime:
    def __init__(self, store: BlobStore, cache_dir: Path) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self._loaded: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()

    def load(self, cid: str, locator: str | None = None) -> LoadedModel:
        with self._lock:
            if cid in self._loaded:
                return self._loaded[cid]
            path = self.cache_dir / cid
            if not path.exists():
                if locator and hasattr(self.store, "hint"):
                    self.store.hint(cid, locator)
                self.store.fetch_to(cid, path)  # verified against the CID, or nothing written
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1  # many small requests, not one big one
            session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            inputs = {
                i.name: (_numpy_type(i.type), [d if isinstance(d, int) else None for d in i.shape])
                for i in session.get_inputs()
            }
            loaded = LoadedModel(cid, session, inputs, [o.name for o in session.get_outputs()])
            self._loaded[cid] = loaded
            return loaded

    def run(self, model: LoadedModel, inputs: dict) -> dict:
        import numpy as np

        if not isinstance(inputs, dict) or set(inputs) != set(model.inputs):
            raise InputError(f"inputs must be an object with exactly {sorted(model.inputs)}")
        feeds = {}
        total = 0
        for name, (dtype, shape) in model.inputs.items():
            try:
                array = np.asarray(inputs[name], dtype=dtype)
            except (ValueError, TypeError):
                raise InputError(f"input {name!r} is not a numeric {dtype} tensor") from None
            total += array.size
            if total > MAX_INPUT_ELEMENTS:
                raise InputError(f"inputs exceed {MAX_INPUT_ELEMENTS} elements", status=413)
            if array.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, array.shape)):
                expected = "[" + ",".join("?" if s is None else str(s) for s in shape) + "]"
                raise InputError(f"input {name!r} has shape {list(array.shape)}, the model takes {expected}")
            feeds[name] = array
        results = model.session.run(model.outputs, feeds)
        return {name: _plain(value) for name, value in zip(model.outputs, results)}


def _numpy_type(onnx_type: str) -> str:
    # "tensor(float)" -> float32 and so on
    inner = onnx_type.removeprefix("tensor(").removesuffix(")")
    return {"float": "float32", "double": "float64", "int64": "int64", "int32": "int32", "bool": "bool"}.get(inner, "float32")


def _plain(array) -> list:
    """Outputs as JSON numbers, rounded to float32's precision so that the hash is stable."""
    import numpy as np

    if array.dtype.kind == "f":
        return np.round(array.astype(np.float64), 6).tolist()
    return array.tolist()
