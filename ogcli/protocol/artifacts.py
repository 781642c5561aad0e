"""Reads the committed compiler artifacts (ABI + bytecode) shipped inside the package."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

ARTIFACTS_DIR = Path(__file__).parent / "artifacts"

# What a deployment consists of, in deploy order; the vesting wallets are instances of OPGVesting.
PROTOCOL_CONTRACTS = (
    "OGTimelock",
    "OPGVesting",
    "OPGToken",
    "OGGovernor",
    "NitroVerifier",
    "TEERegistry",
    "Staking",
    "ModelHub",
    "NodeBonds",
    "BatchRecords",
    "ExactTills",
    "InferenceSettlement",
)


@functools.cache
def load(name: str) -> dict:
    """The artifact of contract `name`; raises FileNotFoundError for an unknown name."""
    return json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())


def abi(name: str) -> list[dict]:
    return load(name)["abi"]


def bytecode(name: str) -> str:
    return load(name)["bytecode"]


def digest(name: str) -> str:
    """sha256 of the runtime bytecode, recorded in deployment files to tell builds apart."""
    code = load(name)["deployedBytecode"].removeprefix("0x")
    return hashlib.sha256(bytes.fromhex(code)).hexdigest()


def all_abis() -> list[list[dict]]:
    return [json.loads(p.read_text())["abi"] for p in sorted(ARTIFACTS_DIR.glob("*.json"))]
