"""Gas of every user-facing protocol call, measured on a real Anvil and printed as a table.

It deploys the protocol, runs the devnet seeder (which exercises most calls as real users would)
while recording each receipt's gasUsed by call, then makes the calls the seed story does not.
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.chain.sybils: the adversarial state
from _anvil import throwaway_anvil  # noqa: E402

from ogcli.chain.contracts import Protocol  # noqa: E402
from ogcli.chain.session import connect  # noqa: E402
from ogcli.devnet import accounts  # noqa: E402
from ogcli.devnet.anvil import DEV_CHAIN_ID, rpc  # noqa: E402
from ogcli.devnet.genesis import deploy_devnet  # noqa: E402
from ogcli.devnet.models import seed_models  # noqa: E402
from ogcli.devnet.seed import Seeder  # noqa: E402
from ogcli.protocol.params import DAY, OPG  # noqa: E402


class MeteredSeeder(Seeder):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gas: dict[str, list[int]] = defaultdict(list)

    def tx(self, who, call, label=""):
        receipt = super().tx(who, call, label)
        self.gas[label or call.fn_name].append(receipt.gas_used)
        return receipt


def main() -> None:
    with throwaway_anvil() as (url, genesis_time):
        deployment = deploy_devnet(url, genesis_time, lambda _m: None)
        w3 = connect(url, DEV_CHAIN_ID)
        protocol = Protocol(w3, deployment)
        seeder = MeteredSeeder(protocol, url, genesis_time, lambda _m: None)
        seeder.run(seed_models())
        extra_calls(seeder, protocol, url)
        print_table(seeder.gas)


def extra_calls(seeder: MeteredSeeder, protocol: Protocol, url: str) -> None:
    staking = protocol.staking.functions
    hub = protocol.hub.functions
    v1 = accounts.get("validator-1").address
    rpc(url, "evm_increaseTime", [15 * DAY])
    rpc(url, "evm_mine", [])
    seeder.tx("delegator-3", staking.withdraw(), "withdraw (unbonded)")
    seeder.tx("delegator-1", staking.claimRewards(v1), "claimRewards")
    seeder.tx("validator-1", staking.claimAllRewards(), "claimAllRewards")
    seeder.tx("publisher-1", hub.setPrice(1, 2 * OPG // 10), "setPrice")
    seeder.tx("publisher-1", hub.withdraw(), "withdraw (earnings)")
    seeder.tx("publisher-3", hub.deprecate(3), "deprecate")
    seeder.tx("delegator-2", protocol.token.functions.transfer(v1, OPG), "transfer")
    adversarial_dispute(seeder, protocol, url)


SYBIL_ENTRIES = 2_450  # one-wei undelegations: ran the old eager slash out of 2^24 gas


def adversarial_dispute(seeder: MeteredSeeder, protocol: Protocol, url: str) -> None:
    """`dispute` (and the `slash` inside it) in the worst state an adversary can build cheaply:
    thousands of sybil unbonding entries at the validator, made after its infraction; then a
    sybil's withdrawal, which pays its entry's cut lazily."""
    from tests.chain.sybils import sybil_unbondings

    v3 = accounts.get("validator-3").address
    model_id = 1
    price = protocol.hub.functions.getModel(model_id).call()[5]
    record, record_id = seeder.settle_call(model_id, price, accounts.get("delegator-5"), tampered=True)
    seeder.tx("validator-3", protocol.settlement.functions.attest(record_id, True), "attest (valid)")
    sybil_unbondings(protocol.w3, protocol, v3, SYBIL_ENTRIES)
    dispute = protocol.settlement.functions.dispute(record_id, record, v3, 1)
    seeder.tx("challenger", dispute, f"dispute ({SYBIL_ENTRIES:,} sybil entries)")
    rpc(url, "evm_increaseTime", [15 * DAY])
    rpc(url, "evm_mine", [])


def print_table(gas: dict[str, list[int]]) -> None:
    print(f"{'call':<32}{'calls':>7}{'median gas':>12}{'max gas':>12}")
    for label in sorted(gas):
        series = gas[label]
        print(f"{label:<32}{len(series):>7}{int(statistics.median(series)):>12,}{max(series):>12,}")


if __name__ == "__main__":
    main()
