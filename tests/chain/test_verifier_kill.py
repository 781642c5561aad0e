"""A verifier killed (SIGKILL) and restarted attests every record exactly once (issue 8).

A real `ogcli node run --role verifier --dev-keys` process (attesting as the devnet's
validator-1) works through a backlog of freshly settled records and is killed twice: once from
outside while it is attesting, and once from inside right after an attestation was mined but
before its verdict was written to the verifier's SQLite state (the narrowest window: the chain
knows, the verifier does not). A third run catches up. The chain must then hold exactly one
attestation per record from that validator, and the validator must have sent exactly one
transaction per attestation: the contract's AlreadyAttested guard would hide a duplicate from
the first check, so the nonce, the verifier's verdict table and its log are checked too (a
resent attestation either costs a nonce or, refused at the gas estimate, leaves no verdict row
and an "attestation refused" warning). A second test kills it while its attestation is still in
the mempool (automine off), the case a chain with block times makes likely.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ogcli.devnet import accounts
from tests.chain.fixtures import story_seeder
from tests.chain.node_fixture import use_local_storage

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

BACKLOG = 40  # records settled for the verifier to work through
FIRST_KILL_AT = 3  # attestations landed before the outside SIGKILL
SENDS_BEFORE_INSIDE_KILL = 3  # the injected crash: after this many mined attestations, before recording

COMMAND = ["node", "run", "--role", "verifier", "--dev-keys"]

# Test-only fault injection, no product hook: the same entry point as `python -m ogcli`, with
# Sender.confirm (which every send waits in) wrapped so the process SIGKILLs itself once the n-th
# attestation is mined, before the verifier records its verdict.
_DIE_AFTER_SEND = """
import os, signal, sys
from ogcli.chain.sender import Sender
limit, mined, original = int(sys.argv.pop(1)), 0, Sender.confirm
def confirm(self, tx_hash, tx, label=""):
    global mined
    receipt = original(self, tx_hash, tx, label)
    if label == "attest":
        mined += 1
        if mined >= limit:
            os.kill(os.getpid(), signal.SIGKILL)
    return receipt
Sender.confirm = confirm
from ogcli.main import run
run(sys.argv[1:])
"""


def _start(log: Path, die_after_sends: int | None = None) -> subprocess.Popen:
    prefix = ["-m", "ogcli"] if die_after_sends is None else ["-c", _DIE_AFTER_SEND, str(die_after_sends)]
    with open(log, "ab") as stderr:
        return subprocess.Popen([sys.executable, *prefix, *COMMAND], stdout=subprocess.DEVNULL, stderr=stderr)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _wait_for(what: str, condition, process: subprocess.Popen, log: Path, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if "attestation refused" in log.read_text():  # a duplicate tried: no need to wait any longer
            raise AssertionError(f"the verifier tried to attest a record again: {log.read_text()[-800:]}")
        if process.poll() is not None:
            raise AssertionError(f"verifier exited ({process.returncode}) waiting for {what}: {log.read_text()[-800:]}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}: {log.read_text()[-800:]}")


def _state(db: Path) -> tuple[int, dict[int, tuple[bool, str | None]]]:
    """(checkpoint block, {record id: (valid, tx hash)}) from the verifier's SQLite state."""
    if not db.exists():
        return -1, {}
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        with contextlib.suppress(sqlite3.OperationalError):  # tables not created yet
            row = connection.execute("SELECT block FROM checkpoint WHERE id = 1").fetchone()
            verdicts = connection.execute("SELECT record_id, valid, tx_hash FROM verdicts").fetchall()
            return (row[0] if row else -1), {r: (bool(v), h) for r, v, h in verdicts}
        return -1, {}
    finally:
        connection.close()


def _setup(seeded_profile, tmp_path):
    """(chain, settlement contract, validator-1's address, the verifier's state db, its log)."""
    from ogcli import locations

    use_local_storage(tmp_path / "blobs")  # the verifier role opens the model store (zkML proofs)
    return (seeded_profile, seeded_profile.protocol.settlement, accounts.get("validator-1").address,
            locations.node_dir("seeded") / "verifier.db", tmp_path / "verifier.log")


def _wait_to_catch_up(process, db, log, last_record_block: int, fresh) -> None:
    def caught_up() -> bool:
        checkpoint, verdicts = _state(db)
        return checkpoint >= last_record_block and set(fresh) <= set(verdicts)

    _wait_for("the verifier to catch up", caught_up, process, log)


def test_verifier_sigkilled_twice_attests_every_record_exactly_once(seeded_profile, tmp_path):
    chain, settlement, validator, db, log = _setup(seeded_profile, tmp_path)
    with chain.snapshot():
        assert chain.protocol.staking.functions.isActive(validator).call()
        start_block = chain.w3.eth.block_number + 1
        nonce_before = chain.w3.eth.get_transaction_count(validator)

        # The backlog: fresh records, every fifth one tampered (so both verdicts are exercised).
        seeder = story_seeder(chain, 7_000)  # past the seeded story's request ids and the other tests'
        model = chain.protocol.hub.functions.getModel(1).call()
        payers = [accounts.get(f"delegator-{i}") for i in range(11, 15)]
        fresh = {}
        for i in range(BACKLOG):
            _, record_id = seeder.settle_call(model[0], model[5], payers[i % len(payers)], tampered=i % 5 == 4)
            fresh[record_id] = i % 5 != 4
        last_record_block = chain.w3.eth.block_number
        all_records = range(1, settlement.functions.recordCount().call() + 1)
        assert set(fresh) <= set(all_records)

        def attested() -> list:
            return settlement.events.Attested().get_logs(
                from_block=start_block, argument_filters={"validator": validator}
            )

        process = _start(log)
        try:
            # 1. Killed from outside while working through the backlog.
            _wait_for(f"{FIRST_KILL_AT} attestations", lambda: len(attested()) >= FIRST_KILL_AT, process, log)
            _kill(process)
            after_first_kill = len(attested())
            assert after_first_kill < BACKLOG, "the verifier finished before it was killed: the kill proved nothing"

            # 2. Killed from inside between a mined attestation and its verdict row.
            process = _start(log, die_after_sends=SENDS_BEFORE_INSIDE_KILL)
            _wait_for("the injected crash", lambda: process.poll() is not None, process, log)
            process.wait(timeout=10)
            assert process.returncode == -signal.SIGKILL, log.read_text()[-800:]
            events = attested()
            assert len(events) == after_first_kill + SENDS_BEFORE_INSIDE_KILL < BACKLOG
            orphan = events[-1]["args"]["recordId"]
            assert orphan not in _state(db)[1], "the crash window was missed: the verdict was recorded"

            # 3. Restarted with the same state: catches up on the rest.
            process = _start(log)

            _wait_to_catch_up(process, db, log, last_record_block, fresh)
        finally:
            _kill(process)

        # Exactly one attestation per record from this validator, over the whole chain.
        everything = settlement.events.Attested().get_logs(from_block=0, argument_filters={"validator": validator})
        per_record: dict[int, int] = {}
        for event in everything:
            per_record[event["args"]["recordId"]] = per_record.get(event["args"]["recordId"], 0) + 1
        assert {r: n for r, n in per_record.items() if n != 1} == {}, "a record was attested twice"
        assert set(all_records) - set(per_record) == set(), "a record was never attested"

        # One transaction per attestation: no duplicate was sent (and reverted) along the way.
        events = attested()
        assert {e["args"]["recordId"] for e in events} == set(fresh)
        assert chain.w3.eth.get_transaction_count(validator) - nonce_before == len(events) == BACKLOG
        assert all(chain.w3.eth.get_transaction_receipt(e["transactionHash"])["status"] == 1 for e in events)

        # The verifier's own state: one verdict per record, the right one, and the hash it sent
        # (none for the orphan, whose attestation it found on chain instead of sending again; the
        # first kill may have left one more such record).
        _, verdicts = _state(db)
        assert set(all_records) <= set(verdicts)
        for event in events:
            record_id = event["args"]["recordId"]
            valid, tx_hash = verdicts[record_id]
            assert valid is fresh[record_id] is event["args"]["valid"]
            assert tx_hash in (None, event["transactionHash"].to_0x_hex())
        assert verdicts[orphan][1] is None
        assert "attestation refused" not in log.read_text()
        assert "verification round failed" not in log.read_text()


def test_verifier_killed_with_its_attestation_still_pending_does_not_send_it_again(seeded_profile, tmp_path):
    """On a chain with block times, SIGKILL lands while the attestation waits in the mempool: the
    restarted verifier must neither send a second one (it would revert, wasting gas) nor lose the
    verdict. Anvil's automine is off here, so the test decides when blocks come."""
    chain, settlement, validator, db, log = _setup(seeded_profile, tmp_path)
    with chain.snapshot():
        start_block = chain.w3.eth.block_number + 1
        nonce_before = chain.w3.eth.get_transaction_count(validator)
        seeder = story_seeder(chain, 8_000)
        model = chain.protocol.hub.functions.getModel(1).call()
        fresh = {seeder.settle_call(model[0], model[5], accounts.get("delegator-11"), tampered=False)[1]: True,
                 seeder.settle_call(model[0], model[5], accounts.get("delegator-12"), tampered=True)[1]: False}
        last_record_block = chain.w3.eth.block_number

        def pending() -> int:
            return chain.w3.eth.get_transaction_count(validator, "pending") - chain.w3.eth.get_transaction_count(validator)

        chain.rpc("evm_setAutomine", [False])
        process = _start(log)
        try:
            _wait_for("the first attestation to be sent", lambda: pending() >= 1, process, log)
            _kill(process)  # sent, not mined
            assert pending() == 1

            process = _start(log)
            _wait_for("the restarted verifier to see its pending attestation",
                      lambda: pending() > 1 or "still pending" in log.read_text(), process, log)
            assert pending() == 1, "the restarted verifier sent the pending attestation again"
            chain.rpc("evm_mine")
            chain.rpc("evm_setAutomine", [True])

            _wait_to_catch_up(process, db, log, last_record_block, fresh)
        finally:
            _kill(process)
            chain.rpc("evm_setAutomine", [True])
            while int(chain.rpc("txpool_status")["pending"], 16):
                chain.rpc("evm_mine")

        events = settlement.events.Attested().get_logs(from_block=start_block, argument_filters={"validator": validator})
        assert sorted(e["args"]["recordId"] for e in events) == sorted(fresh)
        assert chain.w3.eth.get_transaction_count(validator) - nonce_before == len(fresh)
        _, verdicts = _state(db)
        assert {r: verdicts[r][0] for r in fresh} == fresh
        assert "attestation refused" not in log.read_text()
