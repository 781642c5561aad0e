"""Validator quality: a 0-100 composite score from seven documented sub-scores. Pure functions.

Stakers underwrite the validators they delegate to, so the score answers "how likely is this
validator to cost me money, and how well does it do its job". Each sub-score is 0-100:

  liveness          share of the window's records the validator attested
  correctness       disputes lost and verdicts overturned (any loss weighs heavily)
  timeliness        attestation delay, p50 and p95, ranked among peers (faster is better)
  economics         commission (lower is better), commission changes, self-bond share
  risk              slashes, jail, share of its attestations on enclaves facing revocation
  decentralization  stake share, ranked (smaller is better) and capped by a concentration limit
  governance        share of the window's proposals it voted on

Ranked metrics use mid-rank percentiles among the validators being scored, so a score moves only
when a validator's standing among its peers moves, not when the network grows. The composite is
the weighted mean of the sub-scores minus penalties (jailed, each slash, each lost dispute),
floored at 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WEIGHTS = {
    "liveness": 25,
    "correctness": 25,
    "timeliness": 10,
    "economics": 15,
    "risk": 10,
    "decentralization": 10,
    "governance": 5,
}
PENALTY_JAILED = 40.0
PENALTY_PER_SLASH = 15.0
PENALTY_PER_LOST_DISPUTE = 10.0
MAX_PENALTY = 100.0
CONCENTRATION_LIMIT = 0.20  # a validator above 20% of all stake gets no decentralization credit


@dataclass(frozen=True)
class ValidatorMetrics:
    """Raw facts about one validator over the scoring window (from chain and the indexer)."""

    address: str
    records_in_window: int
    attested: int
    disputes_lost: int
    overturned: int
    delay_p50_s: float | None
    delay_p95_s: float | None
    commission_bps: int
    commission_changes: int
    self_stake_wei: int
    stake_wei: int
    slash_count: int
    jailed: bool
    exposed_attestations: int  # attestations on enclaves whose measurement faces revocation
    proposals_in_window: int
    proposals_voted: int


@dataclass(frozen=True)
class Score:
    address: str
    composite: float
    sub_scores: dict[str, float]
    penalties: dict[str, float] = field(default_factory=dict)


def score_validators(metrics: Sequence[ValidatorMetrics]) -> list[Score]:
    """Scores every validator against the others; the order of `metrics` does not matter."""
    if not metrics:
        return []
    total_stake = sum(m.stake_wei for m in metrics)
    delays = [_delay(m) for m in metrics]
    commissions = [float(m.commission_bps) for m in metrics]
    shares = [m.stake_wei / total_stake if total_stake else 0.0 for m in metrics]
    delay_rank = percentile_ranks(delays, higher_is_better=False)
    commission_rank = percentile_ranks(commissions, higher_is_better=False)
    share_rank = percentile_ranks(shares, higher_is_better=False)
    scores = []
    for i, m in enumerate(metrics):
        sub = {
            "liveness": _ratio(m.attested, m.records_in_window),
            "correctness": _correctness(m),
            "timeliness": delay_rank[i] if delays[i] is not None else 0.0,
            "economics": _economics(m, commission_rank[i]),
            "risk": _risk(m),
            "decentralization": 0.0 if shares[i] > CONCENTRATION_LIMIT else share_rank[i],
            "governance": _ratio(m.proposals_voted, m.proposals_in_window),
        }
        penalties = _penalties(m)
        weighted = sum(WEIGHTS[k] * v for k, v in sub.items()) / sum(WEIGHTS.values())
        composite = max(0.0, weighted - sum(penalties.values()))
        scores.append(Score(m.address, round(composite, 1), {k: round(v, 1) for k, v in sub.items()}, penalties))
    return scores


# The raw metrics behind each sub-score, as `stake validator` shows them.
SUB_SCORE_INPUTS = {
    "liveness": ("attested", "records_in_window"),
    "correctness": ("attested", "disputes_lost", "overturned"),
    "timeliness": ("delay_p50_s", "delay_p95_s"),
    "economics": ("commission_bps", "commission_changes", "self_stake_wei", "stake_wei"),
    "risk": ("slash_count", "jailed", "exposed_attestations"),
    "decentralization": ("stake_wei",),
    "governance": ("proposals_voted", "proposals_in_window"),
}


def explain(metrics: ValidatorMetrics, score: Score) -> dict[str, dict]:
    """Each sub-score with its weight and the raw metrics it was computed from."""
    return {
        name: {
            "score": score.sub_scores[name],
            "weight": WEIGHTS[name],
            "metrics": {key: getattr(metrics, key) for key in SUB_SCORE_INPUTS[name]},
        }
        for name in WEIGHTS
    }


def percentile_ranks(values: Sequence[float | None], *, higher_is_better: bool) -> list[float]:
    """Mid-rank percentile (0-100) of each value among the non-None values; None ranks 0.

    Ties share the mean of their ranks, so equal validators get equal scores; a single
    validator ranks 100 (nothing to be worse than)."""
    from bisect import bisect_left, bisect_right

    present = sorted(v for v in values if v is not None)  # counted by bisection: n log n for a big set
    n = len(present)
    ranks = []
    for value in values:
        if value is None:
            ranks.append(0.0)
            continue
        if n == 1:
            ranks.append(100.0)
            continue
        lower, upper = bisect_left(present, value), bisect_right(present, value)
        below = lower if higher_is_better else n - upper
        ranks.append(100.0 * (below + (upper - lower - 1) / 2) / (n - 1))
    return ranks


def nakamoto_coefficient(stakes_wei: Sequence[int], threshold: float = 1 / 3) -> int:
    """How many of the largest validators together hold more than `threshold` of all stake
    (one third: enough to halt or corrupt verification)."""
    total = sum(stakes_wei)
    if total == 0:
        return 0
    running = 0
    for count, stake in enumerate(sorted(stakes_wei, reverse=True), start=1):
        running += stake
        if running > total * threshold:
            return count
    return len(stakes_wei)


def _ratio(part: int, whole: int) -> float:
    if whole <= 0:
        return 100.0  # nothing was asked of it in the window
    return 100.0 * min(part, whole) / whole


def _delay(m: ValidatorMetrics) -> float | None:
    if m.delay_p50_s is None or m.delay_p95_s is None:
        return None
    return 0.5 * m.delay_p50_s + 0.5 * m.delay_p95_s  # tail latency counts as much as typical


def _correctness(m: ValidatorMetrics) -> float:
    if m.attested == 0:
        return 100.0 if m.disputes_lost == 0 else 0.0
    wrong = m.disputes_lost + m.overturned
    # One wrong verdict in a hundred costs half the score: vouching for a false result is the
    # failure stakers are slashed for.
    return max(0.0, 100.0 - 5_000.0 * wrong / m.attested)


def _economics(m: ValidatorMetrics, commission_rank: float) -> float:
    self_bond = 100.0 * min(1.0, 10 * m.self_stake_wei / m.stake_wei) if m.stake_wei else 0.0
    churn = max(0.0, 100.0 - 25.0 * m.commission_changes)
    return 0.5 * commission_rank + 0.3 * self_bond + 0.2 * churn


def _risk(m: ValidatorMetrics) -> float:
    exposure = _ratio(m.exposed_attestations, m.attested) if m.attested else 0.0
    history = max(0.0, 100.0 - 50.0 * m.slash_count)
    return max(0.0, 0.6 * history + 0.4 * (100.0 - exposure) - (50.0 if m.jailed else 0.0))


def _penalties(m: ValidatorMetrics) -> dict[str, float]:
    penalties = {}
    if m.jailed:
        penalties["jailed"] = PENALTY_JAILED
    if m.slash_count:
        penalties["slashes"] = PENALTY_PER_SLASH * m.slash_count
    if m.disputes_lost:
        penalties["disputes_lost"] = PENALTY_PER_LOST_DISPUTE * m.disputes_lost
    total = sum(penalties.values())
    if total > MAX_PENALTY:
        penalties = {k: v * MAX_PENALTY / total for k, v in penalties.items()}
    return penalties
