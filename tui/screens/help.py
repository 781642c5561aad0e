"""The help screen: every key, and what the dashboard does when the network fails."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """ogcli dashboard: keys

  1-6      overview, validators, models, governance, positions, events
  tab      move between tabs and widgets; arrows move in tables
  s        sort validators: score, stake, commission, liveness, correct.
  /        search validators by name or address (esc leaves the box)
  d        delegate to the selected validator
  v        vote on the selected proposal
  r        refresh now
  ?        this help          q   quit

Delegating and voting show the same preview as the CLI and send
nothing until you press y; esc or n cancels.

Data refreshes in the background. When the RPC endpoint does not
answer, the top line says so, the last data stays on screen, and it
recovers by itself when the endpoint answers again.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(HELP, markup=False)
