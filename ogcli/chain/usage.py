"""Network usage over a window, from the event index (synced first) and current stake: what
`ogcli network stats` prints and the dashboard's overview shows."""

from __future__ import annotations

from ogcli.chain.contracts import Protocol


def network_usage(protocol: Protocol, profile: str, window: str) -> dict:
    from ogcli.chain.indexer import Indexer

    index = Indexer.for_network(protocol, profile)
    try:
        return usage_from_index(protocol, index, window)
    finally:
        index.close()


def usage_from_index(protocol: Protocol, index, window: str, *, sync: bool = True) -> dict:
    """As `network_usage`, from an index the caller keeps open (the dashboard polls with one and
    syncs it itself: sync=False). The series are aggregated by SQLite (`Indexer.*_by_bucket`),
    not by loading the events."""
    from ogcli.chain.validators import read_validator_states
    from ogcli.core.quality import nakamoto_coefficient
    from ogcli.core.stats import WINDOWS, buckets

    new_events = index.sync().events if sync else 0
    now = int(protocol.rpc.block("latest")["timestamp"], 16)
    _length, size = WINDOWS[window]
    starts = buckets(now, window)
    since = starts[0]

    def series(by_bucket: dict[int, int]) -> list[int]:
        return [by_bucket.get(i, 0) for i in range(len(starts))]

    settled_alone = series(index.count_by_bucket("InferenceSettled", since, size))
    batched = series(index.sum_by_bucket("BatchCommitted", "records", since, size))
    inferences = [a + b for a, b in zip(settled_alone, batched)]
    batches = series(index.count_by_bucket("BatchCommitted", since, size))
    attestations = series(index.count_by_bucket("Attested", since, size))
    batch_verdicts = series(index.count_by_bucket("BatchAttested", since, size))
    transactions = series(index.transactions_by_bucket(since, size))
    fees = [a + b for a, b in zip(series(index.sum_by_bucket("InferenceSettled", "fee", since, size)),
                                  series(index.sum_by_bucket("BatchCommitted", "fees", since, size)))]
    batch_gas = sum(index.sum_by_bucket("BatchCommitted", "gasUsed", since, size).values())
    earnings = series(index.sum_by_bucket("EarningsCredited", "amount", since, size))
    models_live = index.count_of("ModelPublished") - index.count_of("ModelDeprecated")
    indexed = {"events": index.count(), "last_block": index.last_block(), "new_events": new_events}
    stakes = [s.tokens_wei for s in read_validator_states(protocol)]
    return {
        "window": window,
        "time": now,
        "bucket_seconds": size,
        "buckets": starts,
        "series": {
            "inferences": inferences,
            "inferences_in_batches": batched,
            "batches": batches,
            "transactions": transactions,
            "attestations": attestations,
            "batch_verdicts": batch_verdicts,
            "fees_wei": [str(v) for v in fees],
            "publisher_earnings_wei": [str(v) for v in earnings],
        },
        "totals": {
            "inferences": sum(inferences),
            "inferences_in_batches": sum(batched),
            "batches": sum(batches),
            # What settlement by channel cost per call (the batches' transactions' gas over their calls).
            "batch_gas_per_call": round(batch_gas / sum(batched)) if sum(batched) else None,
            "transactions": sum(transactions),
            "active_wallets": index.active_payers(since),  # by `exact` and by channel alike
            "attestations": sum(attestations),
            "batch_verdicts": sum(batch_verdicts),
            "models_live": models_live,
            "fees_wei": str(sum(fees)),
            "publisher_earnings_wei": str(sum(earnings)),
        },
        "stake": {"total_wei": str(sum(stakes)), "validators": len(stakes), "nakamoto_coefficient": nakamoto_coefficient(stakes)},
        "index": indexed,
    }
