"""What ModelHub's `metadataURI` holds for a model pushed with ogcli: a `data:` URI of JSON, so
`model show` needs no server. Fields: description, format, size, filename, the ONNX signature
(inputs and outputs with element type and shape), opset, producer, and where an IPFS node keeps
the bytes when its name for them differs from the CID (files larger than one block).
"""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

PREFIX = "data:application/json,"
MAX_URI_BYTES = 8192  # on chain: the publisher pays for every byte
MODES = {"vanilla": 1, "tee": 2, "zkml": 4}


def encode(fields: dict) -> str:
    """ValueError when the URI would exceed MAX_URI_BYTES (a model with thousands of inputs)."""
    kept = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    uri = PREFIX + quote(json.dumps(kept, separators=(",", ":"), ensure_ascii=False), safe="")
    if len(uri.encode()) > MAX_URI_BYTES:
        raise ValueError(f"model metadata is {len(uri.encode())} bytes encoded; the limit is {MAX_URI_BYTES}")
    return uri


def parse(uri: str) -> dict:
    """The metadata fields; `{"uri": uri}` for anything not written by ogcli (never raises)."""
    if uri.startswith(PREFIX):
        try:
            data = json.loads(unquote(uri[len(PREFIX) :]))
        except ValueError:
            return {"uri": uri}
        return data if isinstance(data, dict) else {"uri": uri}
    return {"uri": uri} if uri else {}


def parse_modes(text: str) -> int:
    """'tee,zkml' -> the ModelHub bit mask; ValueError for unknown or no modes."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODES]
    if unknown or not names:
        raise ValueError(f"--modes takes a comma list of {', '.join(MODES)}, not {text!r}")
    mask = 0
    for name in names:
        mask |= MODES[name]
    return mask


def mode_names(mask: int) -> list[str]:
    return [name for name, bit in MODES.items() if mask & bit]


def signature_text(tensors: list[dict]) -> str:
    """'features float32[1,8]' style, for tables."""
    return ", ".join(f"{t['name']} {t['type']}[{','.join(str(d) for d in t['shape'])}]" for t in tensors)
