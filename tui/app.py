"""`ogcli dashboard`: the network at a glance, for operators who leave it open all day.

Network I/O runs only in an exclusive worker thread that posts a message back; the next poll
starts when the last has finished. When the RPC fails the header says so, the last data stays on
screen, and the next successful poll clears it: no restart needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from tui.snapshot import Snapshot

SORTS = ("score", "stake", "commission", "liveness", "correctness")
HELP = """ogcli dashboard

  1 / 2       overview / validators
  s           sort validators (score, stake, commission, liveness, correctness)
  /           search validators by name or address
  r           refresh now
  ?           this help
  q           quit

Data refreshes every few seconds in the background. When the RPC endpoint does not answer, the
header says so and the last data stays on screen until it answers again.
"""


class Loaded(Message):
    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class Failed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help")


class Dashboard(App):
    CSS_PATH = "app.tcss"
    TITLE = "ogcli dashboard"
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("r", "refresh", "refresh"),
        Binding("1", "show('overview')", "overview"),
        Binding("2", "show('validators')", "validators"),
        Binding("s", "sort", "sort"),
        Binding("slash", "search", "search"),
        Binding("question_mark", "help", "help"),
        Binding("escape", "close_search", "close search", show=False),
    ]

    def __init__(self, loader: Callable[[], Snapshot], refresh_s: float = 5.0, clock=time.time) -> None:
        super().__init__()
        self.loader = loader
        self.refresh_s = refresh_s
        self.clock = clock
        self.snapshot: Snapshot | None = None
        self.outage_since: float | None = None
        self.sort_key = "score"
        self.search = ""
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="status")
        with TabbedContent(initial="overview"):
            with TabPane("Overview [1]", id="overview"):
                yield Static("", id="usage")
            with TabPane("Validators [2]", id="validators"):
                yield Input(placeholder="search name or address", id="search")
                with Horizontal():
                    yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
                    yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#table", DataTable)
        table.add_columns("validator", "score", "live", "correct", "stake OPG", "share", "comm.", "status")
        self.query_one("#search", Input).display = False
        self.action_refresh()
        self.set_interval(self.refresh_s, self.action_refresh)

    # ------------------------------------------------------------------ polling

    def action_refresh(self) -> None:
        if self._loading:  # the next poll starts only when the last has finished
            return
        self._loading = True
        self._load()

    @work(exclusive=True, thread=True)
    def _load(self) -> None:
        try:
            snapshot = self.loader()
        except Exception as exc:  # any failure of the network read is an outage to show
            self.post_message(Failed(str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__))
        else:
            self.post_message(Loaded(snapshot))

    def on_loaded(self, message: Loaded) -> None:
        self._loading = False
        self.snapshot = message.snapshot
        self.outage_since = None
        self._render_all()

    def on_failed(self, message: Failed) -> None:
        self._loading = False
        if self.outage_since is None:
            self.outage_since = self.clock()
        since = time.strftime("%H:%M:%S", time.localtime(self.outage_since))
        kept = "showing the last data" if self.snapshot else "no data yet"
        self.query_one("#status", Static).update(f"RPC OUTAGE since {since}: {message.error} ({kept}; retrying)")
        self.query_one("#status").add_class("outage")

    # ------------------------------------------------------------------ actions

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self._render_table()

    def action_search(self) -> None:
        self.action_show("validators")
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    def action_close_search(self) -> None:
        """Leaves the search box (the filter stays until it is emptied)."""
        box = self.query_one("#search", Input)
        if box.has_focus:
            box.display = bool(box.value)
            self.query_one("#table", DataTable).focus()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.action_close_search()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    @on(Input.Changed, "#search")
    def _searched(self, event: Input.Changed) -> None:
        self.search = event.value.strip().lower()
        self._render_table()

    @on(DataTable.RowHighlighted, "#table")
    def _selected(self, event: DataTable.RowHighlighted) -> None:
        self._render_detail(event.row_key.value if event.row_key else None)

    # ------------------------------------------------------------------ rendering

    def _render_all(self) -> None:
        snap = self.snapshot
        self.query_one("#status", Static).update(
            f"{snap.profile} · block {snap.head_block} · {len(snap.validators)} validators · "
            f"Nakamoto {snap.nakamoto} · updated {time.strftime('%H:%M:%S', time.localtime(self.clock()))}"
        )
        self.query_one("#status").remove_class("outage")
        self._render_usage()
        self._render_table()

    def _render_usage(self) -> None:
        from ogcli.core.amounts import format_amount
        from ogcli.core.stats import sparkline

        usage = self.snapshot.usage
        s, t = usage["series"], usage["totals"]
        lines = [
            f"last {usage['window']}",
            f"  inferences      {t['inferences']:>8}  {sparkline(s['inferences'])}",
            f"  transactions    {t['transactions']:>8}  {sparkline(s['transactions'])}",
            f"  attestations    {t['attestations']:>8}  {sparkline(s['attestations'])}",
            f"  active wallets  {t['active_wallets']:>8}",
            f"  models live     {t['models_live']:>8}",
            f"  fees paid       {format_amount(int(t['fees_wei']), max_fraction=2, group=True):>8} OPG",
            f"  stake           {format_amount(int(usage['stake']['total_wei']), max_fraction=0, group=True)} OPG,"
            f" Nakamoto coefficient {usage['stake']['nakamoto_coefficient']}",
        ]
        self.query_one("#usage", Static).update("\n".join(lines))

    def _rows(self) -> list[dict]:
        rows = [r for r in self.snapshot.validators
                if not self.search or self.search in (r["moniker"] or "").lower() or self.search in r["address"].lower()]
        keys = {"score": lambda r: r["score"], "stake": lambda r: int(r["stake_wei"]),
                "commission": lambda r: -r["commission_bps"], "liveness": lambda r: r["sub_scores"]["liveness"],
                "correctness": lambda r: r["sub_scores"]["correctness"]}
        return sorted(rows, key=keys[self.sort_key], reverse=True)

    def _render_table(self) -> None:
        if self.snapshot is None:
            return
        from ogcli.core.amounts import format_amount

        table = self.query_one("#table", DataTable)
        table.clear()
        for r in self._rows():
            table.add_row(
                r["moniker"] or r["address"][:12], f"{r['score']:.0f}", f"{r['sub_scores']['liveness']:.0f}",
                f"{r['sub_scores']['correctness']:.0f}", format_amount(int(r["stake_wei"]), max_fraction=0, group=True),
                f"{r['share'] * 100:.1f}%", f"{r['commission_bps'] / 100:.1f}%", r["status"], key=r["address"],
            )
        table.border_title = f"sorted by {self.sort_key}" + (f", matching {self.search!r}" if self.search else "")

    def _render_detail(self, address: str | None) -> None:
        row = next((r for r in self.snapshot.validators if r["address"] == address), None) if self.snapshot else None
        if row is None:
            self.query_one("#detail", Static).update("")
            return
        lines = [row["moniker"] or "(no name)", row["address"], "", f"score {row['score']:.1f}"]
        lines += [f"  {k:<16} {v:5.1f}" for k, v in row["sub_scores"].items()]
        lines += [f"  penalty {k} -{v:.0f}" for k, v in row["penalties"].items()]
        lines += ["", f"status {row['status']}, slashes {row['slashes']}, delegators {row['delegators']}",
                  "details: ogcli stake validator " + row["address"]]
        self.query_one("#detail", Static).update("\n".join(lines))
