"""Models pane: the on-chain catalogue with price, calls, earnings and status."""

from __future__ import annotations

from textual.widgets import DataTable

from tui import fmt
from tui.tables import sync_rows


class Models(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for label in ("id", "name", "v", "publisher", "price OPG", "calls", "earned OPG", "status"):
            self.add_column(label, key=label)

    def show(self, snap, now: float) -> None:
        rows = sorted(snap.models, key=lambda m: (m["deprecated"], -m["calls"], m["id"]))
        sync_rows(self, [
            (str(m["id"]), (str(m["id"]), m["name"], str(m["version"]), fmt.short(m["publisher"]), fmt.opg(m["price_wei"], 4),
                            str(m["calls"]), fmt.opg(m["earned_wei"]), "deprecated" if m["deprecated"] else "live"))
            for m in rows
        ])
        live = sum(not m["deprecated"] for m in snap.models)
        self.border_title = f"{len(snap.models)} models, {live} live, by calls"
