"""contracts/attestation/P384.sol vendors Solarity's ECDSA384 (npm @solarity/solidity-lib 3.1.0,
MIT), because its assembly is not marked memory-safe and so does not compile under via-IR with
the optimizer. The copy must stay Solarity's code: every function of the vendored ECDSA384, U512
and MemoryUtils is, once comments, whitespace and the added ("memory-safe") markings are set
aside, a function of the pinned package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
VENDORED = ROOT / "contracts/attestation/P384.sol"
UPSTREAM = ROOT / "node_modules/@solarity/solidity-lib"
UPSTREAM_FILES = ("libs/crypto/ECDSA384.sol", "libs/bn/U512.sol", "libs/utils/MemoryUtils.sol")
VENDORED_LIBRARIES = ("ECDSA384", "U512", "MemoryUtils")


def _normal(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = text.replace('("memory-safe")', "")
    return re.sub(r"\s+", " ", text).strip()


def _functions(text: str, library: str) -> list[str]:
    body = text[text.index(f"library {library} ") :]
    found, pos = [], 0
    while (start := body.find("function ", pos)) != -1:
        depth, i = 0, body.index("{", start)
        while True:
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
            if depth == 0:
                break
        found.append(body[start:i])
        pos = i
        if body[i:].lstrip().startswith("}"):  # the library's closing brace
            break
    return found


@pytest.mark.skipif(not UPSTREAM.exists(), reason="node_modules absent: `make setup` installs the pinned package")
def test_the_vendored_curve_code_is_solaritys():
    upstream = " ".join(_normal((UPSTREAM / f).read_text()) for f in UPSTREAM_FILES)
    vendored = _normal(VENDORED.read_text())
    checked = 0
    for library in VENDORED_LIBRARIES:
        for function in _functions(vendored, library):
            assert function in upstream, f"{library}: not Solarity's code: {function[:120]}"
            checked += 1
    assert checked >= 40
