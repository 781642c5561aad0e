"""What one dashboard refresh reads from the network: usage and the validator table. Everything
network-bound happens here, in a worker thread, never in the UI thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snapshot:
    profile: str
    head_block: int
    time: int
    usage: dict
    validators: list[dict]
    nakamoto: int


class NetworkLoader:
    """Reads a Snapshot from the profile's network (one connection, reopened after an outage)."""

    WINDOW = "7d"

    def __init__(self, network) -> None:
        self.network = network
        self._protocol = None

    def __call__(self) -> Snapshot:
        from ogcli.chain.network import open_protocol
        from ogcli.chain.usage import network_usage
        from ogcli.chain.validators import read_board, table_rows
        from ogcli.core.quality import nakamoto_coefficient
        from ogcli.core.stats import WINDOWS

        try:
            if self._protocol is None:
                self._protocol = open_protocol(self.network)
            usage = network_usage(self._protocol, self.network.profile, self.WINDOW)
            board = read_board(self._protocol)
            head = self._protocol.w3.eth.block_number
        except Exception:
            self._protocol = None  # a fresh connection next time
            raise
        return Snapshot(
            profile=self.network.profile,
            head_block=head,
            time=usage["time"],
            usage=usage,
            validators=table_rows(board, WINDOWS[self.WINDOW][0]),
            nakamoto=nakamoto_coefficient([s.tokens_wei for s in board.states]),
        )
