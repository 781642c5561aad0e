"""Test doubles of the OS keyring: nothing in the tests touches a real keychain."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors


class InMemoryKeyringForTests(keyring.backend.KeyringBackend):
    """A test double of the OS keyring: a dict, so no test touches the developer's keychain."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class BrokenKeyringForTests(keyring.backend.KeyringBackend):
    """A keyring whose backend fails with a non-keyring error, as D-Bus backends do."""

    priority = 1

    def get_password(self, service, username):
        raise OSError("dbus went away")

    def set_password(self, service, username, password):
        raise OSError("dbus went away")

    def delete_password(self, service, username):
        raise OSError("dbus went away")
