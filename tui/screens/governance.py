"""Governance pane: proposals with their state and a countdown to what happens next, the TEE
whitelist (vendors and approved measurements), and the active enclaves with the bond behind each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui import fmt
from tui.tables import selected_key, sync_rows


class Governance(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snap = None

    def compose(self) -> ComposeResult:
        yield DataTable(id="proposals", cursor_type="row", zebra_stripes=True)
        yield Static("", id="whitelist", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#proposals", DataTable)
        for label in ("title", "state", "for/agst/abst", "next"):
            table.add_column(label, key=label)

    def show(self, snap, now: float) -> None:
        from ogcli.core.proposals import next_step

        self.snap = snap
        chain_now = snap.chain_now(now)
        table = self.query_one("#proposals", DataTable)
        sync_rows(table, [
            (p["id"], (p["title"][:24], p["state"],
                       f"{fmt.compact(p['for_wei'])}/{fmt.compact(p['against_wei'])}/{fmt.compact(p['abstain_wei'])}",
                       next_step(p["state"], p["vote_start"], p["vote_end"], p["eta"], chain_now)))
            for p in snap.proposals
        ])
        table.border_title = f"{len(snap.proposals)} proposals (v: vote on the selected one)"
        vendors = ", ".join(f"{v['name']} {'on' if v['enabled'] else 'off'}" for v in snap.whitelist["vendors"])
        lines = [f"TEE vendors: {vendors or '-'}", "approved measurements:"]
        approved = [m for m in snap.whitelist["measurements"] if m["approved"]]
        lines += [f"  {m['vendor']:<9} {m['label'][:30]:<30} {m['measurement'][:12]}…  {m['enclaves']} enclaves"
                  for m in approved] or ["  none"]
        lines.append("active enclaves (the bond behind their records):")
        lines += [f"  {e['signer'][:12]}…  operator {e['operator'][:12]}…  {fmt.opg(e['bond_wei'], 0):>10} OPG"
                  f"{'' if e['bonded'] else '  below minimum'}"
                  for e in snap.enclaves] or ["  none"]
        self.query_one("#whitelist", Static).update("\n".join(lines))

    def selected(self) -> dict | None:
        key = selected_key(self.query_one("#proposals", DataTable))
        return next((p for p in self.snap.proposals if p["id"] == key), None) if self.snap and key else None
