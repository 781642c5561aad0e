"""Sender hands each nonce out once, even to several threads sending from one account (a node's
settler and verifier share the operator's)."""

from __future__ import annotations

import threading
import time

from ogcli.chain.sender import Sender


class _CountingEth:
    """Test double of web3's eth namespace: the chain's pending count, asked for once."""

    def __init__(self) -> None:
        self.asked = 0
        self.chain_id = 31337

    def get_transaction_count(self, _address, _block):
        self.asked += 1
        time.sleep(0.01)  # a round trip: long enough for other threads to ask too, were they let
        return 7


class _W3:
    def __init__(self) -> None:
        self.eth = _CountingEth()


class _Account:
    address = "0x" + "ab" * 20


def test_nonces_from_many_threads_are_distinct_and_consecutive():
    w3 = _W3()
    sender = Sender(w3, _Account())
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(200):
            nonce = sender._next_nonce()
            with lock:
                got.append(nonce)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(7, 7 + 1600))
    assert w3.eth.asked == 1
    sender.resync()
    assert sender._next_nonce() == 7 and w3.eth.asked == 2
