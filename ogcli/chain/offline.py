"""Offline signing: a write prepared on a machine without the key (`--unsigned FILE`), signed on
one with it and no network (`ogcli tx sign`), sent from anywhere (`ogcli tx send`).

The two files are JSON. The unsigned one holds the EIP-1559 transaction (chain id, nonce, fees,
gas, to, data, value) with the preview a person checks before signing; the signed one holds the
raw transaction and its hash. The chain id is checked at every step: against the profile when the
file is written and signed, and against the endpoint, and the raw transaction's own, when sent.
"""

from __future__ import annotations

import json
from pathlib import Path

from ogcli.errors import ChainMismatchError, UsageError

UNSIGNED = "ogcli-unsigned-transaction-1"
SIGNED = "ogcli-signed-transaction-1"
MAX_FILE_BYTES = 1 << 20
_FIELDS = ("chainId", "nonce", "to", "data", "value", "gas", "maxFeePerGas", "maxPriorityFeePerGas")


def unsigned_document(prepared, network, nonce: int, preview: list[tuple[str, str]]) -> dict:
    """The unsigned transaction of a prepared write (chain.tx.Prepared), at `nonce`, with the
    preview lines the signer will be shown."""
    plan, sender = prepared.plan, prepared.sender
    built = plan.call.build_transaction({"from": sender.address, "value": plan.value_wei, "gas": prepared.gas,
                                         "nonce": nonce, "chainId": network.chain_id, **sender.fee_fields()})
    tx = {key: built[key] for key in _FIELDS if key in built}
    tx["data"] = built.get("data", "0x")
    return {"format": UNSIGNED, "from": sender.address, "action": plan.action, "chain_id": network.chain_id,
            "transaction": tx, "preview": [list(row) for row in preview]}


def write_new(path: Path, document: dict) -> None:
    """Writes `document` to `path`, which must not exist yet (a prepared or signed transaction is
    never written over another)."""
    from ogcli.fsutil import write_new as write_new_file

    write_new_file(path, json.dumps(document, indent=2) + "\n")


def read(path: Path, kind: str) -> dict:
    """The document of `kind` (UNSIGNED or SIGNED) in `path`, its shape checked."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        document = json.loads(raw) if len(raw) <= MAX_FILE_BYTES else None
    except FileNotFoundError:
        raise UsageError(f"no file at {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not a transaction file ({type(exc).__name__})") from None
    what = "an unsigned transaction (`--unsigned FILE`)" if kind == UNSIGNED else "a signed transaction (`ogcli tx sign`)"
    if not isinstance(document, dict) or document.get("format") != kind:
        raise UsageError(f"{path} is not {what}")
    if not isinstance(document.get("chain_id"), int):
        raise UsageError(f"{path} names no chain id")
    if kind == UNSIGNED:
        tx = document.get("transaction")
        if not isinstance(tx, dict) or any(key not in tx for key in _FIELDS) or tx["chainId"] != document["chain_id"]:
            raise UsageError(f"{path}: its transaction is incomplete, or for another chain than the file says")
    elif not (isinstance(document.get("raw"), str) and document["raw"].startswith("0x")):
        raise UsageError(f"{path} holds no raw transaction")
    return document


def check_chain(document: dict, chain_id: int, where: str) -> None:
    if document["chain_id"] != chain_id:
        raise ChainMismatchError(f"the transaction is for chain id {document['chain_id']}, but {where} is chain id "
                                 f"{chain_id}; nothing was signed or sent")


def sign(document: dict, account) -> dict:
    """The signed document of an unsigned one, signed by `account` (which must be its sender)."""
    if account.address.lower() != document["from"].lower():
        raise UsageError(f"the transaction is from {document['from']}, not this wallet ({account.address}); nothing was signed")
    tx = dict(document["transaction"], type=2)
    signed = account.sign_transaction(tx)
    return {"format": SIGNED, "from": document["from"], "action": document["action"], "chain_id": document["chain_id"],
            "nonce": tx["nonce"], "hash": signed.hash.to_0x_hex(), "raw": signed.raw_transaction.to_0x_hex()}


def raw_chain_id(raw_hex: str) -> int:
    """The chain id inside a raw EIP-1559 transaction (0x02 || rlp([chainId, ...]))."""
    import rlp

    raw = bytes.fromhex(raw_hex[2:])
    if not raw or raw[0] != 2:
        raise UsageError("the raw transaction is not an EIP-1559 (type 2) transaction")
    try:
        fields = rlp.decode(raw[1:])
    except Exception as exc:  # rlp's DecodingError and friends: the bytes are not a transaction
        raise UsageError(f"the raw transaction does not decode ({type(exc).__name__})") from None
    return int.from_bytes(fields[0], "big")
