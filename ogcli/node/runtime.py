"""Runs hub models: fetches their bytes by CID (verified), loads ONNX models into onnxruntime,
checks inputs against the model's signature, and runs them. Sessions are cached per CID.

An input is checked twice: before the payment, against the signature the publisher recorded in
the model's on-chain metadata (nothing fetched or loaded for a call nobody paid for), and after,
against the loaded session's own (the metadata is the publisher's word; the session is the model).
Loads are serialized per CID, not globally: a slow download of one model holds up only the calls
that want that model, and a model many calls want at once is fetched and loaded once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ogcli.core.onnx_types import FALLBACK_DTYPE, INPUT_DTYPES, numpy_dtype
from ogcli.storage.blobs import BlobStore
from ogcli.storage.cid import CidError, cid_from_digest, digest_of_cid

MAX_INPUT_ELEMENTS = 65_536  # a request's tensors together; larger inputs are refused with 413

Signature = dict[str, tuple[str, list]]  # input name -> (numpy dtype name, shape with None for free dims)


class InputError(ValueError):
    """The request's input does not fit the model (HTTP 400, or 413 when too large)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class LoadedModel:
    cid: str
    session: object  # onnxruntime.InferenceSession
    inputs: Signature
    outputs: list[str]


def checked_cid(cid: str) -> str:
    """`cid` if it is a raw sha2-256 CIDv1 in its canonical base32 form (`bafkrei...`, letters and
    digits only), the only text the node lets name a file; CidError otherwise. A CID on chain is
    anyone's text: `../../x` or `/etc/passwd` must never become a path, and another multibase
    spelling of the same digest would be another file name."""
    digest = digest_of_cid(cid)
    if cid != cid_from_digest(digest):
        raise CidError(f"{cid!r} is not in the canonical form of its CID ({cid_from_digest(digest)})")
    return cid


def signature_of(metadata: dict) -> Signature | None:
    """The input signature a publisher recorded in the model's metadata (`ogcli model push`
    writes it), as the session would report it; None when the metadata has none usable."""
    tensors = metadata.get("inputs")
    if not isinstance(tensors, list) or not tensors:
        return None
    signature: Signature = {}
    for tensor in tensors:
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str) or not isinstance(tensor.get("shape"), list):
            return None
        dtype = tensor.get("type") if tensor.get("type") in INPUT_DTYPES else FALLBACK_DTYPE
        signature[tensor["name"]] = (dtype, [d if isinstance(d, int) and d > 0 else None for d in tensor["shape"]])
    return signature


def check_inputs(signature: Signature, inputs) -> dict:
    """The inputs as numpy arrays (name -> array) if they fit `signature`: exactly its names,
    numeric, of its shapes, finite in its dtypes, MAX_INPUT_ELEMENTS in all; InputError if not."""
    import numpy as np

    if not isinstance(inputs, dict) or set(inputs) != set(signature):
        raise InputError(f"inputs must be an object with exactly {sorted(signature)}")
    feeds = {}
    total = 0
    for name, (dtype, shape) in signature.items():
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is found below, as non-finite values
                array = np.asarray(inputs[name], dtype=dtype)
        except (ValueError, TypeError, OverflowError):
            raise InputError(f"input {name!r} is not a numeric {dtype} tensor") from None
        total += array.size
        if total > MAX_INPUT_ELEMENTS:
            raise InputError(f"inputs exceed {MAX_INPUT_ELEMENTS} elements", status=413)
        if array.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, array.shape)):
            expected = "[" + ",".join("?" if s is None else str(s) for s in shape) + "]"
            raise InputError(f"input {name!r} has shape {list(array.shape)}, the model takes {expected}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise InputError(f"input {name!r} holds values a {dtype} cannot represent (too large for its range)")
        feeds[name] = array
    return feeds


class Runtime:
    def __init__(self, store: BlobStore, cache_dir: Path) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self._loaded: dict[str, LoadedModel] = {}
        self._locks: dict[str, threading.Lock] = {}  # one per CID being (or once) loaded
        self._locks_lock = threading.Lock()  # guards only the dict above, never a load

    def load(self, cid: str, locator: str | None = None) -> LoadedModel:
        """The session of model `cid`, fetched (verified) and loaded on first use; CidError for a
        CID that is not canonical, before the store or the file system sees it."""
        cid = checked_cid(cid)
        loaded = self._loaded.get(cid)
        if loaded is not None:
            return loaded
        with self._lock_for(cid):
            if cid not in self._loaded:  # another call may have loaded it while this one waited
                self._loaded[cid] = self._load(cid, locator)
            return self._loaded[cid]

    def _lock_for(self, cid: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(cid, threading.Lock())

    def _load(self, cid: str, locator: str | None) -> LoadedModel:
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
            i.name: (numpy_dtype(i.type), [d if isinstance(d, int) else None for d in i.shape])
            for i in session.get_inputs()
        }
        return LoadedModel(cid, session, inputs, [o.name for o in session.get_outputs()])

    def run(self, model: LoadedModel, inputs: dict) -> dict:
        import numpy as np

        feeds = check_inputs(model.inputs, inputs)
        results = model.session.run(model.outputs, feeds)
        for name, value in zip(model.outputs, results):
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                # No JSON number says NaN or infinity, and no record could hash it: refused
                # before the call is recorded, so nothing is charged.
                raise InputError(f"the model's output {name!r} for this input is not finite", status=422)
        return {name: _plain(value) for name, value in zip(model.outputs, results)}


def _plain(array) -> list:
    """Outputs as JSON numbers, rounded to float32's precision so that the hash is stable."""
    import numpy as np

    if array.dtype.kind == "f":
        return np.round(array.astype(np.float64), 6).tolist()
    return array.tolist()
