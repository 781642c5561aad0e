"""The verifier judges a record only once its block is `confirmations` deep: a record a reorg
takes back before then was never attested (an attestation of it would vouch for nothing, or for
another record under the same id)."""

from __future__ import annotations

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.node.verifier import Verifier
from tests.adversarial.test_verify_states import paid_call
from tests.chain.test_infer_e2e import node  # noqa: F401 (carol, a node on the seeded chain, a snapshot)

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

DEPTH = 2


def _verifier(chain, tmp_path, name: str) -> Verifier:
    return Verifier(chain.protocol, Sender(chain.w3, accounts.get("validator-3").local_account), tmp_path / name,
                    confirmations=DEPTH)


def _caught_up(verifier: Verifier, chain) -> Verifier:
    """The verifier, having judged every record settled so far (the seeded story's)."""
    verifier.step()
    for _ in range(DEPTH):
        chain.rpc("evm_mine")
    verifier.step()
    return verifier


def test_a_record_is_judged_once_it_is_deep_enough(node, cli, tmp_path):  # noqa: F811
    url, _running, chain = node
    verifier = _caught_up(_verifier(chain, tmp_path, "v.db"), chain)
    try:
        call = paid_call(cli, url)
        settled_block = chain.w3.eth.get_transaction(call["transaction_hash"])["blockNumber"]
        for depth in range(DEPTH):
            assert chain.w3.eth.block_number - settled_block == depth
            verifier.step()
            assert call["record_id"] not in verifier.verdicts(), f"judged at depth {depth}"
            assert verifier.checkpoint() < settled_block
            chain.rpc("evm_mine")
        verifier.step()
        assert verifier.verdicts()[call["record_id"]] is True
    finally:
        verifier.stop()


def test_a_record_reorganised_away_before_it_is_deep_enough_leaves_its_id_to_the_record_that_replaces_it(
        node, cli, tmp_path):  # noqa: F811
    """A verifier that judged the vanished record would skip its successor (same record id) as
    judged already: the record the chain keeps would never be attested by it."""
    url, running, chain = node
    validator = accounts.get("validator-3").address
    verifier = _caught_up(_verifier(chain, tmp_path, "v.db"), chain)
    try:
        with chain.snapshot():  # the call's block, then undone: what a reorg does to it
            vanished = paid_call(cli, url)
            verifier.step()
        running.settler.sender.resync()  # the node's nonce went back with the chain
        kept = paid_call(cli, url)
        assert kept["record_id"] == vanished["record_id"] and kept["request_id"] != vanished["request_id"]
        for _ in range(DEPTH):
            chain.rpc("evm_mine")
        verifier.step()
        assert verifier.verdicts()[kept["record_id"]] is True
        assert chain.protocol.settlement.functions.attestationOf(kept["record_id"], validator).call()[0] > 0
    finally:
        verifier.stop()
