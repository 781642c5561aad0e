"""V3 keystores: scrypt round trip, wrong passwords, foreign (geth/Foundry pbkdf2) keystores."""

from __future__ import annotations

import json

import pytest

from ogcli.errors import UsageError
from ogcli.wallet import keys, keystore
from ogcli.wallet.errors import WalletError, WrongPasswordError

KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch):
    monkeypatch.setattr(keystore, "SCRYPT_N", 2**4)


def test_round_trip_uses_scrypt():
    document = keystore.encrypt(KEY, "correct horse")
    assert document["crypto"]["kdf"] == "scrypt"
    assert KEY.hex() not in json.dumps(document)
    assert keystore.decrypt(document, "correct horse", label="test") == KEY


def test_default_work_factor_is_not_weakened(monkeypatch):
    monkeypatch.setattr(keystore, "SCRYPT_N", None)
    document = keystore.encrypt(KEY, "pw")
    assert document["crypto"]["kdfparams"]["n"] >= 2**18


def test_wrong_password_is_a_wrong_password_error_without_the_password():
    document = keystore.encrypt(KEY, "right")
    with pytest.raises(WrongPasswordError) as caught:
        keystore.decrypt(document, "wrong-guess-123", label="wallet 'a'")
    assert "wrong password for wallet 'a'" == caught.value.message
    assert "wrong-guess-123" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_foreign_pbkdf2_keystore_decrypts(tmp_path):
    from eth_account import Account

    path = tmp_path / "UTC--foundry.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "foundry-pw", kdf="pbkdf2", iterations=2)))
    document = keystore.read_file(path)
    assert keystore.decrypt(document, "foundry-pw", label="x") == KEY


def test_geth_capitalised_crypto_section_is_read(tmp_path):
    from eth_account import Account

    document = Account.encrypt(KEY, "pw", kdf="pbkdf2", iterations=2)
    document["Crypto"] = document.pop("crypto")
    path = tmp_path / "geth.json"
    path.write_text(json.dumps(document))
    assert keystore.decrypt(keystore.read_file(path), "pw", label="x") == KEY


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not JSON"), ('{"version": 1}', "not a V3"), ('{"version": 3}', "no \"crypto\""), ("[]", "not a V3")],
)
def test_unreadable_foreign_keystores_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "k.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        keystore.read_file(path)


def test_missing_foreign_keystore(tmp_path):
    with pytest.raises(UsageError, match="no keystore file"):
        keystore.read_file(tmp_path / "absent.json")


def test_corrupted_crypto_section_is_a_wallet_error():
    document = keystore.encrypt(KEY, "pw")
    del document["crypto"]["mac"]
    with pytest.raises(WalletError):
        keystore.decrypt(document, "pw", label="x")


@pytest.mark.parametrize("text", [KEY.hex(), "0x" + KEY.hex(), "  0x" + KEY.hex().upper() + "\n"])
def test_private_key_parsing(text):
    assert keys.parse_private_key(text) == KEY
    assert keys.address_of_key(KEY) == ADDRESS


@pytest.mark.parametrize("text", ["", "0x1234", "zz" * 32, "0" * 64, "f" * 64, KEY.hex() + "00"])
def test_bad_private_keys_are_refused_without_echo(text):
    with pytest.raises(UsageError) as caught:
        keys.parse_private_key(text)
    assert (text.strip() or "@@") not in caught.value.message


def test_new_keys_differ():
    assert keys.new_private_key() != keys.new_private_key()
