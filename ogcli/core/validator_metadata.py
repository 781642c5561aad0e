"""A validator's public description (name, website, security contact), stored on chain as a
`data:` URI so that it needs no server: `data:application/json,<percent-encoded JSON>`.

Older and hand-written forms are read too: `data:,Name: free text` gives the name and a
description; any other URI (https://, ipfs://) is kept as `uri`.
"""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

JSON_PREFIX = "data:application/json,"
TEXT_PREFIX = "data:,"
FIELDS = ("name", "website", "security_contact", "details")
MAX_URI_BYTES = 2048  # metadata is stored on chain; the writer pays for every byte


def encode_metadata(fields: dict[str, str]) -> str:
    """The URI for `fields` (unknown keys and empty values are dropped); raises ValueError when
    it would be longer than MAX_URI_BYTES."""
    kept = {k: fields[k].strip() for k in FIELDS if fields.get(k, "").strip()}
    uri = JSON_PREFIX + quote(json.dumps(kept, separators=(",", ":"), ensure_ascii=False), safe="")
    if len(uri.encode()) > MAX_URI_BYTES:
        raise ValueError(f"metadata is {len(uri.encode())} bytes encoded; the limit is {MAX_URI_BYTES}")
    return uri


def parse_metadata(uri: str) -> dict[str, str]:
    """The fields of a metadata URI; never raises (a malformed one gives `{"uri": uri}`)."""
    if uri.startswith(JSON_PREFIX):
        try:
            data = json.loads(unquote(uri[len(JSON_PREFIX) :]))
        except ValueError:
            return {"uri": uri}
        if isinstance(data, dict):
            return {k: str(data[k]) for k in FIELDS if isinstance(data.get(k), (str, int, float))}
        return {"uri": uri}
    if uri.startswith(TEXT_PREFIX):
        name, _, details = unquote(uri[len(TEXT_PREFIX) :]).partition(":")
        fields = {"name": name.strip()}
        if details.strip():
            fields["details"] = details.strip()
        return fields
    return {"uri": uri} if uri else {}
