"""ogcli/core/channel_terms.py: a node's channel terms are used only when they pay this network's
settlement in its OPG, and the config built from them is the official SDK client's, so the
channel `ogcli pay channel open` funds is the one the SDK pays vouchers on."""

from __future__ import annotations

import pytest
from eth_account import Account

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.core import channels
from ogcli.core.channel_terms import TermsRefused, channel_config, node_key, terms_from_health

CHAIN_ID = 31337
SETTLEMENT = Account.create().address
TOKEN = Account.create().address
OPERATOR = Account.create().address
URL = "http://127.0.0.1:8700"


def _health(**changes) -> dict:
    offer = {"scheme": "batch-settlement", "network": f"eip155:{CHAIN_ID}", "payTo": SETTLEMENT, "asset": TOKEN,
             "receiverAuthorizer": OPERATOR, "withdrawDelay": 900, "minDeposit": "500000000000000000"}
    offer.update(changes)
    return {"ok": True, "chain_id": CHAIN_ID, "operator": OPERATOR, "channels": offer}


def _terms(health):
    return terms_from_health(URL + "/", health, chain_id=CHAIN_ID, settlement=SETTLEMENT, token=TOKEN)


def test_good_terms_are_taken_as_offered():
    terms = _terms(_health())
    assert (terms.node_url, terms.pay_to, terms.asset, terms.receiver_authorizer) == (URL, SETTLEMENT, TOKEN, OPERATOR)
    assert terms.withdraw_delay_s == 900 and terms.min_deposit_wei == 5 * 10**17


def test_lower_case_addresses_are_the_same_addresses():
    terms = _terms(_health(payTo=SETTLEMENT.lower(), asset=TOKEN.lower()))
    assert terms.pay_to == SETTLEMENT and terms.asset == TOKEN


def test_a_channel_paid_to_anyone_but_the_settlement_is_refused():
    other = Account.create().address
    with pytest.raises(TermsRefused, match=f"paid to {other}, not to this network's settlement contract {SETTLEMENT}"):
        _terms(_health(payTo=other))


def test_a_channel_in_another_token_is_refused():
    other = Account.create().address
    with pytest.raises(TermsRefused, match=f"in token {other}, not in this network's OPG"):
        _terms(_health(asset=other))


@pytest.mark.parametrize("health, needle", [
    ({"ok": True, "chain_id": CHAIN_ID}, "takes no channel payments"),
    ("not a dict", "takes no channel payments"),
    (_health(scheme="exact"), "of scheme 'exact'"),
    (_health(network="eip155:8453"), "on eip155:8453, not on this network"),
    ({**_health(), "chain_id": 8453}, "not on this network (eip155:31337)"),
    (_health(receiverAuthorizer=channels.ZERO_ADDRESS), "no receiver authorizer"),
    (_health(receiverAuthorizer="0x12"), "no usable receiverAuthorizer"),
    (_health(payTo=None), "no usable payTo"),
    (_health(withdrawDelay=899), "withdraw delay of 899 s"),
    (_health(withdrawDelay="900"), "withdraw delay of '900' s"),
    (_health(withdrawDelay=31 * 86_400), "withdraw delay"),
])
def test_unusable_terms_are_refused_in_one_line(health, needle):
    with pytest.raises(TermsRefused) as refused:
        _terms(health)
    assert needle in str(refused.value) and "\n" not in str(refused.value)


def test_a_missing_or_malformed_min_deposit_is_no_hint():
    assert _terms(_health(minDeposit=None)).min_deposit_wei is None
    assert _terms(_health(minDeposit="-3")).min_deposit_wei is None


def test_the_config_is_the_official_sdk_clients_and_so_is_its_channel_id():
    from x402.mechanisms.evm.batch_settlement import compute_channel_id
    from x402.mechanisms.evm.batch_settlement.client import BatchSettlementEvmScheme
    from x402.mechanisms.evm.signers import EthAccountSigner
    from x402.schemas import PaymentRequirements

    payer = Account.create()
    health = _health()
    offer = health["channels"]
    requirement = PaymentRequirements(scheme="batch-settlement", network=offer["network"], asset=TOKEN, amount="1000",
                                      pay_to=SETTLEMENT, max_timeout_seconds=3600,
                                      extra={"receiverAuthorizer": OPERATOR, "withdrawDelay": 900,
                                             "name": "OpenGradient", "version": "1"})
    theirs = BatchSettlementEvmScheme(EthAccountSigner(payer)).build_channel_config(requirement)
    ours = channel_config(payer.address, _terms(health))
    assert ours.payer_authorizer == payer.address != channels.ZERO_ADDRESS
    assert ours.as_tuple() == (theirs.payer, theirs.payer_authorizer, theirs.receiver, theirs.receiver_authorizer,
                               theirs.token, theirs.withdraw_delay, bytes.fromhex(theirs.salt.removeprefix("0x")))
    assert "0x" + channels.channel_id(ours, CHAIN_ID, BATCH_SETTLEMENT_ADDRESS).hex() == \
        compute_channel_id(theirs, offer["network"]).lower()


def test_node_urls_have_one_spelling():
    assert node_key(" http://h:1/ ") == node_key("http://h:1") == "http://h:1"


def test_the_local_index_keeps_channels_by_chain_and_payer(tmp_path):
    from ogcli import channel_index

    payer, other = Account.create().address, Account.create().address
    config = channel_config(payer, _terms(_health()))
    entry = channel_index.IndexedChannel("0x" + "ab" * 32, URL + "/", config, 100)
    channel_index.add(CHAIN_ID, entry)
    channel_index.add(CHAIN_ID, channel_index.IndexedChannel(entry.channel_id, URL, config, 200))  # again: kept first time
    [kept] = channel_index.channels_of(CHAIN_ID, payer)
    assert kept.config == config and kept.node_url == URL and kept.opened_at == 100
    assert channel_index.channel_with(CHAIN_ID, payer, URL + "/") == kept
    assert channel_index.channels_of(CHAIN_ID, other) == [] and channel_index.channels_of(8453, payer) == []
    assert channel_index.index_file(CHAIN_ID).stat().st_mode & 0o777 == 0o600
    assert str(channel_index.index_file(CHAIN_ID)).startswith(str(tmp_path))  # the test's own data dir


def test_an_unreadable_index_is_a_one_line_config_error():
    from ogcli import channel_index
    from ogcli.errors import ConfigError

    path = channel_index.index_file(CHAIN_ID)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="channel index .* is unreadable"):
        channel_index.channels_of(CHAIN_ID, Account.create().address)


def test_what_the_node_charged_comes_from_the_sdk_clients_file_storage():
    from x402.mechanisms.evm.batch_settlement.client.file_storage import (
        FileChannelStorageOptions,
        FileClientChannelStorage,
    )
    from x402.mechanisms.evm.batch_settlement.client.storage import BatchSettlementClientContext

    from ogcli import channel_index

    channel_id = "0x" + "cd" * 32
    assert channel_index.charged_wei(CHAIN_ID, channel_id) is None
    storage = FileClientChannelStorage(FileChannelStorageOptions(channel_index.client_state_dir(CHAIN_ID)))
    storage.set(channel_id, BatchSettlementClientContext(charged_cumulative_amount="1234", balance="10000"))
    assert channel_index.charged_wei(CHAIN_ID, channel_id) == 1234
