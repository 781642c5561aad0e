"""Password sources in their documented order, and a keyring that is missing or broken."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import pytest

from ogcli.errors import UsageError
from ogcli.wallet import keychain, passwords, prompt
from tests.keyring_doubles import BrokenKeyringForTests


@pytest.fixture
def no_tty(monkeypatch):
    monkeypatch.setattr(prompt, "stdin_is_tty", lambda: False)
    monkeypatch.delenv(passwords.ENV_VAR, raising=False)


@pytest.fixture
def tty(monkeypatch):
    """A terminal whose hidden prompt answers from a list, recording each question."""
    answers: list[str] = []
    questions: list[str] = []
    monkeypatch.setattr(prompt, "stdin_is_tty", lambda: True)
    monkeypatch.delenv(passwords.ENV_VAR, raising=False)

    def fake_getpass(question: str = "") -> str:
        questions.append(question)
        return answers.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return answers, questions


def test_file_beats_env_beats_keyring_beats_prompt(tmp_path, monkeypatch, memory_keyring, tty):
    answers, questions = tty
    password_file = tmp_path / "pw"
    password_file.write_text("from-file\nsecond line\n")
    monkeypatch.setenv(passwords.ENV_VAR, "from-env")
    memory_keyring.set_password("ogcli", "alice", "from-keyring")
    answers.append("from-prompt")

    def resolve(**kwargs):
        return passwords.existing("wallet 'alice'", keyring_name="alice", **kwargs)

    assert resolve(password_file=password_file) == passwords.Password("from-file", "file")
    assert resolve() == passwords.Password("from-env", "env")
    monkeypatch.delenv(passwords.ENV_VAR)
    assert resolve() == passwords.Password("from-keyring", "keyring")
    memory_keyring.delete_password("ogcli", "alice")
    assert resolve() == passwords.Password("from-prompt", "prompt")
    assert questions == ["Password for wallet 'alice': "]


def test_keyring_is_consulted_only_for_wallets_that_opted_in(memory_keyring, no_tty):
    memory_keyring.set_password("ogcli", "alice", "from-keyring")
    with pytest.raises(UsageError, match="no password"):
        passwords.existing("wallet 'alice'", keyring_name=None)


def test_password_file_first_line_without_line_ending(tmp_path):
    path = tmp_path / "pw"
    path.write_bytes(b"  spaced pw \r\nignored\n")
    assert passwords.from_file(path) == "  spaced pw "


@pytest.mark.parametrize("content", ["", "\nsecond"])
def test_empty_password_file_is_refused(tmp_path, content):
    path = tmp_path / "pw"
    path.write_text(content)
    with pytest.raises(UsageError, match="empty"):
        passwords.from_file(path)


def test_missing_password_file(tmp_path):
    with pytest.raises(UsageError, match="no password file"):
        passwords.from_file(tmp_path / "absent")


def test_no_source_without_tty_is_a_usage_error(no_tty):
    with pytest.raises(UsageError, match="--password-file PATH or OGCLI_PASSWORD"):
        passwords.existing("wallet 'a'")
    with pytest.raises(UsageError, match="--password-file PATH or OGCLI_PASSWORD"):
        passwords.new("wallet 'a'")


def test_new_password_prompt_asks_twice(tty):
    answers, questions = tty
    answers.extend(["s3cret", "s3cret"])
    assert passwords.new("wallet 'a'") == passwords.Password("s3cret", "prompt")
    assert len(questions) == 2


def test_new_password_prompts_must_match(tty):
    answers, _ = tty
    answers.extend(["s3cret", "s3cre7"])
    with pytest.raises(UsageError, match="do not match") as caught:
        passwords.new("wallet 'a'")
    assert "s3cre" not in caught.value.message


def test_new_password_must_not_be_empty(tty):
    answers, _ = tty
    answers.append("")
    with pytest.raises(UsageError, match="empty"):
        passwords.new("wallet 'a'")


def test_password_repr_hides_the_value():
    assert "hunter2" not in repr(passwords.Password("hunter2", "env"))


def test_missing_keyring_backend_is_not_a_crash():
    # tests/conftest.py selects keyring's fail backend, as on a machine without a keyring
    assert isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring)
    reason = keychain.save("alice", "Zq9-unique-pw")
    assert reason == "no OS keyring is available on this machine"
    assert keychain.get("alice") is None
    assert keychain.delete("alice") is False


def test_broken_keyring_backend_is_not_a_crash():
    keyring.set_keyring(BrokenKeyringForTests())
    try:
        assert "OSError" in keychain.save("alice", "pw")
        assert keychain.get("alice") is None
        assert keychain.delete("alice") is False
    finally:
        keyring.set_keyring(keyring.backends.fail.Keyring())


def test_keyring_round_trip(memory_keyring):
    assert keychain.save("alice", "pw") is None
    assert memory_keyring.entries == {("ogcli", "alice"): "pw"}
    assert keychain.get("alice") == "pw"
    assert keychain.delete("alice") is True
    assert keychain.get("alice") is None
