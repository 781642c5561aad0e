"""Off-chain signatures with a wallet's key: EIP-191 messages and EIP-712 typed data, signed
exactly as `cast wallet sign` signs them (the same bytes for the same key and input).

A message that starts with 0x is hex and signed as those bytes, as cast does; anything else is
signed as its UTF-8 text. Typed data is the JSON of `eth_signTypedData_v4` (types, primaryType,
domain, message), read from a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ogcli.errors import UsageError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

MAX_TYPED_DATA_BYTES = 1 << 20  # a typed-data document is a few hundred bytes; refuse what is not one


@dataclass(frozen=True)
class TypedDataSummary:
    """What a person needs to see before signing typed data: whose domain, on which chain."""

    primary_type: str
    domain_name: str
    chain_id: int | None
    verifying_contract: str


def message_bytes(message: str) -> bytes:
    """The bytes `message` stands for: hex after 0x (cast's rule), else its UTF-8 text."""
    if not message.startswith("0x"):
        return message.encode()
    try:
        return bytes.fromhex(message[2:])
    except ValueError:
        raise UsageError(f"{message[:20]!r}… starts with 0x but is not hex (cast's rule: 0x means hex bytes)") from None


def sign_message(account: LocalAccount, message: bytes) -> bytes:
    """The EIP-191 (personal_sign) signature of `message`: r || s || v, v in {27, 28}."""
    from eth_account.messages import encode_defunct

    return bytes(account.sign_message(encode_defunct(primitive=message)).signature)


def read_typed_data(path: Path) -> dict:
    """The typed-data document in `path`, checked to have the four parts EIP-712 signs."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TYPED_DATA_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"no typed-data file at {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_TYPED_DATA_BYTES:
        raise UsageError(f"{path} is over {MAX_TYPED_DATA_BYTES} bytes: not a typed-data document")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UsageError(f"{path} is not JSON") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path} is not a typed-data document (a JSON object with types, primaryType, domain, message)")
    missing = [k for k in ("types", "primaryType", "domain", "message") if k not in document]
    if missing:
        raise UsageError(f"{path} is not a typed-data document: no {', '.join(missing)}")
    if not isinstance(document["types"], dict) or document["primaryType"] not in document["types"]:
        raise UsageError(f"{path}: primaryType {document['primaryType']!r} is not one of its types")
    if not isinstance(document["domain"], dict) or not isinstance(document["message"], dict):
        raise UsageError(f"{path}: domain and message must be JSON objects")
    return document


def summary(document: dict) -> TypedDataSummary:
    domain = document["domain"]
    chain_id = domain.get("chainId")
    if isinstance(chain_id, str):  # wallets accept "0x2105" and "8453" as well as numbers
        try:
            chain_id = int(chain_id, 0)
        except ValueError:
            chain_id = None
    return TypedDataSummary(
        primary_type=str(document["primaryType"]),
        domain_name=str(domain.get("name", "")),
        chain_id=chain_id if isinstance(chain_id, int) else None,
        verifying_contract=str(domain.get("verifyingContract", "")),
    )


def sign_typed_data(account: LocalAccount, document: dict) -> bytes:
    """The EIP-712 signature of `document`; a document that does not encode is a UsageError
    naming why (a field of the wrong type, a type that is not declared)."""
    from eth_account.messages import encode_typed_data

    try:
        signable = encode_typed_data(full_message=document)
    except Exception as exc:  # eth_account raises ValueError, TypeError, KeyError and its own for bad documents
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise UsageError(f"the typed data does not encode under EIP-712: {reason}") from None
    return bytes(account.sign_message(signable).signature)
