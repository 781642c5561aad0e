"""What one dashboard refresh reads from the network: usage, validators, models, proposals and the
TEE whitelist, the active account's positions, and the newest indexed events. Everything
network-bound happens here, in a worker thread, never in the UI thread; a Snapshot holds plain
data the screens only format."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

FEED_LENGTH = 100  # newest events kept for the feed


@dataclass(frozen=True)
class Snapshot:
    profile: str
    head_block: int
    time: int  # chain time of the read
    usage: dict | None  # None until the usage worker has counted the index (see NetworkLoader.usage)
    validators: list[dict]
    nakamoto: int
    models: list[dict] = field(default_factory=list)
    proposals: list[dict] = field(default_factory=list)
    whitelist: dict = field(default_factory=lambda: {"vendors": [], "measurements": []})
    enclaves: list[dict] = field(default_factory=list)  # active enclaves and the bond behind each
    account: str = ""  # the active profile's wallet address, "" when it has none
    positions: dict | None = None
    feed: list[dict] = field(default_factory=list)
    indexed_events: int = 0
    fetched_at: float = 0.0  # the dashboard clock when read: countdowns tick from here between polls

    def chain_now(self, clock_now: float) -> int:
        """Chain time now, assuming it moves with the wall clock since the read."""
        return self.time + max(0, int(clock_now - self.fetched_at))


class NetworkLoader:
    """Reads a Snapshot from the profile's network. One connection and one open event index are
    kept between polls; both are opened again after a failure (an outage, a restarted node).

    Usage over the window is counted apart (`usage`, in its own worker with its own SQLite
    connection): over a large index it takes seconds, and the validators, models, proposals and
    positions should not wait for it. It is counted again only when the index has new events or
    the window has moved to a new bucket."""

    WINDOW = "7d"

    def __init__(self, network, clock=time.time) -> None:
        self.network = network
        self.clock = clock
        self._protocol = None
        self._index = None
        self._usage_key = None

    def __call__(self) -> Snapshot:
        try:
            return self._read()
        except Exception:
            self.close()  # a fresh connection next time
            raise

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        if self._protocol is not None:
            self._protocol.rpc.close()  # its socket now, not whenever the collector gets to it
        self._protocol = self._index = None
        self._usage_key = None

    def _read(self) -> Snapshot:
        from ogcli.chain.bonds import enclave_bonds
        from ogcli.chain.governance import read_proposals, read_whitelist
        from ogcli.chain.indexer import Indexer
        from ogcli.chain.models import list_models
        from ogcli.chain.network import open_reader
        from ogcli.chain.validators import read_board, table_rows
        from ogcli.core.quality import nakamoto_coefficient
        from ogcli.core.stats import WINDOWS

        if self._protocol is None:
            self._protocol = open_reader(self.network)  # reads only: no web3 to import (~1.2 s)
            self._index = Indexer.for_network(self._protocol, self.network.profile)
        protocol = self._protocol
        self._index.sync()
        board = read_board(protocol)
        _now, proposals = read_proposals(protocol)
        vendors, measurements, _ = read_whitelist(protocol)
        account, positions = self._positions(protocol)
        bond_terms, enclaves = enclave_bonds(protocol)
        validators = table_rows(board, WINDOWS[self.WINDOW][0])
        monikers = {r["address"]: r["moniker"] for r in validators}
        return Snapshot(
            profile=self.network.profile,
            head_block=self._index.last_block(),
            time=board.head_timestamp,
            usage=None,
            validators=validators,
            nakamoto=nakamoto_coefficient([s.tokens_wei for s in board.states]),
            models=[model_row(m) for m in list_models(protocol)],
            proposals=[proposal_row(p) for p in proposals],
            whitelist=whitelist_rows(vendors, measurements),
            enclaves=enclave_rows(bond_terms, enclaves),
            account=account,
            positions=positions_rows(positions, monikers) if positions is not None else None,
            feed=[{"block": b, "log_index": i, "time": t, "name": n, "actor": a, "args": x}
                  for b, i, t, n, a, x in self._index.recent(FEED_LENGTH)],
            indexed_events=self._index.count(),
            fetched_at=self.clock(),
        )

    def usage(self, chain_time: int) -> dict | None:
        """The window's usage from the index, or None when nothing changed since the last count."""
        from ogcli.chain.indexer import Indexer
        from ogcli.chain.usage import usage_from_index
        from ogcli.core.stats import buckets

        protocol = self._protocol
        if protocol is None:
            return None
        index = Indexer.for_network(protocol, self.network.profile)  # its own connection: another thread
        try:
            key = (index.count(), buckets(chain_time, self.WINDOW)[0])
            if key == self._usage_key:
                return None
            usage = usage_from_index(protocol, index, self.WINDOW, sync=False)
        finally:
            index.close()
        self._usage_key = key
        return usage

    def _positions(self, protocol):
        from ogcli import wallet
        from ogcli.chain.positions import read_positions
        from ogcli.errors import OgcliError

        if not self.network.account:
            return "", None
        try:
            address = wallet.address_of(self.network.account)
        except OgcliError:  # a profile naming a wallet this machine does not have
            return "", None
        return address, read_positions(protocol, address)


# ---------------------------------------------------------------------- plain rows from chain reads


def model_row(m) -> dict:
    return {"id": m.id, "name": m.name, "version": m.version, "publisher": m.publisher, "price_wei": m.price_wei,
            "calls": m.calls, "earned_wei": m.earned_wei, "deprecated": m.deprecated}


def proposal_row(p) -> dict:
    return {"id": str(p.id), "title": p.title, "state": p.state, "for_wei": p.votes_for, "against_wei": p.votes_against,
            "abstain_wei": p.votes_abstain, "quorum_wei": p.quorum, "vote_start": p.vote_start, "vote_end": p.vote_end,
            "eta": p.eta}


def whitelist_rows(vendors, measurements) -> dict:
    return {
        "vendors": [{"name": v.name, "enabled": v.enabled} for v in vendors],
        "measurements": [
            {"vendor": vendors[m.vendor].name if m.vendor < len(vendors) else str(m.vendor), "label": m.label,
             "measurement": "0x" + m.measurement.hex(), "approved": m.approved, "enclaves": m.enclaves}
            for m in measurements
        ],
    }


def enclave_rows(terms, enclaves) -> list[dict]:
    return [{"signer": e.signer, "operator": e.operator, "endpoint": e.endpoint, "bond_wei": e.bond.total_wei,
             "bonded": e.bond.covers_settlement(terms)} for e in enclaves if e.active]


def positions_rows(held, monikers: dict[str, str]) -> dict:
    """The account's positions as the screen shows them: delegations with rewards and what one
    won dispute would take, unbonding entries with their maturity, and totals."""
    exposure = {}
    if held.dispute_slash_bps:
        exposure = {v: held.slash_loss(v, held.dispute_slash_bps).total_wei for v in held.exposed_to()}
    return {
        "dispute_slash_bps": held.dispute_slash_bps,
        "delegations": [
            {"validator": d.validator, "moniker": monikers.get(d.validator) or held.validators[d.validator].moniker,
             "status": held.validators[d.validator].status, "value_wei": d.value_wei,
             "pending_rewards_wei": d.pending_rewards_wei, "per_dispute_loss_wei": exposure.get(d.validator, 0)}
            for d in held.delegations
        ],
        "unbonding": [
            {"validator": u.validator, "moniker": monikers.get(u.validator, ""), "balance_wei": u.balance_wei,
             "completes": u.completes}
            for u in sorted(held.unbondings, key=lambda u: u.completes)
        ],
        "exposure_wei": sum(exposure.values()),
        "rewards_wei": sum(d.pending_rewards_wei for d in held.delegations) + sum(held.rewards_elsewhere_wei.values()),
    }
