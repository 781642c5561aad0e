"""Delegating and voting from the dashboard: the dialogs, on a recording writer (a test double for
the wallet, the simulation and the sender). Cancel sends nothing; bad input never reaches it."""

from __future__ import annotations

from textual.widgets import Input, RadioSet, Static

from tests.tui.conftest import wait_for
from tests.tui.doubles import PROPOSAL_ID, RecordingWriter, ScriptedLoader


def _dialog_text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _open_delegate(app, pilot):
    await pilot.press("2")
    await pilot.press("down")  # Aurora, second by score
    await pilot.press("d")
    await wait_for(lambda: app.screen.__class__.__name__ == "DelegateDialog", pilot)


async def _type(pilot, text: str):
    await pilot.press(*[{".": "full_stop"}.get(ch, ch) for ch in text])


def test_delegate_previews_then_sends_on_yes(run_dashboard):
    writer = RecordingWriter()

    async def body(app, pilot):
        await _open_delegate(app, pilot)
        assert "Aurora" in str(app.screen.query_one("#heading").render())
        await _type(pilot, "12.5")
        app.screen.query_one("#password", Input).value = "pw"
        await pilot.press("enter")
        await wait_for(lambda: app.screen.state == "confirm", pilot)
        preview = _dialog_text(app, "#preview")
        assert "delegate 12.5 OPG" in preview and "devnet (chain id 31337)" in preview and "y: sign and send" in preview
        assert writer.sent == []  # previewed, not sent
        [(request, password)] = writer.begun
        assert request.validator == "0x" + "a" * 40 and request.wei == 12_500_000_000_000_000_000 and password == "pw"
        await pilot.press("y")
        await wait_for(lambda: app.screen.state == "done", pilot)
        assert writer.sent == [(request, 0)]
        assert "sent delegate 12.5 OPG" in _dialog_text(app, "#preview")
        await pilot.press("enter")  # Close
        await wait_for(lambda: app.screen.__class__.__name__ != "DelegateDialog", pilot)
    run_dashboard(ScriptedLoader([100]), body, writer=writer)


def test_delegate_cancel_after_the_preview_sends_nothing(run_dashboard):
    writer = RecordingWriter()

    async def body(app, pilot):
        await _open_delegate(app, pilot)
        await _type(pilot, "12.5")
        await pilot.press("enter")
        await wait_for(lambda: app.screen.state == "confirm", pilot)
        await pilot.press("n")
        await wait_for(lambda: app.screen.__class__.__name__ != "DelegateDialog", pilot)
        assert len(writer.begun) == 1 and writer.sent == []
    run_dashboard(ScriptedLoader([100]), body, writer=writer)


def test_a_bad_amount_is_one_line_and_never_reaches_the_network(run_dashboard):
    writer = RecordingWriter(needs_password=False)

    async def body(app, pilot):
        await _open_delegate(app, pilot)
        assert not app.screen.query("#password")  # OGCLI_PASSWORD is set: no password box
        await _type(pilot, "1e3")
        await pilot.press("enter")
        await pilot.pause(0.05)
        error = _dialog_text(app, "#error")
        assert error.startswith("error: ") and "1e3" in error and len(error.splitlines()) == 1
        assert writer.begun == [] and writer.sent == [] and app.screen.state == "input"
        await pilot.press("escape")
        await wait_for(lambda: app.screen.__class__.__name__ != "DelegateDialog", pilot)
    run_dashboard(ScriptedLoader([100]), body, writer=writer)


def test_a_refused_simulation_is_one_line_and_sends_nothing(run_dashboard):
    writer = RecordingWriter(refuse="delegate 12.5 OPG would fail: ValidatorJailed(); nothing was sent")

    async def body(app, pilot):
        await _open_delegate(app, pilot)
        await _type(pilot, "12.5")
        await pilot.press("enter")
        await wait_for(lambda: "ValidatorJailed" in _dialog_text(app, "#error"), pilot)
        assert app.screen.state == "input" and writer.sent == []
        await pilot.press("y")  # nothing to sign
        assert writer.sent == []
    run_dashboard(ScriptedLoader([100]), body, writer=writer)


def test_an_approval_first_asks_twice(run_dashboard):
    writer = RecordingWriter(needs_approval=True)

    async def body(app, pilot):
        await _open_delegate(app, pilot)
        await _type(pilot, "12.5")
        await pilot.press("enter")
        await wait_for(lambda: app.screen.state == "confirm", pilot)
        assert "approve Staking to pull 12.5 OPG   (step 1 of 2)" in _dialog_text(app, "#preview")
        await pilot.press("y")
        await wait_for(lambda: app.screen.state == "confirm" and app.screen.index == 1, pilot)
        assert "(step 2 of 2)" in _dialog_text(app, "#preview") and len(writer.sent) == 1
        await pilot.press("escape")  # declines the delegation itself: the approval alone was sent
        await wait_for(lambda: app.screen.__class__.__name__ != "DelegateDialog", pilot)
        assert [index for _request, index in writer.sent] == [0]
    run_dashboard(ScriptedLoader([100]), body, writer=writer)


def test_vote_needs_a_choice_then_sends_it(run_dashboard):
    writer = RecordingWriter(needs_password=False, action="vote for on Raise the dispute slash")

    async def body(app, pilot):
        await pilot.press("4")
        await pilot.press("v")
        await wait_for(lambda: app.screen.__class__.__name__ == "VoteDialog", pilot)
        assert "Raise the dispute slash" in str(app.screen.query_one("#heading").render())
        app.screen.query_one("#go").press()
        await pilot.pause(0.05)
        assert "choose For, Against or Abstain" in _dialog_text(app, "#error") and writer.begun == []
        radio = app.screen.query_one("#support", RadioSet)
        radio.focus()
        await pilot.press("enter")  # the first choice, For
        await pilot.pause(0.05)
        assert radio.pressed_index == 0
        app.screen.query_one("#reason", Input).value = "needed"
        app.screen.query_one("#go").press()
        await wait_for(lambda: app.screen.state == "confirm", pilot)
        [(request, _password)] = writer.begun
        assert (request.proposal_id, request.support, request.reason) == (PROPOSAL_ID, "for", "needed")
        await pilot.press("y")
        await wait_for(lambda: app.screen.state == "done", pilot)
        assert writer.sent == [(request, 0)]
    run_dashboard(ScriptedLoader([100]), body, writer=writer)


def test_vote_cancel_sends_nothing(run_dashboard):
    writer = RecordingWriter(needs_password=False)

    async def body(app, pilot):
        await pilot.press("4")
        await pilot.press("v")
        await wait_for(lambda: app.screen.__class__.__name__ == "VoteDialog", pilot)
        await pilot.press("escape")
        await wait_for(lambda: app.screen.__class__.__name__ != "VoteDialog", pilot)
        assert writer.begun == [] and writer.sent == []
    run_dashboard(ScriptedLoader([100]), body, writer=writer)
