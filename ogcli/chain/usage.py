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


def usage_from_index(protocol: Protocol, index, window: str) -> dict:
    """As `network_usage`, from an index the caller keeps open (the dashboard polls with one)."""
    from ogcli.chain.validators import read_validator_states
    from ogcli.core.quality import nakamoto_coefficient
    from ogcli.core.stats import WINDOWS, buckets, series

    synced = index.sync()
    now = int(protocol.w3.eth.get_block("latest")["timestamp"])
    _length, size = WINDOWS[window]
    starts = buckets(now, window)
    since = starts[0]
    settled = index.events("InferenceSettled", since)
    attested = index.events("Attested", since)
    credited = index.events("EarningsCredited", since)
    first_seen_tx: dict[str, int] = {}
    for timestamp, tx in index.db.execute("SELECT timestamp, tx FROM events WHERE timestamp >= ?", (since,)):
        first_seen_tx.setdefault(tx, timestamp)
    models_live = len(index.events("ModelPublished")) - len(index.events("ModelDeprecated"))
    indexed = {"events": index.count(), "last_block": index.last_block(), "new_events": synced.events}
    stakes = [s.tokens_wei for s in read_validator_states(protocol)]
    return {
        "window": window,
        "time": now,
        "bucket_seconds": size,
        "buckets": starts,
        "series": {
            "inferences": series(starts, size, ((t, 1) for t, _a, _x in settled)),
            "transactions": series(starts, size, ((t, 1) for t in first_seen_tx.values())),
            "attestations": series(starts, size, ((t, 1) for t, _a, _x in attested)),
            "fees_wei": [str(v) for v in series(starts, size, ((t, int(x["fee"])) for t, _a, x in settled))],
            "publisher_earnings_wei": [str(v) for v in series(starts, size, ((t, int(x["amount"])) for t, _a, x in credited))],
        },
        "totals": {
            "inferences": len(settled),
            "transactions": len(first_seen_tx),
            "active_wallets": len({a for _t, a, _x in settled}),
            "attestations": len(attested),
            "models_live": models_live,
            "fees_wei": str(sum(int(x["fee"]) for _t, _a, x in settled)),
            "publisher_earnings_wei": str(sum(int(x["amount"]) for _t, _a, x in credited)),
        },
        "stake": {"total_wei": str(sum(stakes)), "validators": len(stakes), "nakamoto_coefficient": nakamoto_coefficient(stakes)},
        "index": indexed,
    }
