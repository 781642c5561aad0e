"""Validators pane: the scored table (sortable, searchable) and the selected validator's breakdown."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from tui import fmt
from tui.tables import selected_key, sync_rows

SORTS = ("score", "stake", "commission", "liveness", "correctness")
_SORT_KEYS = {
    "score": lambda r: r["score"],
    "stake": lambda r: int(r["stake_wei"]),
    "commission": lambda r: -r["commission_bps"],  # lowest first
    "liveness": lambda r: r["sub_scores"]["liveness"],
    "correctness": lambda r: r["sub_scores"]["correctness"],
}


LABELS = {"decentralization": "decentral.", "correctness": "correct"}


def ranked(validators: list[dict], sort: str, search: str) -> list[dict]:
    rows = [r for r in validators
            if not search or search in (r["moniker"] or "").lower() or search in r["address"].lower()]
    return sorted(rows, key=_SORT_KEYS[sort], reverse=True)


class Validators(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sort = "score"
        self.search = ""
        self.snap = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search name or address (enter to keep, esc to leave)", id="search")
        with Horizontal():
            yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#table", DataTable)
        # Sub-scores live in the detail pane beside the table: at 80 columns the table holds these.
        for label, key in (("validator", "name"), ("score", "score"), ("stake OPG", "stake"), ("share", "share"),
                           ("comm.", "comm"), ("status", "status")):
            table.add_column(label, key=key)
        self.query_one("#search", Input).display = False

    def show(self, snap, now: float) -> None:
        self.snap = snap
        self.render_table()

    def next_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.render_table()

    def set_search(self, text: str) -> None:
        self.search = text.strip().lower()
        self.render_table()

    def selected(self) -> dict | None:
        key = selected_key(self.query_one("#table", DataTable))
        return next((r for r in self.snap.validators if r["address"] == key), None) if self.snap and key else None

    def render_table(self) -> None:
        if self.snap is None:
            return
        table = self.query_one("#table", DataTable)
        sync_rows(table, [
            (r["address"], (
                (r["moniker"] or fmt.short(r["address"]))[:15], f"{r['score']:.0f}", fmt.opg(r["stake_wei"], 0),
                f"{r['share'] * 100:.1f}%",
                f"{r['commission_bps'] / 100:.1f}%", r["status"],
            ))
            for r in ranked(self.snap.validators, self.sort, self.search)
        ])
        table.border_title = Text(f"sorted by {self.sort}" + (f", matching {self.search!r}" if self.search else ""))
        self.render_detail()

    def render_detail(self) -> None:
        row = self.selected()
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update("no validator selected")
            return
        lines = [row["moniker"] or "(no name)", fmt.short(row["address"]), "", f"score {row['score']:.1f}"]
        lines += [f" {LABELS.get(k, k)[:12]:<12}{v:6.1f}" for k, v in row["sub_scores"].items()]
        lines += [f" penalty {k} -{v:.0f}" for k, v in row["penalties"].items()]
        lines += ["", f"{row['status']}, {row['slashes']} slashes", f"{row['delegators']} delegators",
                  f"self {fmt.opg(row['self_stake_wei'], 0)} OPG", "", "d: delegate"]
        detail.update("\n".join(lines))
