"""One SVG snapshot per dashboard screen at 80x24 (pytest-textual-snapshot): scripted data, the
clock pinned, no cursor blink, so a change in what a screen shows is a visible diff. After an
intended change: `pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the SVGs."""

from __future__ import annotations

import pytest

from tests.tui.doubles import NOW, RecordingWriter, ScriptedLoader


def _app():
    from tui.app import Dashboard

    return Dashboard(ScriptedLoader([100]), refresh_s=3600, clock=lambda: float(NOW), writer=RecordingWriter())


async def _loaded(pilot):
    for _ in range(250):
        if pilot.app.snapshot is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.1)


def _still(pilot):
    """No blinking cursors: each snapshot is taken at the same moment of nothing."""
    from textual.widgets import Input

    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5", "6", "question_mark"],
                         ids=["overview", "validators", "models", "governance", "positions", "events", "help"])
def test_screen(snap_compare, key):
    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press(key)
        await pilot.pause(0.1)
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)


def test_delegate_dialog_preview(snap_compare):
    async def run_before(pilot):
        await _loaded(pilot)
        await pilot.press("2", "down", "d")
        await pilot.pause(0.1)
        await pilot.press("1", "2", "full_stop", "5", "enter")
        for _ in range(100):
            if pilot.app.screen.state == "confirm":
                break
            await pilot.pause(0.02)
        _still(pilot)
        await pilot.pause(0.1)
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)


def test_outage_banner(snap_compare):
    from tui.app import Dashboard

    async def run_before(pilot):
        await _loaded(pilot)
        pilot.app.action_refresh()
        for _ in range(100):
            if pilot.app.outage_since is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.1)
    app = Dashboard(ScriptedLoader([100, "down"]), refresh_s=3600, clock=lambda: float(NOW))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
