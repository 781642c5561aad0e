"""Seeds a living network on a fresh devnet: two weeks of history, written block by block.

The chain starts 14 days in the past (anvil --timestamp); the seeder walks the clock forward to
now while validators register and get delegations, inferences are paid and settled, validators
attest (one cuts corners and one lapses once, and both are slashed through real disputes),
delegators unbond and redelegate, and token holders pass, defeat and debate governance proposals.
Every step is a real transaction signed by a devnet account; nothing is written into state.
"""

from __future__ import annotations

from web3.logs import DISCARD

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from eth_account import Account

from ogcli.chain.contracts import Protocol
from ogcli.chain.sender import Sender
from ogcli.chain.tills import ensure_open
from ogcli.core import model_metadata, records, typed_data
from ogcli.core.validator_metadata import encode_metadata
from ogcli.devnet import accounts
from ogcli.devnet.anvil import rpc
from ogcli.devnet.models import chat_model
from ogcli.node import tiny_chat
from ogcli.protocol.params import DAY, OPG, VENDOR_ID, dev_measurement
from ogcli.storage.cid import cid_of

HISTORY_DAYS = 14
ETH_PER_ACCOUNT = 1_000 * 10**18

MODE_TEE = 2
GROUND_BAD_SIGNATURE = 1
VOTE_AGAINST, VOTE_FOR, VOTE_ABSTAIN = 0, 1, 2

# (self-stake OPG, commission bps, metadata) per validator: varied on purpose, so quality scores differ.
VALIDATOR_PROFILES = [
    (400_000, 500, "Aurora Labs: 3 regions, 24/7 on-call"),
    (250_000, 800, "Borealis Staking"),
    (150_000, 300, "Cirrus Node Co."),
    (120_000, 1_000, "Delta Verifiers"),
    (80_000, 1_500, "Ember Validation"),
    (60_000, 700, "Fjord Compute (lapsed once)"),
    (40_000, 1_900, "Gale: fast and cheap"),
    (30_000, 1_200, "Harbor Attest"),
]
NODE_BOND = 5_000 * OPG
ROGUE_BOND = 2_000 * OPG
SLASHED_THEN_UNJAILED = "validator-6"
SLASHED_AND_JAILED = "validator-7"


@dataclass
class SeedSummary:
    validators: int = 0
    delegators: int = 0
    records: int = 0
    attestations: int = 0
    disputes: int = 0
    proposals: dict | None = None
    transactions: int = 0


class Seeder:
    def __init__(self, protocol: Protocol, rpc_url: str, genesis_time: int, progress: Callable[[str], None]) -> None:
        self.protocol = protocol
        self.w3 = protocol.w3
        self.rpc_url = rpc_url
        self.genesis_time = genesis_time
        self.progress = progress
        self.chain_id = self.w3.eth.chain_id
        self._senders: dict[str, Sender] = {}
        self.summary = SeedSummary(proposals={})
        self._request_counter = 0
        self.jailed: set[str] = set()  # validators the story has jailed (they cannot attest)

    # ------------------------------------------------------------------ plumbing

    def sender(self, name: str) -> Sender:
        if name not in self._senders:
            self._senders[name] = Sender(self.w3, accounts.get(name).local_account)
        return self._senders[name]

    def tx(self, who: str, call, label: str = ""):
        receipt = self.sender(who).transact(call, label=label)
        self.summary.transactions += 1
        return receipt

    def at_day(self, day: float) -> None:
        """Moves the chain clock to genesis + `day` days (never backwards)."""
        target = self.genesis_time + int(day * DAY)
        latest = self.w3.eth.get_block("latest")["timestamp"]
        if target > latest:
            rpc(self.rpc_url, "evm_setNextBlockTimestamp", [target])
            rpc(self.rpc_url, "evm_mine", [])

    # ------------------------------------------------------------------ the story

    def run(self, model_bytes: list[tuple[str, bytes]]) -> SeedSummary:
        self.fund_gas()
        self.distribute_tokens()
        self.register_validators()
        self.delegate()
        self.register_enclave()
        self.bond_nodes()
        models = self.publish_models(model_bytes)

        self.at_day(1)
        proposals = self.propose_day_one()
        for day in (1.2, 1.6, 2.1):
            self.at_day(day)
            self.inference_round(models, count=4)

        self.at_day(2.2)
        self.vote(proposals["approve"], {"holder-1": VOTE_FOR, "holder-2": VOTE_FOR, "holder-3": VOTE_FOR})
        self.vote(proposals["tdx"], {"holder-1": VOTE_AGAINST, "holder-2": VOTE_AGAINST, "holder-4": VOTE_FOR, "holder-3": VOTE_ABSTAIN})

        self.at_day(2.5)
        bad_record = self.inference_round(models, count=3, tamper_last=True)
        self.at_day(3)
        self.dispute(bad_record, SLASHED_THEN_UNJAILED)
        self.dispute(bad_record, SLASHED_AND_JAILED)
        self.dispute_producer(bad_record)

        self.at_day(3.5)
        self.unbond_and_redelegate()
        for day in (4.0, 4.5):
            self.at_day(day)
            self.inference_round(models, count=3)

        self.at_day(5.1)
        self.queue(proposals["approve"])
        self.at_day(5.5)
        self.tx(SLASHED_THEN_UNJAILED, self.protocol.staking.functions.unjail(), "unjail")
        self.jailed.discard(SLASHED_THEN_UNJAILED)
        self.at_day(7.2)
        self.execute(proposals["approve"])
        self.at_day(8)
        self.tx("validator-2", self.protocol.staking.functions.setCommission(1_000), "setCommission")

        for day in (9, 10, 11, 12):
            self.at_day(day)
            if day == 9:
                self.claim_attestation_rewards()  # the first days' verdicts stood their window
            self.inference_round(models, count=3)
        self.at_day(12.1)
        proposals["slash"] = self.propose_slash_raise()
        self.at_day(13.2)
        self.vote(proposals["slash"], {"holder-1": VOTE_FOR, "holder-4": VOTE_AGAINST})
        for day in (13.3, 13.6):
            self.at_day(day)
            self.inference_round(models, count=2)
        self.claim_attestation_rewards()
        self.summary.proposals = {k: str(v) for k, v in proposals.items()}
        return self.summary

    # ------------------------------------------------------------------ steps

    def fund_gas(self) -> None:
        self.progress("funding devnet accounts")
        for account in accounts.roster().values():
            rpc(self.rpc_url, "anvil_setBalance", [account.address, hex(ETH_PER_ACCOUNT)])

    def distribute_tokens(self) -> None:
        """The community allocation (held by the deployer) seeds every participant's wallet."""
        self.progress("distributing OPG")
        token = self.protocol.token.functions
        grants = {f"validator-{i + 1}": (p[0] + 200_000) * OPG for i, p in enumerate(VALIDATOR_PROFILES)}
        grants |= {f"delegator-{i}": (5_000 + 9_000 * i) * OPG for i in range(1, accounts.DELEGATOR_COUNT + 1)}
        grants |= {f"publisher-{i}": 10_000 * OPG for i in range(1, accounts.PUBLISHER_COUNT + 1)}
        grants |= {f"holder-{i}": (30_000_000 - 4_000_000 * i) * OPG for i in range(1, accounts.HOLDER_COUNT + 1)}
        grants |= {"user": 100_000 * OPG, "node-operator": 10_000 * OPG, "rogue-node": 5_000 * OPG, "challenger": 1_000 * OPG}
        for name, amount in grants.items():
            self.tx("deployer", token.transfer(accounts.get(name).address, amount), "transfer")
        # Holders vote with their balances; delegating to self activates voting power.
        for holder in accounts.group("holder"):
            self.tx(holder.name, token.delegate(holder.address), "delegate votes")

    def register_validators(self) -> None:
        self.progress("registering validators")
        staking = self.protocol.staking
        for index, (self_stake, commission, metadata) in enumerate(VALIDATOR_PROFILES, start=1):
            name = f"validator-{index}"
            amount = self_stake * OPG
            self.tx(name, self.protocol.token.functions.approve(staking.address, amount), "approve")
            self.tx(name, staking.functions.registerValidator(commission, _metadata_uri(metadata), amount), "registerValidator")
            self.summary.validators += 1

    def delegate(self) -> None:
        """Delegators favour the big, cheap validators, as real ones do; a few spread out."""
        self.progress("delegating")
        staking = self.protocol.staking
        preferences = [1, 1, 2, 1, 3, 2, 4, 1, 5, 6, 7, 2, 3, 1, 8, 6, 7, 2, 4, 1]
        for index, validator_index in enumerate(preferences, start=1):
            name = f"delegator-{index}"
            balance = (5_000 + 9_000 * index) * OPG
            amount = balance * 3 // 4
            validator = accounts.get(f"validator-{validator_index}").address
            self.tx(name, self.protocol.token.functions.approve(staking.address, amount), "approve")
            if index % 4 == 0:
                # Split across two validators.
                second = accounts.get(f"validator-{(validator_index % 8) + 1}").address
                self.tx(name, staking.functions.delegate(validator, amount // 2), "delegate")
                self.tx(name, staking.functions.delegate(second, amount - amount // 2), "delegate")
            else:
                self.tx(name, staking.functions.delegate(validator, amount), "delegate")
            self.summary.delegators += 1

    def register_enclave(self) -> None:
        self.progress("registering the nodes' enclaves")
        from ogcli.node.enclave import Enclave

        for operator, signer, endpoint in (("node-operator", "enclave-signer", "http://127.0.0.1:8700"),
                                           ("rogue-node", "rogue-enclave", "http://127.0.0.1:8799")):
            enclave = Enclave(accounts.get(signer).local_account, VENDOR_ID["DEV"], dev_measurement("v0.1"),
                              self.chain_id, self.protocol.settlement.address, image="v0.1")
            # A node started later with the devnet's keys reads this document back from the chain.
            issued_at = self.w3.eth.get_block("latest")["timestamp"]
            sent = enclave.register(self.protocol, self.sender(operator), endpoint, at_time=issued_at)
            self.summary.transactions += len(sent)

    def bond_nodes(self) -> None:
        """Both node operators bond behind the TEE records they settle: the reference node
        generously, the rogue one at little above the minimum (its bond pays for its forgeries)."""
        self.progress("bonding the node operators")
        bonds = self.protocol.bonds
        for name, amount in (("node-operator", NODE_BOND), ("rogue-node", ROGUE_BOND)):
            self.tx(name, self.protocol.token.functions.approve(bonds.address, amount), "approve")
            self.tx(name, bonds.functions.bond(amount), "bond")

    def publish_models(self, model_bytes: list[tuple[str, bytes]]) -> list[tuple[int, int]]:
        """Publishes each model; returns (model id, price) pairs."""
        self.progress("publishing models")
        hub = self.protocol.hub
        published = []
        for index, (name, blob) in enumerate(model_bytes):
            publisher = f"publisher-{index % accounts.PUBLISHER_COUNT + 1}"
            price = (index + 1) * OPG // 10
            receipt = self.tx(
                publisher,
                hub.functions.publish(cid_of(blob), hashlib.sha256(blob).digest(), name, price, 3, _model_metadata(blob)),
                "publish",
            )
            event = hub.events.ModelPublished().process_receipt(receipt.raw, errors=DISCARD)[0]
            published.append((event["args"]["modelId"], price))
        # The chat model: published for the node, outside the seeded call history.
        name, blob = chat_model()
        metadata = model_metadata.encode(
            {"description": "a tiny deterministic chat model for offline devnets", "format": tiny_chat.FORMAT,
             "kind": "chat", "size": len(blob), "filename": f"{name}.json"}
        )
        self.tx("publisher-1", hub.functions.publish(cid_of(blob), hashlib.sha256(blob).digest(), name, OPG // 20, 3, metadata), "publish")
        return published

    def inference_round(self, models: list[tuple[int, int]], count: int, tamper_last: bool = False):
        """`count` paid calls settled by the node and attested by the validators.

        With `tamper_last`, the node reports an output the enclave never signed for the last call:
        honest validators say so, the corner-cutting validator and the one that lapses vouch for it.
        """
        last = None
        for i in range(count):
            tampered = tamper_last and i == count - 1
            model_id, price = models[(self._request_counter + i) % len(models)]
            payer = accounts.get(f"delegator-{(self._request_counter % accounts.DELEGATOR_COUNT) + 1}")
            settled, record_id = self.settle_call(model_id, price, payer, tampered)
            self.attest_round(record_id, tampered)
            last = (record_id, settled)
        return last

    def settle_call(self, model_id: int, price: int, payer: accounts.DevAccount, tampered: bool):
        self._request_counter += 1
        settlement = self.protocol.settlement
        now = self.w3.eth.get_block("latest")["timestamp"]
        nonce = self.w3.keccak(text=f"payment nonce {self._request_counter}")
        # A forged record comes from the compromised node, under its own enclave's name.
        operator = "rogue-node" if tampered else "node-operator"
        node = self.sender(operator)
        till = ensure_open(self.protocol, node, node.address)  # where the node's payers pay
        # As a node derives it: the request is its payment (so `infer verify` can attribute the
        # transfer to the call, and a payment can back one record only).
        request_id = records.exact_request_id(till, payer.address, nonce)
        input_hash = self.w3.keccak(text=f"input {self._request_counter}")
        output_hash = self.w3.keccak(text=f"output {self._request_counter}")
        signed_output = output_hash
        if tampered:
            output_hash = self.w3.keccak(text=f"tampered output {self._request_counter}")
        signer = accounts.get("rogue-enclave" if tampered else "enclave-signer")
        result = typed_data.inference_result(model_id, input_hash, signed_output, request_id, now, MODE_TEE)
        signature = Account.sign_typed_data(
            signer.private_key,
            typed_data.settlement_domain(self.chain_id, settlement.address),
            typed_data.INFERENCE_RESULT_TYPES,
            result,
        ).signature
        record = (model_id, input_hash, output_hash, request_id, now, MODE_TEE, signer.address, bytes(signature))

        fee = price + price // 2 + OPG // 100  # publisher price, protocol cuts, node margin
        authorization = typed_data.transfer_authorization(
            payer.address, till, fee, now - 60, now + 3_600, nonce
        )
        payment_signature = Account.sign_typed_data(
            payer.private_key,
            typed_data.token_domain(self.chain_id, self.protocol.token.address),
            typed_data.TRANSFER_WITH_AUTHORIZATION_TYPES,
            authorization,
        ).signature
        payment = (payer.address, fee, now - 60, now + 3_600, nonce, bytes(payment_signature))
        receipt = self.tx(operator, settlement.functions.settle(record, payment), "settle")
        event = settlement.events.InferenceSettled().process_receipt(receipt.raw, errors=DISCARD)[0]
        self.summary.records += 1
        settled = (record, payer.address, node.address, fee)  # the contract's SettledCall
        return settled, event["args"]["recordId"]

    def attest_round(self, record_id: int, tampered: bool) -> None:
        settlement = self.protocol.settlement.functions
        for index in range(1, len(VALIDATOR_PROFILES) + 1):
            name = f"validator-{index}"
            if name in self.jailed:
                continue
            # Liveness differs: the small validators skip some records.
            if index == 8 and record_id % 3 == 0:
                continue
            if index == 5 and record_id % 5 == 0:
                continue
            verdict = not tampered
            if tampered and name in (SLASHED_THEN_UNJAILED, SLASHED_AND_JAILED):
                verdict = True
            self.tx(name, settlement.attest(record_id, verdict), "attest")
            self.summary.attestations += 1

    def claim_attestation_rewards(self) -> None:
        """Each validator claims what its verdicts earned once they stood through the challenge
        window (verdicts are paid only then; a disputed one forfeits its reward)."""
        from ogcli.errors import RevertedError

        settlement = self.protocol.settlement.functions
        record_ids = list(range(1, settlement.recordCount().call() + 1))
        for index in range(1, len(VALIDATOR_PROFILES) + 1):
            validator = accounts.get(f"validator-{index}").address
            try:  # refused (simulated, nothing sent) when none of its verdicts has earned anything yet
                self.tx(f"validator-{index}", settlement.claimAttestationRewards(validator, record_ids), "claim")
            except RevertedError:
                continue

    def dispute(self, bad_record, validator_name: str) -> None:
        record_id, settled = bad_record
        validator = accounts.get(validator_name).address
        self.progress(f"disputing {validator_name}'s attestation of record {record_id}")
        self.tx(
            "challenger",
            self.protocol.settlement.functions.dispute(record_id, settled, validator, GROUND_BAD_SIGNATURE),
            "dispute",
        )
        self.summary.disputes += 1
        self.jailed.add(validator_name)

    def dispute_producer(self, bad_record) -> None:
        """The forged record against the node that settled it: its bond refunds the payer and
        pays the challenger, and its enclave is disabled."""
        record_id, settled = bad_record
        self.progress(f"disputing record {record_id} against the node that settled it")
        self.tx("challenger", self.protocol.settlement.functions.disputeProducer(record_id, settled, GROUND_BAD_SIGNATURE),
                "disputeProducer")
        self.summary.disputes += 1

    def unbond_and_redelegate(self) -> None:
        self.progress("unbonding and redelegating")
        staking = self.protocol.staking.functions
        v = {i: accounts.get(f"validator-{i}").address for i in range(1, 9)}
        # Two delegators leave part of their stake (unbonding countdowns), one leaves the jailed validator.
        self.tx("delegator-3", staking.undelegate(v[2], 5_000 * OPG), "undelegate")
        self.tx("delegator-9", staking.undelegate(v[5], 20_000 * OPG), "undelegate")
        shares, tokens = staking.delegationOf(v[7], accounts.get("delegator-17").address).call()
        self.tx("delegator-17", staking.redelegate(v[7], v[1], tokens // 2), "redelegate")

    # ------------------------------------------------------------------ governance

    def propose(self, proposer: str, calls: list[tuple[str, str, list]], description: str) -> int:
        targets, values, calldatas = [], [], []
        for contract_name, function, args in calls:
            contract = self.protocol.contract(contract_name)
            targets.append(contract.address)
            values.append(0)
            calldatas.append(contract.encode_abi(function, args=args))
        governor = self.protocol.governor.functions
        receipt = self.tx(proposer, governor.propose(targets, values, calldatas, description), "propose")
        event = self.protocol.governor.events.ProposalCreated().process_receipt(receipt.raw, errors=DISCARD)[0]
        return event["args"]["proposalId"]

    def propose_day_one(self) -> dict[str, int]:
        self.progress("proposing governance changes")
        approve = self.propose(
            "holder-1",
            [("TEERegistry", "approveMeasurement", [VENDOR_ID["DEV"], dev_measurement("v0.2"), "ogcli-node dev enclave v0.2"])],
            "# Approve the v0.2 dev enclave image\n\nAdds the measurement of ogcli-node dev enclave v0.2 "
            "so nodes can upgrade; v0.1 stays approved during the migration.",
        )
        tdx = self.propose(
            "holder-2",
            [("TEERegistry", "setVendor", [VENDOR_ID["TDX"], True, hashlib.sha256(b"Intel SGX/TDX root CA").digest()])],
            "# Enable Intel TDX\n\nAccept Intel TDX quotes as TEE evidence.",
        )
        return {"approve": approve, "tdx": tdx}

    def propose_slash_raise(self) -> int:
        self.progress("proposing a slashing parameter change")
        current = self.protocol.settlement.functions.params().call()
        raised = list(current)
        raised[4] = 1_500  # slashFractionBps: 10% -> 15%
        return self.propose(
            "holder-1",
            [("InferenceSettlement", "setParams", [tuple(raised)])],
            "# Raise the dispute slash to 15%\n\nTwo validators vouched for a tampered result this "
            "month; a 10% slash did not deter it.",
        )

    def vote(self, proposal_id: int, votes: dict[str, int]) -> None:
        governor = self.protocol.governor.functions
        for voter, support in votes.items():
            self.tx(voter, governor.castVoteWithReason(proposal_id, support, ""), "castVote")

    def queue(self, proposal_id: int) -> None:
        self.tx("holder-5", self.protocol.governor.functions.queue(proposal_id), "queue")

    def execute(self, proposal_id: int) -> None:
        self.tx("holder-5", self.protocol.governor.functions.execute(proposal_id), "execute")


def _metadata_uri(text: str) -> str:
    """'Name: details' as the JSON metadata `ogcli validator register` writes, with a made-up
    website and security contact under the reserved .example domain."""
    name, _, details = text.partition(":")
    slug = name.split()[0].lower()
    return encode_metadata(
        {
            "name": name.strip(),
            "details": details.strip(),
            "website": f"https://{slug}.example",
            "security_contact": f"security@{slug}.example",
        }
    )


def _model_metadata(blob: bytes) -> str:
    """What `ogcli model push` would record for a generated model."""
    import onnx

    from ogcli.storage.onnx_file import describe

    model = onnx.load_from_string(blob)
    return model_metadata.encode(
        {"description": model.graph.doc_string, "format": "onnx", "size": len(blob),
         "filename": f"{model.graph.name}.onnx", **describe(model)}
    )
