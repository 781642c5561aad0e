"""The committed artifacts are exactly what the pinned solcjs makes of contracts/ today."""

import shutil
import subprocess
from pathlib import Path

import pytest

from ogcli.protocol import artifacts

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_committed_artifacts_match_a_fresh_compile():
    node = shutil.which("node")
    assert node, "node is required to check the artifacts (make test installs the npm toolchain)"
    result = subprocess.run(
        [node, "scripts/build_contracts.mjs", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr


def test_every_protocol_contract_has_an_artifact_with_bytecode():
    for name in artifacts.PROTOCOL_CONTRACTS:
        artifact = artifacts.load(name)
        assert artifact["bytecode"].startswith("0x") and len(artifact["bytecode"]) > 100
        assert artifact["settings"]["evmVersion"] == "prague"
        assert artifact["settings"]["optimizer"]["enabled"] is True
