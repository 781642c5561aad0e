"""Which addresses a verifier (or `infer verify`) may fetch from: off a devnet, public ones only
(an endpoint on chain naming the verifier's own machine or network is refused before any
request); on a devnet, anything. Also the pure verdict rules the verifier applies: a record's
mode must be exactly a known one, and its split must match the parameters of its time."""

from __future__ import annotations

import pytest

from ogcli.chain.history import SettlementParams
from ogcli.verify import judges
from ogcli.verify.judges import UnsafeEndpoint, address_refusal, checked_addresses
from ogcli.verify.record_judge import mode_reason, split_reasons

PUBLIC_CHAIN = 84532  # Base Sepolia


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),  # IPv4 inside IPv6 is still IPv4
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "private"),  # reserved for future use; the ipaddress module files it as private
    ("100.64.0.1", "globally routable"),  # carrier-grade NAT: nobody's public address
])
def test_non_public_addresses_are_refused_with_what_they_are(address, kind):
    assert kind in address_refusal(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


def test_off_a_devnet_a_loopback_endpoint_is_refused_and_on_one_it_is_not():
    with pytest.raises(UnsafeEndpoint, match="127.0.0.1 is a loopback address, and chain 84532 is not a devnet"):
        checked_addresses("http://127.0.0.1:8700/attestation", PUBLIC_CHAIN)
    assert checked_addresses("http://127.0.0.1:8700/attestation", 31337) == ("127.0.0.1", 8700, None)


def test_every_address_of_a_host_must_be_public(monkeypatch):
    monkeypatch.setattr(judges, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(UnsafeEndpoint, match="node.example is 10.0.0.7, a private address"):
        checked_addresses("https://node.example/v1/calls/0x01", PUBLIC_CHAIN)
    monkeypatch.setattr(judges, "resolve", lambda host, port: ["93.184.216.34"])
    assert checked_addresses("https://node.example/v1/calls/0x01", PUBLIC_CHAIN) == ("node.example", 443, ["93.184.216.34"])


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://node.example/x", "http:///no-host"])
def test_only_http_urls_are_fetched(url):
    with pytest.raises(UnsafeEndpoint, match="not an http"):
        checked_addresses(url, 31337)


@pytest.mark.parametrize("mode", [1, 2, 4])
def test_the_known_modes_are_known(mode):
    assert mode_reason(mode) is None


@pytest.mark.parametrize("mode", [0, 3, 5, 6, 7, 8, 16, 255])
def test_any_other_mode_is_unknown(mode):
    assert mode_reason(mode).startswith(f"unknown mode {mode}")


def test_the_split_is_judged_under_the_parameters_given():
    fee = 10**18
    args = {"fee": fee, "publisherCut": 10**17, "validatorCut": fee // 10, "treasuryCut": fee // 20,
            "nodeCut": fee - 10**17 - fee // 10 - fee // 20}
    then = SettlementParams(1000, 500, 3, 604_800, 1000, 2000)
    now = SettlementParams(2000, 1000, 3, 604_800, 1000, 2000)
    assert split_reasons(args, then) == []
    assert split_reasons(args, now) == ["the payment split does not add up under the settlement's parameters"]
