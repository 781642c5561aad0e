"""Runs the dashboard under Textual's pilot at 80x24 with a pinned clock."""

from __future__ import annotations

import asyncio

import pytest

from tests.tui.doubles import NOW


def wait_for(predicate, pilot, timeout: float = 5.0):
    async def waiting():
        for _ in range(int(timeout / 0.02)):
            if predicate():
                return
            await pilot.pause(0.02)
        raise AssertionError("timed out waiting for the dashboard")
    return waiting()


@pytest.fixture
def run_dashboard():
    def run(loader, body, writer=None, clock=lambda: float(NOW)):
        from tui.app import Dashboard

        async def main():
            app = Dashboard(loader, refresh_s=3600, clock=clock, writer=writer)
            async with app.run_test(size=(80, 24)) as pilot:  # usable at 80x24
                await wait_for(lambda: app.snapshot is not None or app.outage_since is not None, pilot)
                await pilot.pause(0.05)
                await body(app, pilot)
        asyncio.run(main())
    return run
