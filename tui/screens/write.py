"""The confirmation dialogs for delegating and voting from the dashboard.

Input is checked here first (nothing reaches the network on bad input); then a worker opens the
wallet, builds the plans and simulates the first one; its preview is the CLI's preview, line for
line; `y` signs and sends it, `n` or esc cancels. A delegation that needs an approval first shows
two previews, one after the other, as the CLI asks twice. Errors show as one line.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tui.messages import one_line


class _Ready(Message):
    def __init__(self, job, index: int, step) -> None:
        super().__init__()
        self.job, self.index, self.step = job, index, step


class _Sent(Message):
    def __init__(self, sent) -> None:
        super().__init__()
        self.sent = sent


class _Refused(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class WriteDialog(ModalScreen[list]):
    """Base: subclasses add their inputs and turn them into a request (or raise UsageError)."""

    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("y", "sign", "sign and send", show=False),
        Binding("n", "no", "cancel", show=False),
    ]

    def __init__(self, writer, title: str) -> None:
        super().__init__()
        self.writer = writer
        self.heading = title
        self.state = "input"  # input -> working -> confirm -> working -> ... -> done
        self.job = None
        self.index = 0
        self.step = None
        self.sent: list = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.heading, id="heading", markup=False)
            yield from self.fields()
            if self.writer.needs_password:
                yield Input(placeholder="wallet password", password=True, id="password")
            yield Static("", id="preview", markup=False)
            yield Static("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Preview", id="go", variant="primary")
                yield Button("Cancel", id="cancel")

    def fields(self) -> ComposeResult:
        return iter(())

    def request(self):
        raise NotImplementedError

    # ------------------------------------------------------------------ flow

    @on(Button.Pressed, "#go")
    @on(Input.Submitted)
    def _go(self) -> None:
        if self.state == "input":
            self._start()
        elif self.state == "confirm":
            self.action_sign()
        elif self.state == "done":
            self.dismiss(self.sent)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if self.state == "working" and self.step is not None:
            return  # a transaction is on its way; it cannot be called back
        self.workers.cancel_all()
        self.dismiss(self.sent)

    def action_no(self) -> None:
        if self.state == "confirm":  # elsewhere `n` may be meant for a field
            self.action_cancel()

    def action_sign(self) -> None:
        if self.state != "confirm":
            return
        self._working("signing and sending…")
        job, step = self.job, self.step
        self.run_worker(lambda: self._send(job, step), thread=True, exclusive=True, group="write")

    def _start(self) -> None:
        from ogcli.errors import OgcliError

        self._error("")
        try:
            request = self.request()
        except OgcliError as exc:  # bad input: said here, nothing goes to the network
            self._error(exc.message)
            return
        password = self.query_one("#password", Input).value if self.writer.needs_password else ""
        self.step = None
        self._working("simulating…")
        self.run_worker(lambda: self._begin(request, password), thread=True, exclusive=True, group="write")

    def _begin(self, request, password: str) -> None:
        try:
            job = self.writer.begin(request, password)
            self.post_message(_Ready(job, 0, job.prepare(0)))
        except Exception as exc:  # every failure is a line in the dialog, never a crash
            self.post_message(_Refused(one_line(exc)))

    def _send(self, job, step) -> None:
        try:
            sent = job.send(step)
        except Exception as exc:  # noqa: BLE001 - shown as one line
            self.post_message(_Refused(one_line(exc)))
            return
        self.post_message(_Sent(sent))
        if self.index + 1 < len(job.plans):
            try:
                self.post_message(_Ready(job, self.index + 1, job.prepare(self.index + 1)))
            except Exception as exc:  # noqa: BLE001
                self.post_message(_Refused(one_line(exc)))

    def on__ready(self, message: _Ready) -> None:
        self.job, self.index, self.step = message.job, message.index, message.step
        self.state = "confirm"
        total = len(message.job.plans)
        title = message.step.action + (f"   (step {message.index + 1} of {total})" if total > 1 else "")
        width = max(len(label) for label, _ in message.step.lines)
        lines = [title, ""] + [f"{label:<{width}}  {value}" for label, value in message.step.lines]
        lines += [f"warning: {w}" for w in message.step.warnings]
        lines += ["", "y: sign and send    n / esc: cancel"]
        self.query_one("#preview", Static).update("\n".join(lines))
        self._buttons("Sign and send", enabled=True)
        self.query_one("#cancel", Button).focus()  # the CLI's default is no; so is this dialog's

    def on__sent(self, message: _Sent) -> None:
        self.sent.append(message.sent)
        done = [line for s in self.sent for line in (f"sent {s.action}, mined in block {s.block_number}:", f"  {s.tx_hash}")]
        if self.job is not None and len(self.sent) >= len(self.job.plans):
            self.state = "done"
            self.query_one("#preview", Static).update("\n".join(done))
            self._buttons("Close", enabled=True)
            self.query_one("#go", Button).focus()
        else:
            self.query_one("#preview", Static).update("\n".join(done + ["", "simulating the next step…"]))

    def on__refused(self, message: _Refused) -> None:
        self._error(message.error)
        if self.sent:
            self.state = "done"
            self._buttons("Close", enabled=True)
            return
        self.state = "input"
        self.step = None
        self.query_one("#preview", Static).update("")
        self._buttons("Preview", enabled=True)
        self._fields(shown=True)

    # ------------------------------------------------------------------ view

    def _working(self, text: str) -> None:
        self.state = "working"
        self._fields(shown=False)
        self.query_one("#preview", Static).update(text)
        self._buttons("…", enabled=False)

    def _fields(self, *, shown: bool) -> None:
        """Inputs step aside while a preview is up (the preview needs the room at 80x24) and
        cannot be edited behind it; they come back after a refusal."""
        for field in [*self.query(Input), *self.query(RadioSet)]:
            field.disabled = not shown
            field.display = shown

    def _buttons(self, label: str, *, enabled: bool) -> None:
        go = self.query_one("#go", Button)
        go.label = label
        go.disabled = not enabled

    def _error(self, text: str) -> None:
        error = self.query_one("#error", Static)
        error.update(f"error: {text}" if text else "")
        error.set_class(bool(text), "shown")


class DelegateDialog(WriteDialog):
    def __init__(self, writer, validator: dict) -> None:
        name = validator["moniker"] or validator["address"]
        super().__init__(writer, f"delegate to {name}\n{validator['address']}")
        self.validator = validator

    def fields(self) -> ComposeResult:
        yield Input(placeholder="amount in OPG, e.g. 1000 or 12.5", id="amount")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    def request(self):
        from ogcli import parsing
        from tui.writer import DelegateRequest

        return DelegateRequest(self.validator["address"], parsing.amount(self.query_one("#amount", Input).value))


SUPPORTS = ("for", "against", "abstain")


class VoteDialog(WriteDialog):
    def __init__(self, writer, proposal: dict) -> None:
        super().__init__(writer, f"vote on {proposal['title']}\nproposal {proposal['id'][:20]}…, {proposal['state']}")
        self.proposal = proposal

    def fields(self) -> ComposeResult:
        with RadioSet(id="support"):
            for support in SUPPORTS:
                yield RadioButton(support.capitalize(), id=f"support-{support}")
        yield Input(placeholder="reason (optional, recorded on chain)", id="reason")

    def on_mount(self) -> None:
        self.query_one("#support", RadioSet).focus()

    def request(self):
        from ogcli.errors import UsageError
        from tui.writer import VoteRequest

        chosen = self.query_one("#support", RadioSet).pressed_index
        if chosen < 0:
            raise UsageError("choose For, Against or Abstain (arrows and enter, or click)")
        return VoteRequest(self.proposal["id"], SUPPORTS[chosen], self.query_one("#reason", Input).value.strip())
