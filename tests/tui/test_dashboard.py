"""The dashboard driven by Textual's pilot, on a scripted loader (a test double for the network)."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Static, TabbedContent

from tui.app import Dashboard
from tui.snapshot import Snapshot


def _row(name: str, address: str, score: float, stake: int, commission: int) -> dict:
    return {
        "address": address, "moniker": name, "score": score,
        "sub_scores": {"liveness": score, "correctness": 100.0, "timeliness": 50.0, "economics": 60.0, "risk": 90.0,
                       "decentralization": 40.0, "governance": 0.0},
        "penalties": {}, "stake_wei": str(stake * 10**18), "share": 0.25, "commission_bps": commission,
        "self_stake_wei": str(10**22), "status": "active", "slashes": 0, "delegators": 3,
    }


def _snapshot(block: int) -> Snapshot:
    usage = {"window": "7d", "time": 1_800_000_000, "bucket_seconds": 86_400, "buckets": list(range(7)),
             "series": {"inferences": [0, 1, 2, 3, 4, 5, 6], "transactions": [1] * 7, "attestations": [2] * 7,
                        "fees_wei": ["0"] * 7, "publisher_earnings_wei": ["0"] * 7},
             "totals": {"inferences": 21, "transactions": 7, "active_wallets": 5, "attestations": 14, "models_live": 4,
                        "fees_wei": str(3 * 10**18), "publisher_earnings_wei": "0"},
             "stake": {"total_wei": str(4 * 10**24), "validators": 3, "nakamoto_coefficient": 2}, "index": {}}
    validators = [
        _row("Aurora", "0x" + "a" * 40, 80, 400_000, 500),
        _row("Borealis", "0x" + "b" * 40, 60, 900_000, 1000),
        _row("Cirrus", "0x" + "c" * 40, 90, 100_000, 300),
    ]
    return Snapshot("devnet", block, 1_800_000_000, usage, validators, 2)


class ScriptedLoader:
    """Test double of the network loader: answers from a script, raising where it says 'down'."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        step = self.script[min(self.calls - 1, len(self.script) - 1)]
        if step == "down":
            raise ConnectionError("cannot reach http://127.0.0.1:8545")
        return _snapshot(step)


def _run(loader, body):
    async def main():
        app = Dashboard(loader, refresh_s=3600, clock=lambda: 1_800_000_000.0)
        async with app.run_test(size=(80, 24)) as pilot:  # usable at 80x24
            await pilot.pause(0.2)
            await body(app, pilot)
    asyncio.run(main())


def _names(app) -> list[str]:
    table = app.query_one("#table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def test_navigation_sorting_search_and_selection():
    async def body(app, pilot):
        assert "block 100" in str(app.query_one("#status", Static).render())
        assert "inferences" in str(app.query_one("#usage", Static).render())
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "validators"
        assert _names(app) == ["Cirrus", "Aurora", "Borealis"]  # by score
        await pilot.press("s")
        assert _names(app) == ["Borealis", "Aurora", "Cirrus"]  # by stake
        await pilot.press("s")
        assert _names(app) == ["Cirrus", "Aurora", "Borealis"]  # by commission, lowest first
        app.query_one("#table", DataTable).focus()
        await pilot.press("down")
        await pilot.pause(0.1)
        assert "Aurora" in str(app.query_one("#detail", Static).render())
        await pilot.press("slash")
        await pilot.press("b", "o", "r")
        await pilot.pause(0.1)
        assert _names(app) == ["Borealis"]
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen.__class__.__name__ != "HelpScreen"
        await pilot.press("1")
        assert app.query_one(TabbedContent).active == "overview"
    _run(ScriptedLoader([100]), body)


def test_an_outage_is_shown_the_data_kept_and_recovered_from():
    loader = ScriptedLoader([100, "down", "down", 105])

    async def body(app, pilot):
        await pilot.press("2")
        assert len(_names(app)) == 3
        await pilot.press("r")
        await pilot.pause(0.2)
        status = app.query_one("#status", Static)
        assert "RPC OUTAGE" in str(status.render()) and "showing the last data" in str(status.render())
        assert status.has_class("outage") and len(_names(app)) == 3  # the last data stays
        await pilot.press("r")
        await pilot.pause(0.2)
        assert "RPC OUTAGE" in str(status.render())
        await pilot.press("r")
        await pilot.pause(0.2)
        assert "block 105" in str(status.render()) and not status.has_class("outage")
    _run(loader, body)
    assert loader.calls == 4


def test_no_data_yet_says_so():
    async def body(app, pilot):
        assert "no data yet" in str(app.query_one("#status", Static).render())
    _run(ScriptedLoader(["down"]), body)
