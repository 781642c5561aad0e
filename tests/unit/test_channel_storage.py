"""The node's channel records on disk (ogcli/node/channel_storage.py) answer the SDK's storage
protocol as its in-memory default does, and survive the process."""

from __future__ import annotations

import threading

from x402.mechanisms.evm.batch_settlement.server.storage import Channel
from x402.mechanisms.evm.batch_settlement.types import ChannelConfig

from ogcli.node.channel_storage import SqliteChannelStorage

CHANNEL_ID = "0x" + "ab" * 32
CONFIG = ChannelConfig(payer="0x" + "11" * 20, payer_authorizer="0x" + "11" * 20, receiver="0x" + "22" * 20,
                       receiver_authorizer="0x" + "33" * 20, token="0x" + "44" * 20, withdraw_delay=900,
                       salt="0x" + "00" * 32)


def _charged(amount: int):
    def update(current):  # a new record, as the SDK's updates make (the same object back means "unchanged")
        following = current.copy() if current else Channel(channel_id=CHANNEL_ID, channel_config=CONFIG)
        following.charged_cumulative_amount = str(int(following.charged_cumulative_amount) + amount)
        return following
    return update


def test_updates_are_kept_on_disk_and_deletes_and_no_ops_say_so(tmp_path):
    storage = SqliteChannelStorage(tmp_path / "channels.db")
    assert storage.get(CHANNEL_ID) is None
    assert storage.update_channel(CHANNEL_ID, _charged(5)).status == "updated"
    assert storage.update_channel(CHANNEL_ID, lambda current: current).status == "unchanged"
    storage.close()
    reopened = SqliteChannelStorage(tmp_path / "channels.db")  # a restarted node
    assert reopened.get(CHANNEL_ID.upper().replace("0X", "0x")).charged_cumulative_amount == "5"
    assert [c.channel_id for c in reopened.list()] == [CHANNEL_ID]
    assert reopened.update_channel(CHANNEL_ID, lambda current: None).status == "deleted"
    assert reopened.update_channel(CHANNEL_ID, lambda current: None).status == "unchanged"
    assert reopened.get(CHANNEL_ID) is None


def test_a_channels_updates_are_serialised(tmp_path):
    storage = SqliteChannelStorage(tmp_path / "channels.db")
    threads = [threading.Thread(target=lambda: [storage.update_channel(CHANNEL_ID, _charged(1)) for _ in range(50)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storage.get(CHANNEL_ID).charged_cumulative_amount == "200"  # no lost update


def test_catch_up_raises_a_channel_behind_the_outbox_and_leaves_the_rest(tmp_path):
    """After a power loss the channel records may lag the outbox (fsynced), which holds every call
    answered: the latest voucher there is what the channel has been charged at least."""
    storage = SqliteChannelStorage(tmp_path / "channels.db")
    storage.update_channel(CHANNEL_ID, _charged(5))
    ahead = {"maxClaimableAmount": "9", "signature": "0x" + "cd" * 65}
    assert storage.catch_up({CHANNEL_ID: ahead}) == 1
    channel = storage.get(CHANNEL_ID)
    assert (channel.charged_cumulative_amount, channel.signed_max_claimable, channel.signature) == ("9", "9", ahead["signature"])
    assert storage.catch_up({CHANNEL_ID: {"maxClaimableAmount": "7", "signature": "0x"}}) == 0  # not behind
    assert storage.get(CHANNEL_ID).charged_cumulative_amount == "9"
    assert storage.catch_up({"0x" + "ef" * 32: ahead}) == 0  # unknown here: left to the next voucher
    assert storage.get("0x" + "ef" * 32) is None
