"""Gas of every user-facing protocol call, measured on a real Anvil and printed as a table.

It deploys the protocol, runs the devnet seeder (which exercises most calls as real users would)
while recording each receipt's gasUsed by call, then makes the calls the seed story does not.
Then the registration of an enclave, step by step: a DEV enclave on the devnet (its root cached by
the seed, so a leaf and the document), and the genuine AWS Nitro document on a chain whose clock
is set to the document's time (the root, three intermediates, the leaf, the document's check),
under the devnet's gas schedule (Osaka) and again under Prague, the schedule before it, since the
same bytecode runs on chains of either. Every step must fit one transaction's 2^24 gas (EIP-7825).
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
from ogcli.devnet.anvil import DEV_CHAIN_ID, HARDFORK, rpc  # noqa: E402
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
        channel_calls(seeder, protocol, url)
        dev_registration(seeder, protocol)
    aws_registration(seeder.gas, HARDFORK)
    aws_registration(seeder.gas, "prague")
    print(f"gas schedule: {HARDFORK} (EIP-7825 enforced by Anvil), rows marked [prague] under Prague")
    print_table(seeder.gas)


def extra_calls(seeder: MeteredSeeder, protocol: Protocol, url: str) -> None:
    staking = protocol.staking.functions
    hub = protocol.hub.functions
    v1 = accounts.get("validator-1").address
    bonds = protocol.bonds.functions
    seeder.tx("node-operator", bonds.unbond(100 * OPG), "NodeBonds.unbond")
    rpc(url, "evm_increaseTime", [15 * DAY])
    rpc(url, "evm_mine", [])
    seeder.tx("delegator-3", staking.withdraw(), "withdraw (unbonded)")
    seeder.tx("node-operator", bonds.withdraw(), "NodeBonds.withdraw")
    seeder.tx("delegator-1", staking.claimRewards(v1), "claimRewards")
    seeder.tx("validator-1", staking.claimAllRewards(), "claimAllRewards")
    seeder.tx("publisher-1", hub.setPrice(1, 2 * OPG // 10), "setPrice")
    seeder.tx("publisher-1", hub.withdraw(), "withdraw (earnings)")
    seeder.tx("publisher-3", hub.deprecate(3), "deprecate")
    seeder.tx("delegator-2", protocol.token.functions.transfer(v1, OPG), "transfer")
    adversarial_dispute(seeder, protocol, url)


CHANNEL_PAYERS = 10


def channel_calls(seeder: MeteredSeeder, protocol: Protocol, url: str) -> None:
    """The x402 batch-settlement channels (contracts/x402/), as the devnet places them: ten payers
    each open a channel to the node operator, one tops up, the operator claims one channel, then
    the ten in one signed batch, sweeps them in one transfer, refunds one and a payer withdraws."""
    import os

    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
    from ogcli.core import channels
    from ogcli.core.typed_data import token_domain
    from ogcli.protocol import artifacts

    w3 = protocol.w3
    contract = w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement")).functions
    operator = accounts.get("node-operator")
    domain = channels.domain(DEV_CHAIN_ID, BATCH_SETTLEMENT_ADDRESS)
    payers = [accounts.get(f"delegator-{i}") for i in range(1, CHANNEL_PAYERS + 1)]
    configs = {p.name: channels.ChannelConfig(payer=p.address, receiver=operator.address,
                                              receiver_authorizer=operator.address, token=protocol.token.address,
                                              withdraw_delay_s=900) for p in payers}
    ids = {name: channels.channel_id(c, DEV_CHAIN_ID, BATCH_SETTLEMENT_ADDRESS) for name, c in configs.items()}

    def deposit(payer, amount: int, label: str) -> None:
        salt = int.from_bytes(os.urandom(32), "big")
        valid_before = w3.eth.get_block("latest")["timestamp"] + 3600
        message = channels.receive_authorization(payer.address, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, amount, 0,
                                                 valid_before, channels.deposit_nonce(ids[payer.name], salt))
        signature = payer.local_account.sign_typed_data(token_domain(DEV_CHAIN_ID, protocol.token.address),
                                                        channels.RECEIVE_WITH_AUTHORIZATION_TYPES, message).signature
        data = channels.collector_data(0, valid_before, salt, signature)
        seeder.tx("node-operator", contract.deposit(configs[payer.name].as_tuple(), amount,
                                                    ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data), label)

    def rows(names: list[str], total: int) -> list:
        out = []
        for name in names:
            signed = accounts.get(name).local_account.sign_typed_data(
                domain, channels.VOUCHER_TYPES, channels.voucher(ids[name], total))
            out.append(((configs[name].as_tuple(), total), signed.signature, total))
        return out

    def claim(names: list[str], total: int, label: str) -> None:
        batch = rows(names, total)
        message = channels.claim_batch([(ids[n], total, total) for n in names])
        signature = operator.local_account.sign_typed_data(domain, channels.CLAIM_BATCH_TYPES, message).signature
        seeder.tx("node-operator", contract.claimWithSignature(batch, signature), label)

    for payer in payers:
        deposit(payer, 10 * OPG, "BatchSettlement.deposit (new channel)")
    deposit(payers[0], 5 * OPG, "BatchSettlement.deposit (top-up)")
    claim([payers[0].name], OPG, "claimWithSignature (1 channel)")
    claim([p.name for p in payers], 2 * OPG, f"claimWithSignature ({CHANNEL_PAYERS} channels)")
    seeder.tx("node-operator", contract.settle(operator.address, protocol.token.address), "BatchSettlement.settle")
    refund_config = configs[payers[1].name]
    refund = channels.refund(ids[payers[1].name], 0, OPG)
    signature = operator.local_account.sign_typed_data(domain, channels.REFUND_TYPES, refund).signature
    seeder.tx("node-operator", contract.refundWithSignature(refund_config.as_tuple(), OPG, 0, signature),
              "refundWithSignature")
    withdrawing = configs[payers[2].name].as_tuple()
    seeder.tx(payers[2].name, contract.initiateWithdraw(withdrawing, OPG), "initiateWithdraw")
    rpc(url, "evm_increaseTime", [900])
    rpc(url, "evm_mine", [])
    seeder.tx(payers[2].name, contract.finalizeWithdraw(withdrawing), "finalizeWithdraw")


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


def dev_registration(seeder: MeteredSeeder, protocol: Protocol) -> None:
    """A second DEV enclave registered as `ogcli node run` registers one."""
    from eth_account import Account

    from ogcli.chain.certificates import missing_steps
    from ogcli.node.enclave import Enclave
    from ogcli.protocol.params import VENDOR_ID, dev_measurement

    operator = accounts.get("node-operator").address
    enclave = Enclave(Account.create(), VENDOR_ID["DEV"], dev_measurement("v0.1"), DEV_CHAIN_ID,
                      protocol.settlement.address)
    enclave.document = enclave.issue_document(protocol.w3.eth.get_block("latest")["timestamp"])
    verifier = protocol.attestation_verifier.functions
    for step in missing_steps(protocol, enclave.document):
        seeder.tx("node-operator", step.call(verifier), "verifyCertificate (DEV leaf)")
    proof = enclave.registration_proof(protocol.registry.address, operator)
    seeder.tx("node-operator", protocol.registry.functions.registerEnclave(enclave.vendor, enclave.document, "", proof),
              "registerEnclave (DEV)")


def aws_registration(gas: dict[str, list[int]], hardfork: str) -> None:
    """The genuine AWS chain into a fresh NitroVerifier's cache, and the document's check, at the
    document's own time (the check is a view: its gas is the estimate of calling it), on an Anvil
    with `hardfork`'s gas schedule; rows are marked with a schedule other than the devnet's."""
    import time

    from ogcli.chain.certificates import missing_steps
    from ogcli.chain.sender import Sender
    from ogcli.protocol import artifacts
    from tests.nitro_cases import AWS_NITRO_ROOT_SHA256, GENUINE, GENUINE_ISSUED_AT

    mark = "" if hardfork == HARDFORK else f" [{hardfork}]"
    with throwaway_anvil(genesis_offset_s=int(time.time()) - GENUINE_ISSUED_AT, hardfork=hardfork) as (url, _genesis):
        w3 = connect(url, DEV_CHAIN_ID)
        deployer = accounts.get("deployer")
        rpc(url, "anvil_setBalance", [deployer.address, hex(10**21)])
        sender = Sender(w3, deployer.local_account)
        address = sender.deploy(artifacts.abi("NitroVerifier"), artifacts.bytecode("NitroVerifier")).contract_address
        verifier = w3.eth.contract(address=address, abi=artifacts.abi("NitroVerifier")).functions
        names = ["addRoot (AWS root)", "verifyCertificate (AWS regional)", "verifyCertificate (AWS zonal)",
                 "verifyCertificate (AWS instance)", "verifyCertificate (AWS leaf)"]
        protocol = _VerifierOnly(verifier)
        for step, name in zip(missing_steps(protocol, GENUINE), names, strict=True):
            gas[name + mark].append(sender.transact(step.call(verifier)).gas_used)
        check = verifier.verifyDocument(GENUINE, AWS_NITRO_ROOT_SHA256)
        gas["verifyDocument (AWS document)" + mark].append(check.estimate_gas())


class _VerifierOnly:
    """What missing_steps reads of a Protocol, for a NitroVerifier deployed on its own."""

    def __init__(self, functions) -> None:
        self.attestation_verifier = type("Bound", (), {"functions": functions})()


def print_table(gas: dict[str, list[int]]) -> None:
    from ogcli.chain.sender import TX_GAS_CAP

    print(f"{'call':<44}{'calls':>7}{'median gas':>12}{'max gas':>12}")
    for label in sorted(gas):
        series = gas[label]
        print(f"{label:<44}{len(series):>7}{int(statistics.median(series)):>12,}{max(series):>12,}")
    over = sorted(label for label, series in gas.items() if max(series) > TX_GAS_CAP)
    print(f"over one transaction's {TX_GAS_CAP:,} gas (EIP-7825): {', '.join(over) if over else 'none'}")


if __name__ == "__main__":
    main()
