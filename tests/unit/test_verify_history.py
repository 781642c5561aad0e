"""The history a verification reads instead of old state: the value in force at a point of the
chain is the last one set strictly before it, in (block, log index) order; and the ERC-3009
transfer that paid for a call is told apart from its neighbours in one batch by its nonce."""

from __future__ import annotations

import pytest

from ogcli.chain import abi
from ogcli.chain.abi import ContractRef
from ogcli.chain.history import HistoryMissing, Point, SettlementParams, Timeline
from ogcli.chain.receipts import paying_transfer
from ogcli.core.records import exact_request_id
from ogcli.protocol import artifacts

TOKEN = ContractRef("0x" + "a0" * 20, artifacts.abi("OPGToken"))
PAYER = "0x" + "11" * 20
TILL = "0x" + "22" * 20
SETTLEMENT = "0x" + "24" * 20
NODE = "0x" + "33" * 20


def test_the_value_in_force_is_the_last_set_strictly_before_the_point():
    prices: Timeline[int] = Timeline("price of model 1")
    prices.set(Point(10, 0), 100)
    prices.set(Point(20, 3), 200)
    prices.set(Point(15, 1), 150)  # out of order: kept in chain order
    assert prices.at(Point(10, 1)) == 100
    assert prices.at(Point(20, 3)) == 150  # a log does not see a change made by itself or later
    assert prices.at(Point(20, 2)) == 150  # ... nor one later in its own block
    assert prices.at(Point(20, 4)) == 200
    prices.set(Point(20, 3), 200)  # the same log seen again (a rescanned span) changes nothing
    assert len(prices) == 3


def test_a_point_before_any_value_was_set_is_missing_history():
    params: Timeline[SettlementParams] = Timeline("settlement parameters")
    params.set(Point(9, 0), SettlementParams(1000, 500, 3, 604_800, 1000, 2000))
    with pytest.raises(HistoryMissing, match="before block 9 sets the settlement parameters"):
        params.at(Point(9, 0))


def test_params_decode_by_name_or_by_position():
    named = {"validatorFeeBps": 1000, "treasuryFeeBps": 500, "rewardedAttesters": 3, "challengeWindow": 60,
             "slashFractionBps": 10, "challengerRewardBps": 20}
    assert SettlementParams.from_event(named) == SettlementParams.from_event((1000, 500, 3, 60, 10, 20))


def _log(name: str, index: int, *topics: bytes, data: bytes = b"") -> dict:
    topic0 = abi.event_abi(TOKEN, name).topic
    return {"address": TOKEN.address, "topics": [topic0, *("0x" + t.rjust(32, b"\0").hex() for t in topics)],
            "data": "0x" + data.hex(), "blockNumber": "0x5", "logIndex": hex(index), "transactionHash": "0x" + "ee" * 32}


def _address(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def _paid(nonce: bytes, value: int, first_index: int) -> list[dict]:
    """What one settle of a batch logs on the token: the authorization, the payer's transfer into
    the node's till, the till's on to the settlement, and the settlement's on to the node."""
    return [
        _log("AuthorizationUsed", first_index, _address(PAYER), nonce),
        _log("Transfer", first_index + 1, _address(PAYER), _address(TILL), data=value.to_bytes(32, "big")),
        _log("Transfer", first_index + 2, _address(TILL), _address(SETTLEMENT), data=value.to_bytes(32, "big")),
        _log("Transfer", first_index + 3, _address(SETTLEMENT), _address(NODE), data=(value // 2).to_bytes(32, "big")),
    ]


def test_each_call_of_one_payer_in_a_batch_gets_its_own_transfer():
    first, second = b"\x01" * 32, b"\x02" * 32
    logs = _paid(first, 700, 0) + _paid(second, 900, 4)
    for nonce, value in ((first, 700), (second, 900)):
        transfer = paying_transfer(TOKEN, logs, PAYER, exact_request_id(TILL, PAYER, nonce))
        assert (transfer.nonce, transfer.value_wei, transfer.to.lower()) == (nonce, value, TILL)


def test_no_authorization_giving_the_request_id_is_no_transfer():
    logs = _paid(b"\x01" * 32, 700, 0)
    assert paying_transfer(TOKEN, logs, PAYER, exact_request_id(TILL, PAYER, b"\x09" * 32)) is None
    assert paying_transfer(TOKEN, logs, "0x" + "44" * 20, exact_request_id(TILL, "0x" + "44" * 20, b"\x01" * 32)) is None
    # The id of the same authorization to another node's till is another call's.
    assert paying_transfer(TOKEN, logs, PAYER, exact_request_id("0x" + "66" * 20, PAYER, b"\x01" * 32)) is None
    foreign = [{**log, "address": "0x" + "b0" * 20} for log in logs]  # the same events from another contract
    assert paying_transfer(TOKEN, foreign, PAYER, exact_request_id(TILL, PAYER, b"\x01" * 32)) is None
