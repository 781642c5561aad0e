"""The contract-test market (tests/chain/market.py) paid through x402 batch-settlement channels:
payers who deposit into channels whose receiver is InferenceSettlement and whose receiver
authorizer is the node, records packed as contracts/BatchRecords.sol packs them, and helpers that
commit, attest and dispute batches."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from eth_account import Account
from web3.logs import DISCARD

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
from ogcli.core import batch_records, channels
from ogcli.errors import RevertedError
from ogcli.core.batch_records import BatchRecord
from ogcli.core.typed_data import token_domain
from ogcli.devnet import accounts
from ogcli.protocol import artifacts
from ogcli.protocol.params import OPG
from tests.chain.market import MODE_TEE, PRICE, Market

FEE = PRICE * 2
WITHDRAW_DELAY = 900


@dataclass
class Channel:
    """One payer's channel to the node: its config, and what the payer has signed for so far."""

    payer: object  # eth_account LocalAccount
    config: tuple
    id: bytes
    signed_wei: int = 0
    voucher: bytes = b""


@dataclass
class Committed:
    """A committed batch as the node knows it: its id, its records and who paid each."""

    batch_id: int
    records: list[BatchRecord]
    payers: list[str]
    node: str
    receipt: object = None
    leaves: list[bytes] = field(default_factory=list)

    def proof(self, index: int, record: BatchRecord | None = None) -> tuple:
        """The BatchRecordProof of record `index` (optionally claiming `record` is what is there)."""
        packed = (record or self.records[index]).pack()
        return (index, packed, self.payers[index], self.node, batch_records.proof(self.leaves, index))


class BatchMarket(Market):
    """A Market whose calls are paid by channel vouchers and committed in batches."""

    def __init__(self, chain) -> None:
        super().__init__(chain)
        w3 = chain.w3
        self.channels = w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
        self.records_contract = self.p.contract("BatchRecords")
        self.chain_id = w3.eth.chain_id
        self.domain = channels.domain(self.chain_id, BATCH_SETTLEMENT_ADDRESS)

    def open_channel(self, deposit_wei: int, *, node: str = "node-operator", payer=None, **config_changes) -> Channel:
        """A new payer (funded by the deployer) deposits `deposit_wei` into a channel to `node`."""
        payer = payer or Account.create()
        self.sender("deployer").transact(self.p.token.functions.transfer(payer.address, deposit_wei))
        fields = dict(payer=payer.address, receiver=self.p.settlement.address,
                      receiver_authorizer=accounts.get(node).address, token=self.p.token.address,
                      withdraw_delay_s=WITHDRAW_DELAY, salt=os.urandom(32))
        fields.update(config_changes)
        config = channels.ChannelConfig(**fields)
        channel_id = channels.channel_id(config, self.chain_id, BATCH_SETTLEMENT_ADDRESS)
        salt = int.from_bytes(os.urandom(32), "big")
        valid_before = self.chain.now() + 3600
        message = channels.receive_authorization(payer.address, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, deposit_wei, 0,
                                                 valid_before, channels.deposit_nonce(channel_id, salt))
        signed = payer.sign_typed_data(token_domain(self.chain_id, self.p.token.address),
                                       channels.RECEIVE_WITH_AUTHORIZATION_TYPES, message)
        data = channels.collector_data(0, valid_before, salt, signed.signature)
        self.sender("deployer").transact(
            self.channels.functions.deposit(config.as_tuple(), deposit_wei, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data))
        return Channel(payer=payer, config=config.as_tuple(), id=channel_id)

    def pay(self, channel: Channel, fee_wei: int) -> None:
        """The payer signs its next cumulative voucher: everything so far plus `fee_wei`."""
        channel.signed_wei += fee_wei
        message = channels.voucher(channel.id, channel.signed_wei)
        channel.voucher = bytes(channel.payer.sign_typed_data(self.domain, channels.VOUCHER_TYPES, message).signature)

    def batch_record(self, channel_index: int, *, fee_wei: int = FEE, mode: int = MODE_TEE, tamper: bool = False,
                     model_id: int | None = None, timestamp: int | None = None, key=None) -> BatchRecord:
        """A record the market's enclave signed now (`tamper`: reporting another output than it signed)."""
        when = self.chain.now() if timestamp is None else timestamp
        model_id = self.model_id if model_id is None else model_id
        request_id, input_hash, output_hash = os.urandom(32), os.urandom(32), os.urandom(32)
        signature = self.sign_result(model_id, input_hash, output_hash, request_id, when, mode, key=key)
        return BatchRecord(model_id=model_id, input_hash=input_hash,
                           output_hash=os.urandom(32) if tamper else output_hash, request_id=request_id,
                           timestamp=when, mode=mode, channel=channel_index, fee_wei=fee_wei, signature=signature)

    @staticmethod
    def claims(chans: list[Channel], totals: list[int] | None = None) -> list[tuple]:
        """The VoucherClaim rows of `chans` (claiming all each payer signed, or `totals`)."""
        totals = totals or [c.signed_wei for c in chans]
        return [((c.config, c.signed_wei), c.voucher, total) for c, total in zip(chans, totals)]

    @staticmethod
    def sorted_channels(chans: list[Channel]) -> list[Channel]:
        return sorted(chans, key=lambda c: int.from_bytes(c.id, "big"))

    def commit_call(self, claims: list[tuple], records: list[BatchRecord]):
        return self.p.settlement.functions.commitBatch(claims, batch_records.pack_all(records))

    def commit(self, chans: list[Channel], records: list[BatchRecord], *, node: str = "node-operator",
               claims: list[tuple] | None = None) -> Committed:
        """Commits `records` paid by the latest vouchers of `chans` (in claim order) as `node`."""
        claims = claims if claims is not None else self.claims(chans)
        receipt = self.sender(node).transact(self.commit_call(claims, records))
        event = self.p.settlement.events.BatchCommitted().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
        node_address = accounts.get(node).address
        payers = [claims[r.channel][0][0][0] for r in records]
        committed = Committed(batch_id=event["batchId"], records=records, payers=payers, node=node_address,
                              receipt=receipt)
        committed.leaves = [batch_records.leaf(r.pack(), p, node_address) for r, p in zip(records, payers)]
        return committed

    def attest_batch(self, validator: str, batch_id: int, invalid_bits: int = 0, uncheckable_bits: int = 0):
        return self.sender(validator).transact(
            self.p.settlement.functions.attestBatch(batch_id, invalid_bits, uncheckable_bits))

    def dispute_batch(self, challenger: str, committed: Committed, index: int, validator: str, ground: int,
                      record: BatchRecord | None = None):
        return self.sender(challenger).transact(self.p.settlement.functions.disputeBatch(
            committed.batch_id, accounts.get(validator).address, committed.proof(index, record), ground))

    def dispute_batch_producer(self, challenger: str, committed: Committed, index: int, ground: int):
        return self.sender(challenger).transact(self.p.settlement.functions.disputeBatchProducer(
            committed.batch_id, committed.proof(index), ground))


def refused(call) -> str:
    """What the sender's simulation said when it refused to send `call` (nothing is sent)."""
    import pytest

    with pytest.raises(RevertedError) as caught:
        call()
    return str(caught.value)


def balance(market: Market, address: str) -> int:
    return market.p.token.functions.balanceOf(address).call()


def paid_batch(market: BatchMarket, payers: int, calls_each: int, **record_options) -> tuple[list[Channel], list[BatchRecord]]:
    """`payers` channels (sorted as a claim needs them), each paying `calls_each` calls of FEE, and
    the records of those calls, grouped by channel."""
    chans = market.sorted_channels([market.open_channel(100 * OPG) for _ in range(payers)])
    records = []
    for index, channel in enumerate(chans):
        for _ in range(calls_each):
            market.pay(channel, FEE)
            records.append(market.batch_record(index, **record_options))
    return chans, records
