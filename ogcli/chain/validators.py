"""Reads what validator quality is judged on: validator state (one Multicall batch) and the
window's activity from protocol events (settlements, attestations, disputes, commission changes,
proposals and votes), turned into `core.quality.ValidatorMetrics`.

Logs are read straight from the endpoint here; the SQLite indexer will serve the same questions
from its cache once it exists, with this module's shapes.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from ogcli.chain.contracts import Protocol
from ogcli.chain.multicall import Read, ReadFailed, read_many
from ogcli.core.quality import ValidatorMetrics
from ogcli.errors import NetworkError

ACTIVE_PROPOSAL_STATES = {0, 1, 4, 5}  # Pending, Active, Succeeded, Queued


@dataclass(frozen=True)
class ValidatorState:
    address: str
    tokens_wei: int
    self_stake_wei: int
    commission_bps: int
    jailed: bool
    jailed_until: int
    tombstoned: bool
    slash_count: int
    delegator_count: int
    metadata_uri: str

    @property
    def status(self) -> str:
        if self.tombstoned:
            return "tombstoned"
        return "jailed" if self.jailed else "active"

    @property
    def moniker(self) -> str:
        """The human name in a `data:,Name: details` metadata URI (the devnet's form), else ''."""
        if self.metadata_uri.startswith("data:,"):
            return self.metadata_uri[len("data:,") :].split(":")[0].strip()
        return ""


def read_validator_states(protocol: Protocol) -> list[ValidatorState]:
    staking = protocol.staking
    addresses = staking.functions.validators().call()
    views = read_many(protocol.w3, [Read(staking, "getValidator", (a,)) for a in addresses])
    states = []
    for address, view in zip(addresses, views):
        if isinstance(view, ReadFailed):
            raise NetworkError(f"reading validator {address} failed: {view}")
        states.append(
            ValidatorState(
                address=address,
                tokens_wei=view[1],
                self_stake_wei=view[3],
                commission_bps=view[4],
                jailed=view[6],
                jailed_until=view[7],
                tombstoned=view[8],
                slash_count=view[9],
                delegator_count=view[11],
                metadata_uri=view[12],
            )
        )
    return states


@dataclass
class _Activity:
    settled_at: dict[int, int]  # record id -> settle timestamp
    signer_of: dict[int, str]  # record id -> enclave signer
    attestations: list[tuple[int, str, bool, int]]  # (record id, validator, verdict, timestamp)
    disputes_lost: Counter
    commission_changes: Counter
    proposals: list[int]  # created in the window
    voters: dict[int, set[str]]
    proposal_logs: list  # every ProposalCreated, for the revocation check


def read_metrics(protocol: Protocol, states: list[ValidatorState], window_s: int) -> list[ValidatorMetrics]:
    """Per-validator metrics over the last `window_s` seconds of chain time."""
    head = protocol.w3.eth.get_block("latest")
    since = int(head["timestamp"]) - window_s
    activity = _read_activity(protocol, since, head["number"])
    exposed_signers = _signers_facing_revocation(protocol, activity.proposal_logs)
    records_in_window = len(activity.settled_at)
    majority = _majority_verdicts(activity.attestations)
    by_validator: dict[str, list[tuple[int, bool, int]]] = defaultdict(list)
    for record_id, validator, verdict, at in activity.attestations:
        by_validator[validator].append((record_id, verdict, at))
    metrics = []
    for state in states:
        mine = by_validator.get(state.address, [])
        delays = sorted(at - activity.settled_at[r] for r, _v, at in mine)
        metrics.append(
            ValidatorMetrics(
                address=state.address,
                records_in_window=records_in_window,
                attested=len(mine),
                disputes_lost=activity.disputes_lost[state.address],
                overturned=sum(1 for r, verdict, _at in mine if r in majority and majority[r] != verdict),
                delay_p50_s=statistics.median(delays) if delays else None,
                delay_p95_s=delays[min(len(delays) - 1, int(0.95 * len(delays)))] if delays else None,
                commission_bps=state.commission_bps,
                commission_changes=activity.commission_changes[state.address],
                self_stake_wei=state.self_stake_wei,
                stake_wei=state.tokens_wei,
                slash_count=state.slash_count,
                jailed=state.jailed,
                exposed_attestations=sum(1 for r, _v, _at in mine if activity.signer_of.get(r) in exposed_signers),
                proposals_in_window=len(activity.proposals),
                proposals_voted=sum(1 for p in activity.proposals if state.address in activity.voters.get(p, set())),
            )
        )
    return metrics


def _read_activity(protocol: Protocol, since: int, head_block: int) -> _Activity:
    start = protocol.deployment.block
    settlement, staking, governor = protocol.settlement.events, protocol.staking.events, protocol.governor.events
    raw = {
        name: event.get_logs(from_block=start, to_block=head_block)
        for name, event in (
            ("settled", settlement.InferenceSettled()),
            ("attested", settlement.Attested()),
            ("disputes", settlement.DisputeWon()),
            ("commission", staking.CommissionChanged()),
            ("proposals", governor.ProposalCreated()),
            ("votes", governor.VoteCast()),
        )
    }
    timestamp = _block_timestamps(protocol.w3, {log["blockNumber"] for logs in raw.values() for log in logs})

    def in_window(name):
        return [log for log in raw[name] if timestamp[log["blockNumber"]] >= since]

    settled_at, signer_of = {}, {}
    for log in in_window("settled"):
        record_id = log["args"]["recordId"]
        settled_at[record_id] = timestamp[log["blockNumber"]]
        signer_of[record_id] = log["args"]["record"]["enclaveSigner"]
    attestations = [
        (log["args"]["recordId"], log["args"]["validator"], log["args"]["valid"], timestamp[log["blockNumber"]])
        for log in in_window("attested")
        if log["args"]["recordId"] in settled_at
    ]
    voters: dict[int, set[str]] = defaultdict(set)
    for log in raw["votes"]:
        voters[log["args"]["proposalId"]].add(log["args"]["voter"])
    return _Activity(
        settled_at,
        signer_of,
        attestations,
        Counter(log["args"]["validator"] for log in in_window("disputes")),
        Counter(log["args"]["validator"] for log in in_window("commission")),
        [log["args"]["proposalId"] for log in in_window("proposals")],
        voters,
        raw["proposals"],
    )


def _majority_verdicts(attestations: list[tuple[int, str, bool, int]]) -> dict[int, bool]:
    """The verdict most attesters gave each record; records with a tie have none."""
    votes: dict[int, Counter] = defaultdict(Counter)
    for record_id, _validator, verdict, _at in attestations:
        votes[record_id][verdict] += 1
    return {r: c[True] > c[False] for r, c in votes.items() if c[True] != c[False]}


def _signers_facing_revocation(protocol: Protocol, proposal_logs: list) -> set[str]:
    """Enclave signers whose measurement an open proposal would revoke."""
    registry = protocol.registry
    governor = protocol.governor
    targets: set[tuple[int, bytes]] = set()
    for log in proposal_logs:
        args = log["args"]
        if governor.functions.state(args["proposalId"]).call() not in ACTIVE_PROPOSAL_STATES:
            continue
        for target, calldata in zip(args["targets"], args["calldatas"]):
            if target != registry.address:
                continue
            try:
                function, params = registry.decode_function_input(calldata)
            except ValueError:
                continue
            if function.fn_name == "revokeMeasurement":
                targets.add((params["vendor"], bytes(params["measurement"])))
    if not targets:
        return set()
    return {
        e[0]
        for e in registry.functions.listEnclaves().call()
        if (e[2], bytes(e[3])) in targets
    }


def _block_timestamps(w3, numbers: set[int]) -> dict[int, int]:
    """Timestamps of the given blocks, fetched in JSON-RPC batches (one round trip per 500)."""
    ordered = sorted(numbers)
    timestamps: dict[int, int] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        with w3.batch_requests() as batch:
            for number in chunk:
                batch.add(w3.eth.get_block(number))
            blocks = batch.execute()
        timestamps.update((number, int(block["timestamp"])) for number, block in zip(chunk, blocks))
    return timestamps
