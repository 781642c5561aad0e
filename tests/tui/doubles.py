"""Test doubles for the dashboard: a scripted network loader, and a recording writer that stands
in for the wallet, the simulation and the sender."""

from __future__ import annotations

from tui.snapshot import Snapshot
from tui.writer import Sent, Step

NOW = 1_800_000_000  # chain time of every scripted read; the dashboard's clock is pinned to it
A, B, C = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40
PROPOSAL_ID = "41683302817249000000000000000001"


def validator_row(name: str, address: str, score: float, stake: int, commission: int, status: str = "active") -> dict:
    return {
        "address": address, "moniker": name, "score": score,
        "sub_scores": {"liveness": score, "correctness": 100.0, "timeliness": 50.0, "economics": 60.0, "risk": 90.0,
                       "decentralization": 40.0, "governance": 0.0},
        "penalties": {}, "stake_wei": str(stake * 10**18), "share": 0.25, "commission_bps": commission,
        "self_stake_wei": str(10**22), "status": status, "slashes": 0, "delegators": 3,
    }


def snapshot(block: int = 100, inferences: int = 21, validators: list[dict] | None = None) -> Snapshot:
    usage = {"window": "7d", "time": NOW, "bucket_seconds": 86_400, "buckets": list(range(7)),
             "series": {"inferences": [0, 1, 2, 3, 4, 5, 6], "transactions": [1] * 7, "attestations": [2] * 7,
                        "fees_wei": ["0", "0", "0", "0", "0", "0", str(3 * 10**18)], "publisher_earnings_wei": ["0"] * 7},
             "totals": {"inferences": inferences, "transactions": 7, "active_wallets": 5, "attestations": 14,
                        "models_live": 2, "fees_wei": str(3 * 10**18), "publisher_earnings_wei": "0"},
             "stake": {"total_wei": str(1_400_000 * 10**18), "validators": 3, "nakamoto_coefficient": 2},
             "index": {"events": 1234, "last_block": block, "new_events": 0}}
    validators = validators if validators is not None else [
        validator_row("Aurora", A, 80, 400_000, 500),
        validator_row("Borealis", B, 60, 900_000, 1000),
        validator_row("Cirrus", C, 90, 100_000, 300, status="jailed"),
    ]
    models = [
        {"id": 1, "name": "eth-vol", "version": 2, "publisher": A, "price_wei": 2 * 10**17, "calls": 40,
         "earned_wei": 8 * 10**18, "deprecated": False},
        {"id": 2, "name": "wallet-risk", "version": 1, "publisher": B, "price_wei": 10**17, "calls": 75,
         "earned_wei": 75 * 10**17, "deprecated": False},
        {"id": 3, "name": "old-sentiment", "version": 1, "publisher": C, "price_wei": 10**17, "calls": 3,
         "earned_wei": 3 * 10**17, "deprecated": True},
    ]
    proposals = [
        {"id": PROPOSAL_ID, "title": "Raise the dispute slash", "state": "Active", "for_wei": 3 * 10**24,
         "against_wei": 10**24, "abstain_wei": 0, "quorum_wei": 10**24, "vote_start": NOW - 3_600,
         "vote_end": NOW + 2 * 86_400 + 3 * 3_600, "eta": 0},
        {"id": "99887766554433", "title": "Approve the v0.2 dev enclave", "state": "Queued", "for_wei": 5 * 10**24,
         "against_wei": 0, "abstain_wei": 0, "quorum_wei": 10**24, "vote_start": NOW - 9 * 86_400,
         "vote_end": NOW - 2 * 86_400, "eta": NOW + 5_400},
        {"id": "11223344556677", "title": "Enable TDX", "state": "Defeated", "for_wei": 0, "against_wei": 4 * 10**24,
         "abstain_wei": 0, "quorum_wei": 10**24, "vote_start": NOW - 12 * 86_400, "vote_end": NOW - 5 * 86_400, "eta": 0},
    ]
    whitelist = {"vendors": [{"name": "NITRO", "enabled": True}, {"name": "TDX", "enabled": False},
                             {"name": "DEV", "enabled": True}],
                 "measurements": [{"vendor": "DEV", "label": "ogcli-node v0.2", "measurement": "0x" + "12" * 32,
                                   "approved": True, "enclaves": 1}]}
    enclaves = [{"signer": "0x" + "5e" * 20, "operator": C, "endpoint": "http://127.0.0.1:8700", "bond_wei": 5_000 * 10**18,
                 "bonded": True},
                {"signer": "0x" + "7a" * 20, "operator": B, "endpoint": "http://127.0.0.1:8799", "bond_wei": 400 * 10**18,
                 "bonded": False}]
    positions = {
        "dispute_slash_bps": 1_000,
        "delegations": [{"validator": A, "moniker": "Aurora", "status": "active", "value_wei": 1_500 * 10**18,
                         "pending_rewards_wei": 12 * 10**16, "per_dispute_loss_wei": 150 * 10**18}],
        "unbonding": [{"validator": B, "moniker": "Borealis", "balance_wei": 250 * 10**18, "completes": NOW + 3 * 86_400 + 7_200}],
        "exposure_wei": 150 * 10**18,
        "rewards_wei": 12 * 10**16,
    }
    feed = [
        {"block": block, "log_index": 1, "time": NOW - 30, "name": "Attested", "actor": B,
         "args": {"recordId": 7, "validator": B, "valid": True, "reward": 10**16}},
        {"block": block, "log_index": 0, "time": NOW - 30, "name": "InferenceSettled", "actor": C,
         "args": {"recordId": 7, "modelId": 2, "payer": C, "fee": 10**17}},
        {"block": block - 5, "log_index": 0, "time": NOW - 4_000, "name": "Delegated", "actor": C,
         "args": {"delegator": C, "validator": A, "amount": 1_000 * 10**18, "shares": 1}},
    ]
    return Snapshot("devnet", block, NOW, usage, validators, 2, models=models, proposals=proposals,
                    whitelist=whitelist, enclaves=enclaves, account=C, positions=positions, feed=feed, indexed_events=1234,
                    fetched_at=float(NOW))


class ScriptedLoader:
    """Test double of the network loader: answers from a script of blocks (or whole snapshots),
    raising where it says 'down'."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        step = self.script[min(self.calls - 1, len(self.script) - 1)]
        if step == "down":
            raise ConnectionError("cannot reach http://127.0.0.1:8545")
        return step if isinstance(step, Snapshot) else snapshot(step)


class RecordingJob:
    def __init__(self, writer, request):
        self.writer = writer
        self.request = request
        self.plans = ["approve", "main"] if writer.needs_approval else ["main"]

    def prepare(self, index: int) -> Step:
        if self.writer.refuse:
            raise RuntimeError(self.writer.refuse)
        action = "approve Staking to pull 12.5 OPG" if self.plans[index] == "approve" else self.writer.action
        lines = [("network", "devnet (chain id 31337)"), ("signer", C), ("fee", "~0.0001 ETH (max 0.0002)")]
        return Step(action, lines, [], handle=(self.request, index))

    def send(self, step: Step) -> Sent:
        self.writer.sent.append(step.handle)
        return Sent(step.action, "0x" + f"{len(self.writer.sent):064x}", 200 + len(self.writer.sent))


class RecordingWriter:
    """Stands in for the wallet and the sender: records every request begun and every step sent."""

    def __init__(self, *, needs_password: bool = True, needs_approval: bool = False, refuse: str = "",
                 action: str = "delegate 12.5 OPG"):
        self.needs_password = needs_password
        self.needs_approval = needs_approval
        self.refuse = refuse
        self.action = action
        self.begun: list = []
        self.sent: list = []

    def begin(self, request, password: str) -> RecordingJob:
        self.begun.append((request, password))
        return RecordingJob(self, request)
