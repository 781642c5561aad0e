"""Governance reads: proposals recovered from chain events (never from a local cache), their
state and tallies in one Multicall3 batch, decoded actions, votes, and the TEE whitelist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ogcli.chain import abi
from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.chain.events import Event
from ogcli.chain.multicall import Read, ReadFailed, read_many
from ogcli.core.proposals import PARAM_CONTRACTS, PARAMS, STATES, Whitelist, format_param
from ogcli.errors import UsageError
from ogcli.protocol.params import VENDORS


@dataclass(frozen=True)
class Action:
    target: str
    value: int
    calldata: bytes
    contract: str | None  # protocol contract name, None for an outside address
    function: str | None  # None when the calldata does not decode
    params: dict = field(default_factory=dict)

    def describe(self) -> str:
        if self.function is None:
            return f"call {self.target} with {len(self.calldata)} bytes of data (not a protocol call; check it yourself)"
        if self.function == "setParams" and self.contract in PARAM_CONTRACTS.values():
            return f"{self.contract}.setParams: " + ", ".join(f"{k} {v}" for k, v in self.param_values().items())
        args = ", ".join(f"{k}={_show(k, v)}" for k, v in self.params.items())
        return f"{self.contract}.{self.function}({args})"

    def param_values(self) -> dict[str, str]:
        section = next(k for k, v in PARAM_CONTRACTS.items() if v == self.contract)
        struct = next(iter(self.params.values()), ())  # setParams takes one struct
        values = list(struct.values()) if isinstance(struct, dict) else list(struct)
        return {name: format_param(spec.kind, values[spec.index]) for name, spec in PARAMS[section].items()}


@dataclass(frozen=True)
class Proposal:
    id: int
    proposer: str
    description: str
    actions: list[Action]
    vote_start: int
    vote_end: int
    created_at: int
    tx_hash: str
    state: str
    votes_against: int
    votes_for: int
    votes_abstain: int
    quorum: int
    eta: int  # timelock ready time once queued, else 0

    @property
    def title(self) -> str:
        first = self.description.strip().splitlines()[0] if self.description.strip() else f"proposal {self.id}"
        return first.lstrip("# ").strip()

    @property
    def quorum_votes(self) -> int:
        """For and abstain count toward quorum (OpenZeppelin GovernorCountingSimple)."""
        return self.votes_for + self.votes_abstain


def decode_actions(protocol: Protocol, targets, values, calldatas) -> list[Action]:
    names = {address: name for name, address in protocol.deployment.contracts.items()}
    actions = []
    for target, value, raw in zip(targets, values, calldatas):
        data = bytes.fromhex(raw.removeprefix("0x")) if isinstance(raw, str) else bytes(raw)
        name = names.get(target)
        function, params = None, {}
        if name is not None:
            try:
                function, params = abi.decode_call(protocol.contract(name), data)
            except ValueError:
                pass
        actions.append(Action(target, value, data, name, function, params))
    return actions


MIN_ID_PREFIX = 6


LATEST = "latest"  # what `gov show|vote|queue|execute|cancel latest` names: the newest proposal


def read_proposals(protocol: Protocol, only: str | None = None) -> tuple[int, list[Proposal]]:
    """(chain time, proposals newest first): every proposal, or just the one whose decimal id is
    `only` or starts with it (at least MIN_ID_PREFIX digits; UsageError if none or several), or
    the newest one when `only` is LATEST."""
    governor = protocol.governor
    head, logs = protocol.rpc.batch(
        [
            ("eth_getBlockByNumber", ["latest", False]),
            ("eth_getLogs", [event_logs.log_filter(governor, ("ProposalCreated",), protocol.deployment.block)]),
        ],
    )
    now = int(head["timestamp"], 16)
    created = event_logs.fill_timestamps(protocol.rpc, event_logs.decode(governor, ("ProposalCreated",), logs))
    if only == LATEST:
        if not created:
            raise UsageError("there is no proposal yet (`ogcli gov propose` makes one)")
        created = [max(created, key=lambda e: (e.block, e.log_index))]
    elif only is not None:
        exact = [e for e in created if str(e.args["proposalId"]) == only]
        prefixed = [e for e in created if len(only) >= MIN_ID_PREFIX and str(e.args["proposalId"]).startswith(only)]
        created = exact or prefixed
        if not created:
            raise UsageError(f"there is no proposal {only} (see `ogcli gov proposals`)")
        if len(created) > 1:
            raise UsageError(f"{only} starts {len(created)} proposal ids; give more digits")
    reads = []
    for e in created:
        pid = e.args["proposalId"]
        reads += [
            Read(governor, "state", (pid,)),
            Read(governor, "proposalVotes", (pid,)),
            Read(governor, "proposalEta", (pid,)),
            Read(governor, "quorum", (min(e.args["voteStart"], now - 1),)),
        ]
    results = read_many(protocol.rpc, reads)
    proposals = []
    for index, e in enumerate(created):
        state, tally, eta, quorum = results[4 * index : 4 * index + 4]
        against, for_, abstain = tally if not isinstance(tally, ReadFailed) else (0, 0, 0)
        proposals.append(
            Proposal(
                id=e.args["proposalId"],
                proposer=e.args["proposer"],
                description=e.args["description"],
                actions=decode_actions(protocol, e.args["targets"], e.args["values"], e.args["calldatas"]),
                vote_start=e.args["voteStart"],
                vote_end=e.args["voteEnd"],
                created_at=e.timestamp,
                tx_hash=e.tx_hash,
                state=STATES[state] if not isinstance(state, ReadFailed) else "Unknown",
                votes_against=against,
                votes_for=for_,
                votes_abstain=abstain,
                quorum=quorum if not isinstance(quorum, ReadFailed) else 0,
                eta=eta if not isinstance(eta, ReadFailed) else 0,
            )
        )
    proposals.sort(key=lambda p: p.created_at, reverse=True)
    return now, proposals


def read_votes(protocol: Protocol, proposal_id: int) -> list[Event]:
    governor = protocol.governor
    raw = protocol.rpc.batch( [("eth_getLogs", [event_logs.log_filter(governor, ("VoteCast",), protocol.deployment.block)])]
    )[0]
    events = event_logs.fill_timestamps(protocol.rpc, event_logs.decode(governor, ("VoteCast",), raw))
    return [e for e in events if e.args["proposalId"] == proposal_id]


@dataclass(frozen=True)
class VendorRow:
    id: int
    name: str
    enabled: bool
    root: bytes


@dataclass(frozen=True)
class MeasurementRow:
    vendor: int
    measurement: bytes
    label: str
    approved: bool
    approved_at: int
    revoked_at: int
    enclaves: int
    approved_by: int | None  # the executed proposal that approved it; None at genesis


def read_whitelist(protocol: Protocol) -> tuple[list[VendorRow], list[MeasurementRow], Whitelist]:
    registry = protocol.registry
    reads = [Read(registry, "isVendorEnabled", (v,)) for v in range(len(VENDORS))]
    reads += [Read(registry, "vendorRoot", (v,)) for v in range(len(VENDORS))]
    reads += [Read(registry, "listMeasurements", (v,)) for v in range(len(VENDORS))]
    results = read_many(protocol.rpc, reads)
    n = len(VENDORS)
    vendors = [VendorRow(v, VENDORS[v], results[v] is True, bytes(results[n + v]) if not isinstance(results[n + v], ReadFailed) else b"")
               for v in range(n)]
    _now, proposals = read_proposals(protocol)
    approvals: dict[tuple[int, bytes], int] = {}
    for proposal in sorted(proposals, key=lambda p: p.created_at):
        if proposal.state != "Executed":
            continue
        for action in proposal.actions:
            if action.function == "approveMeasurement":
                approvals[(action.params["vendor"], bytes(action.params["measurement"]))] = proposal.id
    measurements = []
    for listing in results[2 * n :]:
        if isinstance(listing, ReadFailed):
            continue
        for m in listing:
            key = (m[0], bytes(m[1]))
            measurements.append(MeasurementRow(m[0], bytes(m[1]), m[2], m[3], m[4], m[5], m[6], approvals.get(key)))
    whitelist = Whitelist(
        vendors={v.id: v.enabled for v in vendors},
        measurements={(m.vendor, m.measurement): (m.approved, m.label) for m in measurements},
    )
    return vendors, measurements, whitelist


def _show(key: str, value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if key == "vendor" and isinstance(value, int) and value < len(VENDORS):
        return VENDORS[value]
    return str(value)
