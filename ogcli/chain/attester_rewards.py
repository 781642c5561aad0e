"""What a validator's verdicts earned, and claiming it.

The first attesters of a record share its validator fee, but a verdict is paid only once it has
stood through the challenge window: `claimAttestationRewards(validator, recordIds)` pays the ones
whose window has closed (into the validator's Staking pool, commission first), and a won dispute
forfeits the reward to the treasury. Nothing pays itself out, so a validator (or its verifier
role) must claim; this module is the one place that says which verdicts are claimable, for
`ogcli validator rewards`, `ogcli validator status` and the node's verifier alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ogcli.chain import events as event_logs

if TYPE_CHECKING:
    from ogcli.chain.network import Protocol

# Record ids per claim transaction: each costs ~10k gas (two cold reads and one write), so a chunk
# is ~3M gas, far under any block's limit and the 2^24 transaction cap (EIP-7825).
CLAIM_CHUNK = 300

CLAIMABLE, MATURING, CLAIMED, FORFEITED, UNPAID = "claimable", "maturing", "claimed", "forfeited", "unpaid"


@dataclass(frozen=True)
class RewardLine:
    record_id: int
    reward_wei: int  # what the verdict is paid when it stands (0 when it holds no reward slot)
    attested_at: int
    claimable_after: int  # claimable in any block later than this second (the window's end)
    state: str  # CLAIMABLE, MATURING, CLAIMED, FORFEITED (disputed and lost) or UNPAID (no slot)


@dataclass(frozen=True)
class AttesterRewards:
    validator: str
    time: int  # chain time the lines were read at
    lines: tuple[RewardLine, ...]

    def total(self, state: str) -> int:
        return sum(line.reward_wei for line in self.lines if line.state == state)

    def total_of(self, record_ids: list[int]) -> int:
        """What the lines of `record_ids` pay (one claim chunk's amount)."""
        wanted = set(record_ids)
        return sum(line.reward_wei for line in self.lines if line.record_id in wanted)

    def ids(self, state: str) -> list[int]:
        return [line.record_id for line in self.lines if line.state == state]

    def next_claimable_at(self) -> int | None:
        """When the earliest maturing reward becomes claimable."""
        times = [line.claimable_after + 1 for line in self.lines if line.state == MATURING]
        return min(times) if times else None


def rewarded_record_ids(protocol: Protocol, validator: str) -> list[int]:
    """The records on which `validator` holds a reward slot, from its Attested events (filtered by
    the indexed validator topic, so the query returns its verdicts only)."""
    settlement = protocol.settlement
    query = event_logs.log_filter(settlement, ("Attested",), protocol.deployment.block)
    query["topics"] += [None, "0x" + bytes.fromhex(validator[2:].rjust(64, "0")).hex()]
    raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    return sorted({e.args["recordId"] for e in event_logs.decode(settlement, ("Attested",), raw) if e.args["reward"] > 0})


def read_rewards(protocol: Protocol, validator: str, record_ids: list[int] | None = None) -> AttesterRewards:
    """The state of `validator`'s verdict on each record (all its rewarded ones when `record_ids`
    is None), read in Multicall3 batches at one block. Storage cannot tell a forfeited reward from
    a disputed verdict that never held a slot: given explicit ids, a disputed verdict is FORFEITED
    either way (the verifier only needs to know it will never pay)."""
    from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many

    ids = rewarded_record_ids(protocol, validator) if record_ids is None else sorted(set(record_ids))
    settlement = protocol.settlement
    reads = [Read(protocol.contract("Multicall3", MULTICALL3_ADDRESS), "getCurrentBlockTimestamp")]
    for record_id in ids:
        reads += [Read(settlement, "attestationOf", (record_id, validator)), Read(settlement, "recordState", (record_id,)),
                  Read(settlement, "disputableUntil", (record_id, validator))]
    now, *views = read_many(protocol.rpc, reads)
    if isinstance(now, ReadFailed):
        now = int(protocol.rpc.block("latest")["timestamp"], 16)
    lines = []
    for record_id, attestation, record, window_end in zip(ids, views[0::3], views[1::3], views[2::3]):
        if any(isinstance(v, ReadFailed) for v in (attestation, record, window_end)) or attestation[0] == 0:
            continue  # no such record, or no verdict of this validator on it
        attested_at, _valid, disputed, _checkable, rewarded, claimed = attestation
        # The window is the one in force when the verdict was given (a later change leaves it).
        lines.append(RewardLine(record_id, record[3] if (rewarded or claimed or disputed) else 0, attested_at,
                                window_end, _state(rewarded, claimed, disputed, window_end, now)))
    return AttesterRewards(validator, now, tuple(lines))


def claim_chunks(record_ids: list[int]) -> list[list[int]]:
    """`record_ids` split into claim transactions."""
    return [record_ids[i : i + CLAIM_CHUNK] for i in range(0, len(record_ids), CLAIM_CHUNK)]


def _state(rewarded: bool, claimed: bool, disputed: bool, window_end: int, now: int) -> str:
    if claimed:
        return CLAIMED
    if disputed:  # a won dispute clears `rewarded`: the reward went to the treasury
        return FORFEITED
    if not rewarded:
        return UNPAID
    return CLAIMABLE if now > window_end else MATURING
