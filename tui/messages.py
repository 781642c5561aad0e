"""Messages the dashboard's workers post back to the UI thread (the only thread-safe way in)."""

from __future__ import annotations

from textual.message import Message


class Loaded(Message):
    """A poll read the network."""

    def __init__(self, snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class UsageCounted(Message):
    """The usage worker counted the window's events (None: nothing changed)."""

    def __init__(self, usage: dict | None) -> None:
        super().__init__()
        self.usage = usage


class Failed(Message):
    """A poll could not read the network; `error` is one line."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def one_line(exc: BaseException) -> str:
    """An exception as the single line the dashboard shows (never a traceback)."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
