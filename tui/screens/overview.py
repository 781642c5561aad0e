"""Overview pane: the `network stats` figures with a sparkline per series."""

from __future__ import annotations

from textual.widgets import Static

from tui import fmt


class Overview(Static):
    def show(self, snap, now: float) -> None:
        from ogcli.core.stats import sparkline

        usage = snap.usage
        if usage is None:
            self.update(f"counting {snap.indexed_events:,} indexed events…")
            return
        s, t = usage["series"], usage["totals"]
        stake = usage["stake"]
        lines = [
            f"last {usage['window']}, one bar per {'hour' if usage.get('bucket_seconds') == 3_600 else 'day'}",
            "",
            f"  inferences      {t['inferences']:>10}  {sparkline(s['inferences'])}",
            *_by_channel(t),
            f"  transactions    {t['transactions']:>10}  {sparkline(s['transactions'])}",
            f"  attestations    {t['attestations']:>10}  {sparkline(s['attestations'])}",
            f"  fees paid       {fmt.opg(t['fees_wei']):>10}  {sparkline([int(v) for v in s['fees_wei']])} OPG",
            f"  active wallets  {t['active_wallets']:>10}",
            f"  models live     {t['models_live']:>10}",
            "",
            f"  stake           {fmt.opg(stake['total_wei'], 0)} OPG on {stake['validators']} validators",
            f"  Nakamoto coefficient {stake['nakamoto_coefficient']}"
            " (fewest validators holding over 1/3 of stake)",
        ]
        self.update("\n".join(lines))


def _by_channel(totals: dict) -> list[str]:
    """The line on calls paid by channel, when the window holds any (older totals lack the keys)."""
    batches = totals.get("batches") or 0
    if not batches:
        return []
    gas = totals.get("batch_gas_per_call")
    return [f"    by channel    {totals['inferences_in_batches']:>10}  in {batches:,} batch{'es' if batches != 1 else ''}"
            + (f", {gas:,} gas a call" if gas else "")]
