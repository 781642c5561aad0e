"""Revert data becomes words: custom errors from our ABIs, Error(string), Panic, unknown data."""

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector

from ogcli.chain.revert import describe


def test_custom_error_with_arguments():
    data = selector("Underpaid(uint256,uint256)") + encode(["uint256", "uint256"], [5, 7])
    assert describe(data) == "Underpaid(paid=5, required=7)"


def test_error_string_and_panic():
    assert describe(selector("Error(string)") + encode(["string"], ["nope"])) == "nope"
    assert describe("0x" + (selector("Panic(uint256)") + encode(["uint256"], [0x11])).hex()) == (
        "panic: arithmetic overflow or underflow"
    )


def test_unknown_and_empty():
    assert describe(b"") == "reverted without a reason"
    assert describe(bytes.fromhex("deadbeef")).startswith("reverted with unknown error 0xdeadbeef")
