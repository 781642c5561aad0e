"""The log of internal errors (bugs): an unexpected exception's traceback, appended to a file in
the state directory, so that the user sees one line and a report can carry the whole story.

Nothing secret goes in: of the command line only its lower-case words are kept (the command's
names; no option, no value: a key or a password may be one), and anything in the traceback that
looks like a private key (64 hex digits) or equals the keystore password in the environment is
blanked."""

from __future__ import annotations

import os
import re
import time
import traceback
from pathlib import Path

SECRET_HEX = re.compile(r"(0x)?[0-9a-fA-F]{64}")
COMMAND_WORD = re.compile(r"[a-z][a-z-]{0,30}")  # command and sub-command names; never a value's bytes
PASSWORD_ENV = "OGCLI_PASSWORD"
KEEP_BYTES = 1 << 20  # the log is cut back to its last MiB when it grows past it


def record(exc: BaseException, argv: list[str]) -> Path:
    """Appends `exc`'s traceback to the log; returns the log's path (or where it would be)."""
    from ogcli import __version__, locations

    path = locations.state_dir() / "errors.log"
    command = [arg for arg in argv if COMMAND_WORD.fullmatch(arg)]
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    entry = f"--- {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} ogcli {__version__}: {' '.join(command)}\n"
    entry += scrub(text) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > KEEP_BYTES:
            path.write_bytes(path.read_bytes()[-KEEP_BYTES // 2:])
        with open(path, "a", encoding="utf-8") as log:
            log.write(entry)
        os.chmod(path, 0o600)
    except OSError:
        pass  # a log that cannot be written must not hide the error itself
    return path


def scrub(text: str) -> str:
    """`text` with private-key-like hex and the environment's keystore password blanked."""
    text = SECRET_HEX.sub("<redacted>", text)
    password = os.environ.get(PASSWORD_ENV)
    if password:
        text = text.replace(password, "<redacted>")
    return text
