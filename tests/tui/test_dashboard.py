"""The dashboard driven by Textual's pilot, on a scripted loader (a test double for the network)."""

from __future__ import annotations

from textual.widgets import DataTable, Static, TabbedContent

from tests.tui.conftest import wait_for
from tests.tui.doubles import NOW, ScriptedLoader, snapshot, validator_row


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def _column(app, selector: str, column: int = 0) -> list[str]:
    table = app.query_one(selector, DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


def test_every_screen_is_reachable_by_its_key_and_shows_its_data(run_dashboard):
    async def body(app, pilot):
        tabs = app.query_one(TabbedContent)
        assert tabs.active == "overview"
        overview = _text(app, "#usage")
        assert "inferences" in overview and "21" in overview and "Nakamoto coefficient 2" in overview
        await pilot.press("2")
        assert tabs.active == "validators" and _column(app, "#table") == ["Cirrus", "Aurora", "Borealis"]
        await pilot.press("3")
        assert tabs.active == "models"
        assert _column(app, "#models-table", 1) == ["wallet-risk", "eth-vol", "old-sentiment"]  # live by calls, then deprecated
        assert _column(app, "#models-table", 7) == ["live", "live", "deprecated"]
        await pilot.press("4")
        assert tabs.active == "governance"
        assert _column(app, "#proposals", 3) == ["voting closes in 2d 3h", "executable in 1h 30m", "final"]
        assert "ogcli-node v0.2" in _text(app, "#whitelist") and "TDX off" in _text(app, "#whitelist")
        await pilot.press("5")
        assert tabs.active == "positions"
        positions = _text(app, "#positions-pane")
        assert "1,500" in positions and "matures in 3d 2h" in positions and "Aurora" in positions
        await pilot.press("6")
        assert tabs.active == "events"
        assert _column(app, "#feed", 2) == ["Attested", "InferenceSettled", "Delegated"]  # newest first
        assert _column(app, "#feed", 0) == ["30s ago", "30s ago", "1h 6m ago"]
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("1")
        assert tabs.active == "overview"
    run_dashboard(ScriptedLoader([100]), body)


def test_sorting_search_and_selection(run_dashboard):
    async def body(app, pilot):
        await pilot.press("2")
        assert _column(app, "#table") == ["Cirrus", "Aurora", "Borealis"]  # by score
        await pilot.press("s")
        assert _column(app, "#table") == ["Borealis", "Aurora", "Cirrus"]  # by stake
        await pilot.press("s")
        assert _column(app, "#table") == ["Cirrus", "Aurora", "Borealis"]  # by commission, lowest first
        app.query_one("#table", DataTable).focus()
        await pilot.press("down")
        await pilot.pause(0.05)
        assert "Aurora" in _text(app, "#detail")
        await pilot.press("slash", "b", "o", "r")
        await pilot.pause(0.05)
        assert _column(app, "#table") == ["Borealis"]
        await pilot.press("escape")
        assert "Borealis" in _text(app, "#detail")  # the only row left is the selected one
    run_dashboard(ScriptedLoader([100]), body)


def test_countdowns_tick_between_polls(run_dashboard):
    clock = [float(NOW)]

    async def body(app, pilot):
        await pilot.press("4")
        assert _column(app, "#proposals", 3)[1] == "executable in 1h 30m"
        clock[0] += 1_800
        app._tick()
        assert _column(app, "#proposals", 3)[1] == "executable in 1h"
        clock[0] += 3_600
        app._tick()
        assert _column(app, "#proposals", 3)[1] == "executable now"
    run_dashboard(ScriptedLoader([100]), body, clock=lambda: clock[0])


def test_a_refresh_updates_cells_in_place_and_keeps_the_selection(run_dashboard):
    changed = snapshot(101, validators=[
        validator_row("Aurora", "0x" + "a" * 40, 80, 400_000, 500),
        validator_row("Borealis", "0x" + "b" * 40, 60, 900_001, 1000),
        validator_row("Cirrus", "0x" + "c" * 40, 90, 100_000, 300, status="jailed"),
    ])

    async def body(app, pilot):
        await pilot.press("2")
        table = app.query_one("#table", DataTable)
        table.move_cursor(row=2)
        before = table._ogcli_shown
        await pilot.press("r")
        await wait_for(lambda: app.snapshot.head_block == 101, pilot)
        assert table._ogcli_shown is not before
        assert _column(app, "#table", 2) == ["100,000", "400,000", "900,001"]
        assert table.cursor_row == 2 and "Borealis" in _text(app, "#detail")
    run_dashboard(ScriptedLoader([100, changed]), body)


def test_an_outage_is_shown_the_data_kept_and_recovered_from(run_dashboard):
    loader = ScriptedLoader([100, "down", "down", 105])

    async def body(app, pilot):
        await pilot.press("2")
        assert len(_column(app, "#table")) == 3
        await pilot.press("r")
        await wait_for(lambda: app.outage_since is not None, pilot)
        status = app.query_one("#status", Static)
        assert "RPC OUTAGE" in str(status.render()) and "showing the last data" in str(status.render())
        assert status.has_class("outage") and len(_column(app, "#table")) == 3  # the last data stays
        await wait_for(lambda: not app._loading, pilot)
        await pilot.press("r")
        await wait_for(lambda: loader.calls == 3 and not app._loading, pilot)
        assert "RPC OUTAGE" in str(status.render())
        await pilot.press("r")
        await wait_for(lambda: app.outage_since is None, pilot)
        assert "block 105" in str(status.render()) and not status.has_class("outage")
    run_dashboard(loader, body)
    assert loader.calls == 4


def test_no_data_yet_says_so(run_dashboard):
    async def body(app, pilot):
        assert "no data yet" in _text(app, "#status")
    run_dashboard(ScriptedLoader(["down"]), body)


def test_the_next_poll_is_scheduled_only_after_the_last_finished(run_dashboard):
    async def body(app, pilot):
        assert app._next_poll is not None and not app._loading  # one poll done, the next one on a timer
        app._loading = True  # a poll in flight: a manual refresh does not start another
        await pilot.press("r")
        assert loader.calls == 1
        app._loading = False
    loader = ScriptedLoader([100])
    run_dashboard(loader, body)


class SplitLoader(ScriptedLoader):
    """Like the network loader: snapshots without usage, which a second call counts."""

    def __init__(self, script):
        super().__init__(script)
        self.counted = 0

    def __call__(self):
        from dataclasses import replace

        return replace(super().__call__(), usage=None)

    def usage(self, chain_time):
        self.counted += 1
        return snapshot(100, inferences=77).usage if self.counted == 1 else None  # then: nothing new


def test_usage_is_counted_apart_and_kept_between_polls(run_dashboard):
    loader = SplitLoader([100, 101])

    async def body(app, pilot):
        await wait_for(lambda: app.snapshot.usage is not None, pilot)
        assert "77" in _text(app, "#usage") and loader.counted == 1
        await pilot.press("r")
        await wait_for(lambda: app.snapshot.head_block == 101 and loader.counted == 2, pilot)
        await pilot.pause(0.05)
        assert app.snapshot.usage["totals"]["inferences"] == 77 and "77" in _text(app, "#usage")  # kept
    run_dashboard(loader, body)


def test_names_from_the_chain_are_shown_as_written_not_parsed_as_markup(run_dashboard):
    """Anyone can publish a model or register a validator: a name with markup in it must show as
    written (it used to crash every running dashboard with a MarkupError)."""
    import dataclasses

    base = snapshot()
    hostile = dataclasses.replace(
        base,
        validators=[{**base.validators[0], "moniker": "evil[/bold]"}, *base.validators[1:]],
        models=[{**base.models[0], "name": "[red]x[/"}, *base.models[1:]],
        proposals=[{**base.proposals[0], "title": "[link=x]click"}, *base.proposals[1:]],
    )

    async def body(app, pilot):
        await pilot.press("2")
        assert "evil[/bold]" in _column(app, "#table")
        await pilot.press("3")
        assert "[red]x[/" in _column(app, "#models-table", 1)
        await pilot.press("4")
        assert "[link=x]click" in _column(app, "#proposals", 0)
        await pilot.press("slash")
        await pilot.press(*"[/")  # typed markup in the search box (shown in the table's title)
        await pilot.pause(0.05)
        assert app.is_running

    run_dashboard(lambda: hostile, body)
