"""The opt-in OS keyring entry holding a wallet's password (service "ogcli", user = wallet name).

A machine without a keyring backend is normal (servers, CI, containers): every function here
then reports "not saved" instead of raising, and the caller falls back to the other sources.
"""

from __future__ import annotations

SERVICE = "ogcli"


def _keyring():
    # keyring is imported here, not at module level: it probes backends at import time.
    import keyring
    import keyring.errors

    return keyring


def _reason(exc: Exception) -> str:
    # Backends raise their own types (D-Bus, macOS Security, Windows errors) besides keyring's
    # KeyringError; none of them is given the password in its message, only service and user.
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def save(name: str, password: str) -> str | None:
    """Stores the password; returns None on success or why it could not be stored."""
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, name, password)
    except keyring.errors.NoKeyringError:
        return "no OS keyring is available on this machine"
    except Exception as exc:  # see _reason: any backend failure means "not saved", never a crash
        return f"the OS keyring cannot store the password ({_reason(exc)})"
    return None


def get(name: str) -> str | None:
    """The saved password, or None when there is none or no keyring to ask."""
    try:
        return _keyring().get_password(SERVICE, name)
    except Exception:  # no backend, a locked keychain, a broken D-Bus: same as nothing saved
        return None


def delete(name: str) -> bool:
    """Removes the saved password; True if one was removed."""
    try:
        _keyring().delete_password(SERVICE, name)
    except Exception:  # nothing saved, or no backend: there is nothing to remove
        return False
    return True
