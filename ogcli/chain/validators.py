"""Reads everything validator quality is judged on, in three JSON-RPC round trips whatever the
number of validators:

1. the chain-id check made when connecting;
2. one batch: the head block, the validator list, Multicall3's code, and the protocol's event logs
   (settlements, attestations, disputes, commission and jail history, proposals and votes);
3. one Multicall3 eth_call: every validator's state, the state of every proposal, the enclaves
   and the approved measurements.

(A node that leaves `blockTimestamp` out of its logs costs one more batch for block timestamps.)
The result, a `Board`, turns into `core.quality.ValidatorMetrics` for any window.

Logs are read straight from the endpoint here; the SQLite indexer will serve the same questions
from its cache once it exists, with this module's shapes.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ogcli.chain import abi
from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.chain.events import Event
from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many, read_one, remember_code
from ogcli.core.quality import ValidatorMetrics, score_validators
from ogcli.core.validator_metadata import parse_metadata
from ogcli.errors import NetworkError
from ogcli.protocol.params import VENDORS

ACTIVE_PROPOSAL_STATES = {0, 1, 4, 5}  # Pending, Active, Succeeded, Queued: may still execute
STAKING_EVENTS = ("ValidatorRegistered", "CommissionChanged", "Slashed", "Jailed", "Unjailed", "Tombstoned")
SETTLEMENT_EVENTS = ("InferenceSettled", "Attested", "DisputeWon")
GOVERNOR_EVENTS = ("ProposalCreated", "VoteCast")
DISPUTE_GROUNDS = {0: "a false invalid verdict", 1: "bad enclave signature", 2: "unknown enclave signer", 3: "enclave not approved at the time"}


@dataclass(frozen=True)
class ValidatorState:
    address: str
    tokens_wei: int
    total_shares: int
    self_stake_wei: int
    commission_bps: int
    commission_updated_at: int
    jailed: bool
    jailed_until: int
    tombstoned: bool
    slash_count: int
    registered_at: int
    delegator_count: int
    metadata_uri: str

    @property
    def status(self) -> str:
        if self.tombstoned:
            return "tombstoned"
        return "jailed" if self.jailed else "active"

    @property
    def metadata(self) -> dict[str, str]:
        return parse_metadata(self.metadata_uri)

    @property
    def moniker(self) -> str:
        return self.metadata.get("name", "")


def validator_state(address: str, view) -> ValidatorState:
    """From Staking.getValidator's ValidatorView tuple."""
    return ValidatorState(
        address=address,
        tokens_wei=view[1],
        total_shares=view[2],
        self_stake_wei=view[3],
        commission_bps=view[4],
        commission_updated_at=view[5],
        jailed=view[6],
        jailed_until=view[7],
        tombstoned=view[8],
        slash_count=view[9],
        registered_at=view[10],
        delegator_count=view[11],
        metadata_uri=view[12],
    )


@dataclass(frozen=True)
class Enclave:
    signer: str
    operator: str
    vendor: int
    measurement: bytes
    active: bool

    @property
    def vendor_name(self) -> str:
        return VENDORS[self.vendor] if self.vendor < len(VENDORS) else f"vendor-{self.vendor}"


@dataclass(frozen=True)
class Board:
    """A consistent read of the validator set and the protocol history that scores it."""

    head_timestamp: int
    states: list[ValidatorState]
    events: dict[str, list[Event]]
    proposal_states: dict[int, int]
    enclaves: dict[str, Enclave]  # by signer
    measurement_labels: dict[tuple[int, bytes], str] = field(default_factory=dict)
    # Open proposals that would take TEE approval away: (vendor, measurement) -> proposal ids;
    # a measurement of None means the whole vendor would be disabled.
    revocation_threats: dict[tuple[int, bytes | None], list[int]] = field(default_factory=dict)

    def state(self, address: str) -> ValidatorState | None:
        return next((s for s in self.states if s.address == address), None)

    def of(self, name: str) -> list[Event]:
        return self.events.get(name, [])

    def threatened_signers(self) -> set[str]:
        threats = self.revocation_threats
        return {
            e.signer
            for e in self.enclaves.values()
            if (e.vendor, e.measurement) in threats or (e.vendor, None) in threats
        }

    def metrics(self, window_s: int) -> list[ValidatorMetrics]:
        """Per-validator metrics over the last `window_s` seconds of chain time."""
        since = self.head_timestamp - window_s
        window = _Window.of(self, since)
        exposed = self.threatened_signers()
        return [_metrics_of(state, window, exposed) for state in self.states]


def read_board(protocol: Protocol) -> Board:
    rpc = protocol.rpc
    start = protocol.deployment.block
    queries = (
        (protocol.staking, STAKING_EVENTS),
        (protocol.settlement, SETTLEMENT_EVENTS),
        (protocol.governor, GOVERNOR_EVENTS),
    )
    staking = protocol.staking
    head, listed, multicall_code, *raw_logs = rpc.batch(
        [
            ("eth_getBlockByNumber", ["latest", False]),
            ("eth_call", [{"to": staking.address, "data": "0x" + abi.encode_call(staking, "validators", ()).hex()}, "latest"]),
            ("eth_getCode", [MULTICALL3_ADDRESS, "latest"]),
        ]
        + [("eth_getLogs", [event_logs.log_filter(contract, names, start)]) for contract, names in queries],
    )
    addresses = abi.decode_output(staking, "validators", 0, bytes.fromhex(listed[2:]))
    remember_code(rpc, multicall_code)
    decoded = [e for (contract, names), raw in zip(queries, raw_logs) for e in event_logs.decode(contract, names, raw)]
    proposal_ids = [e.args["proposalId"] for e in decoded if e.name == "ProposalCreated"]
    reads = [Read(staking, "getValidator", (a,)) for a in addresses]
    reads += [Read(protocol.governor, "state", (p,)) for p in proposal_ids]
    reads += [Read(protocol.registry, "listEnclaves", named=True)]
    reads += [Read(protocol.registry, "listMeasurements", (v,), named=True) for v in range(len(VENDORS))]
    results = read_many(rpc, reads)
    views, results = results[: len(addresses)], results[len(addresses) :]
    proposal_results, results = results[: len(proposal_ids)], results[len(proposal_ids) :]
    enclave_list, measurement_lists = results[0], results[1:]
    states = []
    for address, view in zip(addresses, views):
        if isinstance(view, ReadFailed):
            raise NetworkError(f"reading validator {address} failed: {view}")
        states.append(validator_state(address, view))
    by_name: dict[str, list[Event]] = defaultdict(list)
    for event in event_logs.fill_timestamps(rpc, decoded):
        by_name[event.name].append(event)
    enclaves = {} if isinstance(enclave_list, ReadFailed) else {
        e["signer"]: Enclave(signer=e["signer"], operator=e["operator"], vendor=e["vendor"],
                             measurement=bytes(e["measurement"]), active=e["active"]) for e in enclave_list
    }
    labels = {
        (m["vendor"], bytes(m["measurement"])): m["label"]
        for listing in measurement_lists
        if not isinstance(listing, ReadFailed)
        for m in listing
    }
    proposal_states = {p: s for p, s in zip(proposal_ids, proposal_results) if not isinstance(s, ReadFailed)}
    return Board(
        head_timestamp=int(head["timestamp"], 16),
        states=states,
        events=dict(by_name),
        proposal_states=proposal_states,
        enclaves=enclaves,
        measurement_labels=labels,
        revocation_threats=_revocation_threats(protocol, by_name.get("ProposalCreated", []), proposal_states),
    )


def _revocation_threats(protocol: Protocol, proposals: list[Event], states: dict[int, int]):
    registry = protocol.registry
    threats: dict[tuple[int, bytes | None], list[int]] = defaultdict(list)
    for event in proposals:
        proposal_id = event.args["proposalId"]
        if states.get(proposal_id) not in ACTIVE_PROPOSAL_STATES:
            continue
        for target, calldata in zip(event.args["targets"], event.args["calldatas"]):
            if target != registry.address:
                continue
            try:
                function, params = abi.decode_call(registry, calldata)
            except ValueError:
                continue  # not a registry call we know: it cannot revoke anything
            if function == "revokeMeasurement":
                threats[(params["vendor"], bytes(params["measurement"]))].append(proposal_id)
            elif function == "setVendor" and not params["enabled"]:
                threats[(params["vendor"], None)].append(proposal_id)
    return dict(threats)


def read_validator_states(protocol: Protocol) -> list[ValidatorState]:
    """Just the validator set (two round trips), for checks before a write."""
    staking = protocol.staking
    addresses = read_one(protocol.rpc, Read(staking, "validators"))
    views = read_many(protocol.rpc, [Read(staking, "getValidator", (a,)) for a in addresses])
    for address, view in zip(addresses, views):
        if isinstance(view, ReadFailed):
            raise NetworkError(f"reading validator {address} failed: {view}")
    return [validator_state(a, v) for a, v in zip(addresses, views)]


# ---------------------------------------------------------------------- metrics


@dataclass
class _Window:
    settled_at: dict[int, int]  # record id -> settle timestamp
    signer_of: dict[int, str]  # record id -> enclave signer
    attestations: dict[str, list[tuple[int, bool, int]]]  # validator -> (record id, verdict, timestamp)
    majority: dict[int, bool]
    disputes_lost: Counter
    commission_changes: Counter
    proposals: list[int]
    voters: dict[int, set[str]]

    @classmethod
    def of(cls, board: Board, since: int) -> _Window:
        def recent(name):
            return [e for e in board.of(name) if e.timestamp >= since]

        settled_at = {e.args["recordId"]: e.timestamp for e in recent("InferenceSettled")}
        signer_of = {e.args["recordId"]: e.args["record"]["enclaveSigner"] for e in recent("InferenceSettled")}
        attestations: dict[str, list[tuple[int, bool, int]]] = defaultdict(list)
        verdicts: dict[int, Counter] = defaultdict(Counter)
        for e in recent("Attested"):
            record_id = e.args["recordId"]
            if record_id in settled_at:
                attestations[e.args["validator"]].append((record_id, e.args["valid"], e.timestamp))
                verdicts[record_id][e.args["valid"]] += 1
        voters: dict[int, set[str]] = defaultdict(set)
        for e in board.of("VoteCast"):
            voters[e.args["proposalId"]].add(e.args["voter"])
        return cls(
            settled_at=settled_at,
            signer_of=signer_of,
            attestations=attestations,
            # The verdict most attesters gave each record; a tie gives none.
            majority={r: c[True] > c[False] for r, c in verdicts.items() if c[True] != c[False]},
            disputes_lost=Counter(e.args["validator"] for e in recent("DisputeWon")),
            commission_changes=Counter(e.args["validator"] for e in recent("CommissionChanged")),
            proposals=[e.args["proposalId"] for e in recent("ProposalCreated")],
            voters=voters,
        )


def _metrics_of(state: ValidatorState, window: _Window, exposed_signers: set[str]) -> ValidatorMetrics:
    mine = window.attestations.get(state.address, [])
    delays = sorted(at - window.settled_at[r] for r, _verdict, at in mine)
    return ValidatorMetrics(
        address=state.address,
        records_in_window=len(window.settled_at),
        attested=len(mine),
        disputes_lost=window.disputes_lost[state.address],
        overturned=sum(1 for r, verdict, _at in mine if r in window.majority and window.majority[r] != verdict),
        delay_p50_s=statistics.median(delays) if delays else None,
        delay_p95_s=delays[min(len(delays) - 1, int(0.95 * len(delays)))] if delays else None,
        commission_bps=state.commission_bps,
        commission_changes=window.commission_changes[state.address],
        self_stake_wei=state.self_stake_wei,
        stake_wei=state.tokens_wei,
        slash_count=state.slash_count,
        jailed=state.jailed,
        exposed_attestations=sum(1 for r, _v, _at in mine if window.signer_of.get(r) in exposed_signers),
        proposals_in_window=len(window.proposals),
        proposals_voted=sum(1 for p in window.proposals if state.address in window.voters.get(p, set())),
    )


# ---------------------------------------------------------------------- one validator's history


@dataclass(frozen=True)
class CommissionChange:
    time: int
    from_bps: int | None  # None at registration
    to_bps: int
    tx_hash: str


@dataclass(frozen=True)
class SlashRecord:
    time: int
    infraction_time: int
    fraction_bps: int
    bonded_wei: int
    unbonding_wei: int
    redelegation_wei: int
    reason: str
    record_id: int | None  # the disputed inference record, when a dispute caused it
    challenger: str | None
    tx_hash: str


@dataclass(frozen=True)
class JailRecord:
    time: int
    event: str  # jailed, unjailed or tombstoned
    until: int | None
    reason: str


@dataclass(frozen=True)
class TeeReliance:
    """Enclaves of one (vendor, measurement) whose results the validator attested in the window."""

    vendor: str
    measurement: bytes
    label: str
    attestations: int
    signers: tuple[str, ...]
    revocation_proposals: tuple[int, ...]  # open proposals that would revoke it (or its vendor)


def commission_history(board: Board, address: str) -> list[CommissionChange]:
    changes = [
        CommissionChange(e.timestamp, None, e.args["commissionBps"], e.tx_hash)
        for e in board.of("ValidatorRegistered")
        if e.args["validator"] == address
    ]
    changes += [
        CommissionChange(e.timestamp, e.args["oldBps"], e.args["newBps"], e.tx_hash)
        for e in board.of("CommissionChanged")
        if e.args["validator"] == address
    ]
    return sorted(changes, key=lambda c: c.time)


def slash_history(board: Board, address: str) -> list[SlashRecord]:
    disputes = {e.tx_hash: e for e in board.of("DisputeWon") if e.args["validator"] == address}
    records = []
    for e in board.of("Slashed"):
        if e.args["validator"] != address:
            continue
        dispute = disputes.get(e.tx_hash)
        reason = e.args["reason"]
        if dispute is not None:
            ground = DISPUTE_GROUNDS.get(dispute.args["ground"], f"ground {dispute.args['ground']}")
            reason = f"{reason} (dispute of record {dispute.args['recordId']}: {ground})"
        records.append(
            SlashRecord(
                time=e.timestamp,
                infraction_time=e.args["infractionTime"],
                fraction_bps=e.args["fractionBps"],
                bonded_wei=e.args["bondedSlashed"],
                # Entries pay their cut lazily (UnbondingSlashed / RedelegationSlashed when collected).
                unbonding_wei=0,
                redelegation_wei=0,
                reason=reason,
                record_id=dispute.args["recordId"] if dispute else None,
                challenger=dispute.args["challenger"] if dispute else None,
                tx_hash=e.tx_hash,
            )
        )
    return records


def jail_history(board: Board, address: str) -> list[JailRecord]:
    records = []
    for name in ("Jailed", "Unjailed", "Tombstoned"):
        for e in board.of(name):
            if e.args["validator"] == address:
                records.append(JailRecord(e.timestamp, name.lower(), e.args.get("until"), e.args.get("reason", "")))
    return sorted(records, key=lambda r: r.time)


def tee_reliance(board: Board, address: str, window_s: int) -> list[TeeReliance]:
    window = _Window.of(board, board.head_timestamp - window_s)
    count: Counter = Counter()
    signers: dict[tuple[int, bytes], set[str]] = defaultdict(set)
    for record_id, _verdict, _at in window.attestations.get(address, []):
        signer = window.signer_of.get(record_id)
        enclave = board.enclaves.get(signer)
        if enclave is None:
            continue  # a signer the registry never knew: its records are disputable, not relied on
        key = (enclave.vendor, enclave.measurement)
        count[key] += 1
        signers[key].add(signer)
    reliance = []
    for (vendor, measurement), attestations in count.most_common():
        threats = board.revocation_threats.get((vendor, measurement), []) + board.revocation_threats.get((vendor, None), [])
        reliance.append(
            TeeReliance(
                vendor=VENDORS[vendor] if vendor < len(VENDORS) else f"vendor-{vendor}",
                measurement=measurement,
                label=board.measurement_labels.get((vendor, measurement), ""),
                attestations=attestations,
                signers=tuple(sorted(signers[(vendor, measurement)])),
                revocation_proposals=tuple(sorted(set(threats))),
            )
        )
    return reliance


# ---------------------------------------------------------------------- the table, as every view shows it


def table_rows(board: Board, window_s: int) -> list[dict]:
    """One row per validator (score, sub-scores, stake, share, commission...), scored over the window."""
    scores = {s.address: s for s in score_validators(board.metrics(window_s))}
    total = sum(s.tokens_wei for s in board.states) or 1
    return [table_row(state, scores[state.address], total) for state in board.states]


def table_row(state: ValidatorState, score, total_wei: int) -> dict:
    return {
        "address": state.address,
        "moniker": state.moniker,
        "score": score.composite,
        "sub_scores": score.sub_scores,
        "penalties": score.penalties,
        "stake_wei": str(state.tokens_wei),
        "share": round(state.tokens_wei / total_wei, 6),
        "commission_bps": state.commission_bps,
        "self_stake_wei": str(state.self_stake_wei),
        "status": state.status,
        "slashes": state.slash_count,
        "delegators": state.delegator_count,
    }
