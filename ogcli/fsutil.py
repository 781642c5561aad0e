"""File writes: atomic ones (a reader sees the old file or the new one, never half of one), and
new ones that never replace a file already there."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, mode: int = 0o644) -> None:
    """Writes `data` to a temporary file beside `path`, fsyncs it, then renames it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes | str, *, mode: int = 0o600) -> None:
    """Creates `path` with `data`, `mode` from the start; a UsageError if it exists (the user's
    file, a key or a transaction, is never written over) or cannot be written."""
    from ogcli.errors import UsageError

    payload = data.encode() if isinstance(data, str) else data
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise UsageError(f"{path} exists; nothing was written (choose a new file name)") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(payload)
