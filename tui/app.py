"""`ogcli dashboard`: the network at a glance, for operators who leave it open all day.

Network I/O runs only in an exclusive worker thread that posts a message back; the next poll is
scheduled when the last has finished, so a slow endpoint is never asked twice at once. When the
RPC fails the top line says so, the last data stays on screen, and the next successful poll
clears it: no restart needed. Writes (delegate, vote) go through dialogs that reuse the CLI's
plans, preview and pipeline (tui/writer.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from tui import fmt
from tui.messages import Failed, Loaded, UsageCounted, one_line
from tui.screens.feed import Feed
from tui.screens.governance import Governance
from tui.screens.help import HelpScreen
from tui.screens.models import Models
from tui.screens.overview import Overview
from tui.screens.positions import Positions
from tui.screens.validators import SORTS, Validators
from tui.snapshot import Snapshot

TABS = ("overview", "validators", "models", "governance", "positions", "events")
TICKING = ("governance", "positions", "events")  # panes with countdowns or ages, redrawn each second

__all__ = ["SORTS", "TABS", "Dashboard"]


class Dashboard(App):
    CSS_PATH = "app.tcss"
    TITLE = "ogcli dashboard"
    ENABLE_COMMAND_PALETTE = False  # every action has its key; the palette's hint would crowd the footer
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("r", "refresh", "refresh"),
        *(Binding(str(i + 1), f"show('{tab}')", tab, show=False) for i, tab in enumerate(TABS)),
        Binding("s", "sort", "sort"),
        Binding("slash", "search", "search"),
        Binding("d", "delegate", "delegate"),
        Binding("v", "vote", "vote"),
        Binding("question_mark", "help", "help"),
        Binding("escape", "close_search", "close search", show=False),
    ]

    def __init__(self, loader: Callable[[], Snapshot], refresh_s: float = 5.0, clock=time.time, writer=None) -> None:
        super().__init__()
        self.loader = loader
        self.refresh_s = refresh_s
        self.clock = clock
        self.writer = writer
        self.snapshot: Snapshot | None = None
        self.outage_since: float | None = None
        self._loading = False
        self._counting = False
        self._next_poll = None

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="status", markup=False)
        with TabbedContent(initial="overview"):
            with TabPane("1 Overview", id="overview"):
                yield Overview("waiting for the first read…", id="usage", markup=False)
            with TabPane("2 Validators", id="validators"):
                yield Validators(id="validators-pane")
            with TabPane("3 Models", id="models"):
                yield Models(id="models-table")
            with TabPane("4 Governance", id="governance"):
                yield Governance(id="governance-pane")
            with TabPane("5 Positions", id="positions"):
                yield Positions("", id="positions-pane", markup=False)
            with TabPane("6 Events", id="events"):
                yield Feed(id="feed")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(1.0, self._tick)

    # ------------------------------------------------------------------ polling

    def action_refresh(self) -> None:
        if self._loading:  # the next poll starts only when the last has finished
            return
        if self._next_poll is not None:
            self._next_poll.stop()
            self._next_poll = None
        self._loading = True
        self._load()

    @work(exclusive=True, thread=True)
    def _load(self) -> None:
        try:
            snapshot = self.loader()
        except Exception as exc:  # any failure of the network read is an outage to show
            self.post_message(Failed(one_line(exc)))
        else:
            self.post_message(Loaded(snapshot))

    def _schedule(self) -> None:
        self._loading = False
        self._next_poll = self.set_timer(self.refresh_s, self.action_refresh)

    def on_loaded(self, message: Loaded) -> None:
        snapshot = message.snapshot
        if snapshot.usage is None and self.snapshot is not None and self.snapshot.usage is not None:
            snapshot = replace(snapshot, usage=self.snapshot.usage)  # until the usage worker has counted again
        self.snapshot = snapshot
        self.outage_since = None
        self._render_all()
        self._schedule()
        if hasattr(self.loader, "usage") and not self._counting:
            self._counting = True
            self._count_usage(snapshot.time)

    @work(exclusive=True, thread=True, group="usage")
    def _count_usage(self, chain_time: int) -> None:
        """Usage over the window in its own worker: over a big index it takes longer than every
        other read together, and they should not wait for it."""
        try:
            usage = self.loader.usage(chain_time)
        except Exception as exc:  # the next poll shows the outage; here only the count is lost
            usage = None
            self.log.warning(f"counting usage failed: {one_line(exc)}")
        self.post_message(UsageCounted(usage))

    def on_usage_counted(self, message: UsageCounted) -> None:
        self._counting = False
        if message.usage is not None and self.snapshot is not None:
            self.snapshot = replace(self.snapshot, usage=message.usage)
            # A count can land while the app closes and its widgets are gone: nothing to show then.
            for overview in self.query(Overview):
                overview.show(self.snapshot, self.clock())

    def on_failed(self, message: Failed) -> None:
        if self.outage_since is None:
            self.outage_since = self.clock()
        kept = "showing the last data" if self.snapshot else "no data yet"
        status = self.query_one("#status", Static)
        status.update(f"RPC OUTAGE since {fmt.utc_clock(self.outage_since)}: {message.error} ({kept}; retrying)")
        status.add_class("outage")
        self._schedule()

    # ------------------------------------------------------------------ actions

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab in ("validators", "models", "governance", "events"):
            self.call_after_refresh(self._focus_table, tab)

    def _focus_table(self, tab: str) -> None:
        selector = {"validators": "#table", "models": "#models-table", "governance": "#proposals", "events": "#feed"}[tab]
        self.query_one(selector).focus()

    def action_sort(self) -> None:
        self.action_show("validators")
        self.query_one(Validators).next_sort()

    def action_search(self) -> None:
        self.query_one(TabbedContent).active = "validators"
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

    @on(Input.Changed, "#search")
    def _searched(self, event: Input.Changed) -> None:
        self.query_one(Validators).set_search(event.value)

    @on(DataTable.RowHighlighted, "#table")
    def _selected(self) -> None:
        self.query_one(Validators).render_detail()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_delegate(self) -> None:
        from tui.screens.write import DelegateDialog

        row = self.query_one(Validators).selected()
        if row is None:
            self.action_show("validators")
            self.notify("select a validator first (tab 2, arrows)", severity="warning")
            return
        self._open_dialog(DelegateDialog(self._writer(), row))

    def action_vote(self) -> None:
        from tui.screens.write import VoteDialog

        proposal = self.query_one(Governance).selected()
        if proposal is None:
            self.action_show("governance")
            self.notify("select a proposal first (tab 4, arrows)", severity="warning")
            return
        self._open_dialog(VoteDialog(self._writer(), proposal))

    def _open_dialog(self, dialog) -> None:
        def done(sent: list | None) -> None:
            if sent:
                self.notify("; ".join(f"sent {s.action} ({s.tx_hash[:10]}…)" for s in sent), markup=False)
                self.action_refresh()

        self.push_screen(dialog, done)

    def _writer(self):
        if self.writer is None:  # the real one, built on first use: its imports are heavy
            from ogcli import context
            from tui.writer import ChainWriter

            self.writer = ChainWriter(context.resolve_network())
        return self.writer

    # ------------------------------------------------------------------ rendering

    def _render_all(self) -> None:
        snap, now = self.snapshot, self.clock()
        status = self.query_one("#status", Static)
        status.update(
            f"{snap.profile} · block {snap.head_block} · {len(snap.validators)} validators · "
            f"Nakamoto {snap.nakamoto} · updated {fmt.utc_clock(now)}"
        )
        status.remove_class("outage")
        self.query_one(Overview).show(snap, now)
        self.query_one(Validators).show(snap, now)
        self.query_one(Models).show(snap, now)
        self.query_one(Governance).show(snap, now)
        self.query_one(Positions).show(snap, now)
        self.query_one(Feed).show(snap, now)

    def _tick(self) -> None:
        """Countdowns and ages move between polls; only the visible pane is redrawn."""
        active = self.query_one(TabbedContent).active
        if self.snapshot is None or active not in TICKING:
            return
        pane = {"governance": Governance, "positions": Positions, "events": Feed}[active]
        self.query_one(pane).show(self.snapshot, self.clock())
