"""Live event feed pane: the newest protocol events from the index, newest first, in words."""

from __future__ import annotations

from textual.widgets import DataTable

from tui import fmt
from tui.tables import sync_rows


def describe(name: str, args: dict) -> str:
    """One short line per event; unknown events show their name only."""
    amount = lambda key, places=2: fmt.opg(args.get(key, 0), places)  # noqa: E731
    texts = {
        "InferenceSettled": lambda: f"model {args['modelId']} fee {amount('fee', 4)} OPG",
        "Attested": lambda: f"record {args['recordId']} {'valid' if args['valid'] else 'INVALID'}",
        "DisputeWon": lambda: f"record {args['recordId']} slashed {amount('slashed')} OPG",
        "ProducerSlashed": lambda: f"record {args['recordId']}: node bond -{amount('slashed')} OPG, payer +{amount('refund', 4)} OPG",
        "BatchCommitted": lambda: f"batch {args['batchId']}: {args['records']} calls, fees {amount('fees', 4)} OPG",
        "BatchAttested": lambda: (f"batch {args['batchId']} "
                                  + (f"{bin(args['invalidBits']).count('1')} INVALID" if args["invalidBits"] else "all valid")),
        "BatchDisputeWon": lambda: f"batch {args['batchId']} #{args['index']} slashed {amount('slashed')} OPG",
        "BatchProducerSlashed": lambda: (f"batch {args['batchId']} #{args['index']}: node bond -{amount('slashed')} OPG, "
                                         f"payer +{amount('refund', 4)} OPG"),
        "Bonded": lambda: f"{amount('amount')} OPG bonded ({amount('active')} active)",
        "UnbondStarted": lambda: f"{amount('amount')} OPG unbonding until {fmt.utc_clock(args['releaseAt'])}",
        "BondSlashed": lambda: f"{amount('amount')} OPG of its bond",
        "Delegated": lambda: f"{amount('amount')} OPG to {fmt.short(args['validator'])}",
        "Undelegated": lambda: f"{amount('amount')} OPG from {fmt.short(args['validator'])}",
        "Redelegated": lambda: f"{amount('amount')} OPG {fmt.short(args['src'])} -> {fmt.short(args['dst'])}",
        "Slashed": lambda: f"{args['fractionBps'] / 100:g}%, {amount('bondedSlashed')} OPG bonded ({amount('selfStakeSlashed')} its own)",
        "Jailed": lambda: f"until {fmt.utc_clock(args['until'])}",
        "CommissionChanged": lambda: f"commission {args['oldBps'] / 100:g}% -> {args['newBps'] / 100:g}%",
        "RewardsClaimed": lambda: f"{amount('amount', 4)} OPG",
        "Withdrawn": lambda: f"{amount('amount')} OPG",
        "ValidatorRegistered": lambda: f"self-stake {amount('selfStake', 0)} OPG",
        "ModelPublished": lambda: f"model {args['modelId']} {args['name']}",
        "PriceChanged": lambda: f"model {args['modelId']} {amount('oldPrice', 4)} -> {amount('newPrice', 4)} OPG",
        "ModelDeprecated": lambda: f"model {args['modelId']}",
        "EarningsCredited": lambda: f"model {args['modelId']} +{amount('amount', 4)} OPG",
        "EarningsWithdrawn": lambda: f"{amount('amount')} OPG",
        "ProposalCreated": lambda: args["description"].strip().splitlines()[0].lstrip("# ")[:40],
        "VoteCast": lambda: f"{('against', 'for', 'abstain')[args['support']]} with {amount('weight', 0)} OPG",
    }
    text = texts.get(name)
    try:
        return text() if text else ""
    except (KeyError, IndexError, TypeError, ValueError):  # a shape we did not expect: the name is enough
        return ""


class Feed(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label in ("when", "block", "event", "who", "what"):
            self.add_column(label, key=label)

    def show(self, snap, now: float) -> None:
        chain_now = snap.chain_now(now)
        sync_rows(self, [
            (f"{e['block']}:{e['log_index']}", (fmt.ago(chain_now - e["time"]), str(e["block"]), e["name"], fmt.short(e["actor"]),
                                   describe(e["name"], e["args"])))
            for e in snap.feed
        ])
        self.border_title = f"newest {len(snap.feed)} of {snap.indexed_events:,} indexed events"
