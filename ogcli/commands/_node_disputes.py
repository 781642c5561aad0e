"""The disputes `ogcli node dispute` files, as Plans: each checked here the way the contract will
check it (a dispute the contract would reject is refused before anything is signed)."""

from ogcli.errors import UsageError


def _named(protocol, contract, function: str, *args):
    """A view's result by the ABI's names (chain.multicall's named read)."""
    from ogcli.chain.multicall import Read, read_one

    return read_one(protocol.rpc, Read(contract, function, args, named=True))


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)


def verdict_dispute(session, record_id: int, target: str):
    """`ogcli node dispute RECORD VALIDATOR`: the validator's verdict contradicts what the contract checks."""
    from ogcli.chain.receipts import by_record_id
    from ogcli.chain.tx import Plan
    from ogcli.core.records import record_tuple
    from ogcli.core.units import format_duration
    from ogcli.verify.record_grounds import GROUND_NAMES, GROUND_NONE, GroundFinder

    protocol = session.protocol
    settlement = protocol.settlement.functions
    call = by_record_id(protocol, record_id)
    verdict_view = _named(protocol, protocol.settlement, "attestationOf", record_id, target)
    attested_at, valid, already, checkable = (verdict_view[k] for k in ("attestedAt", "valid", "disputed", "checkable"))
    if not attested_at or not checkable:
        raise UsageError(f"{target} gave no checkable verdict on record {record_id}: there is nothing to dispute")
    if already:
        raise UsageError(f"{target}'s attestation of record {record_id} was disputed already")
    params = _named(protocol, protocol.settlement, "params")
    slash_bps, reward_bps = params["slashFractionBps"], params["challengerRewardBps"]
    now = protocol.w3.eth.get_block("latest")["timestamp"]
    until = settlement.disputableUntil(record_id, target).call()
    if now > until:
        raise UsageError(f"the challenge window for this attestation closed {format_duration(now - until)} ago")
    found = GroundFinder(protocol).ground(call.record)
    # Against a valid verdict: the ground that holds. Against an invalid one: that none holds.
    ground = found if valid else (GROUND_NONE if found is None else None)
    if ground is None or not settlement.checkGround(record_tuple(call.record), ground).call():
        verdict = "valid" if valid else "invalid"
        raise UsageError(f"{target}'s {verdict} verdict on record {record_id} holds up, and a rejected dispute slashes nobody")
    stake = _named(protocol, protocol.staking, "getValidator", target)["tokens"]
    slash = stake * slash_bps // 10_000
    self_stake = _named(protocol, protocol.staking, "delegationOf", target, target)["tokens"]
    return Plan(
        action=f"dispute record {record_id} against {target}",
        call=settlement.dispute(record_id, call.as_argument(), target, ground),
        rows=(("record", str(record_id)), ("validator", target), ("ground", GROUND_NAMES[ground]),
              ("slash", f"about {_fmt(slash)} OPG ({slash_bps / 100:g}% of its stake)"),
              ("your reward", f"about {_fmt(self_stake * slash_bps // 10_000 * reward_bps // 10_000)}"
                              " OPG (a share of the validator's own slashed stake)")),
    )


def producer_dispute(session, record_id: int):
    """`ogcli node dispute --record ID`: the TEE record is false on a ground the contract checks,
    so the node that settled it pays from its bond."""
    from ogcli.chain.receipts import by_record_id
    from ogcli.chain.tx import Plan
    from ogcli.core.model_metadata import MODES
    from ogcli.core.records import record_tuple
    from ogcli.core.units import format_duration
    from ogcli.verify.record_grounds import GROUND_NAMES, GroundFinder

    protocol = session.protocol
    settlement = protocol.settlement.functions
    call = by_record_id(protocol, record_id)
    if call.record["mode"] != MODES["tee"]:
        raise UsageError(f"record {record_id} is not a TEE record: only TEE records can be disputed against their node")
    if _named(protocol, protocol.settlement, "recordState", record_id)["producerDisputed"]:
        raise UsageError(f"record {record_id} was disputed against its node already")
    now = protocol.w3.eth.get_block("latest")["timestamp"]
    until = settlement.recordDisputableUntil(record_id).call()
    if now > until:
        raise UsageError(f"record {record_id} stopped being disputable {format_duration(now - until)} ago")
    ground = GroundFinder(protocol).ground(call.record)
    if ground is None or not settlement.checkGround(record_tuple(call.record), ground).call():
        raise UsageError(f"record {record_id} holds up (its signature, enclave and approval check out): "
                         "a rejected dispute slashes nobody")
    return Plan(
        action=f"dispute record {record_id} against node {call.node}",
        call=settlement.disputeProducer(record_id, call.as_argument(), ground),
        rows=(("record", str(record_id)), ("node", call.node), ("ground", GROUND_NAMES[ground]),
              *_node_slash_rows(protocol, call.node, call.payer, call.fee_wei)),
    )


def _node_slash_rows(protocol, node: str, payer: str, fee_wei: int) -> tuple:
    """The preview of a won dispute against `node` over a record of `fee_wei`, as NodeBonds.slash
    takes it: the fee from the record's reservation (the payer's refund), the penalty from the rest."""
    from ogcli.chain.bonds import read_bonds, read_terms

    bond = read_bonds(protocol, [node])[node]
    terms = read_terms(protocol)
    refund = min(fee_wei, bond.reserved_wei)
    left_active, left_reserved = bond.active_wei - refund, bond.reserved_wei - refund
    penalty = min((left_active + bond.unbonding_wei) * terms.slash_fraction_bps // 10_000,
                  left_active - left_reserved + bond.unbonding_wei)
    reward = penalty * _named(protocol, protocol.settlement, "params")["challengerRewardBps"] // 10_000
    return (("slash", f"{_fmt(refund + penalty)} OPG of its {_fmt(bond.total_wei)} OPG bond"),
            ("payer refund", f"{_fmt(refund)} OPG to {payer}"), ("your reward", f"{_fmt(reward)} OPG"))


def _first_disputable(protocol, request_id: str, judge):
    """(call, what `judge(call, grounds, view)` found) for the first record committed with
    `request_id` (oldest first) that `judge` finds disputable; when none is, the refusal it gave
    the first. A request id committed more than once is judged in every record that carries it,
    so a later copy cannot shield a false one."""
    from ogcli import parsing
    from ogcli.chain import batches

    raw = parsing.bytes32(request_id, "--request")
    calls = [c for c in batches.find(protocol, raw) if c.record.request_id == raw]
    if not calls:
        raise UsageError(f"no batch committed a call with request id {request_id}")
    grounds = _BatchGrounds(protocol)
    refusals = []
    for call in calls:
        try:
            return call, judge(call, grounds, batches.record_view(call.record, grounds.separator))
        except UsageError as refused:
            refusals.append(refused)
    raise refusals[0]


class _BatchGrounds:
    """A batch record's dispute ground as the verifier role judges it (verify/batch_grounds.py)."""

    def __init__(self, protocol) -> None:
        from ogcli.core.result_signature import domain_separator

        self.protocol = protocol
        self.separator = domain_separator(protocol.rpc.chain_id, protocol.settlement.address)

    def of(self, record, view: dict) -> int | None:
        from ogcli.verify.batch_grounds import batch_grounds

        found = batch_grounds(self.protocol, self.separator, [record], [view])
        if isinstance(found, str):
            raise UsageError(f"not disputable while the chain and this reader disagree on it: {found}")
        return found.get(0)


def _checked_ground(protocol, view: dict, ground) -> bool:
    from ogcli.core.records import record_tuple

    return ground is not None and protocol.settlement.functions.checkGround(record_tuple(view), ground).call()


def _proof(call) -> tuple:
    """The BatchRecordProof of `call`: its index, packed record, payer, node and siblings."""
    from ogcli.core import batch_records

    return (call.index, call.record.pack(), call.payer, call.batch.node,
            batch_records.proof(call.batch.leaves(), call.index))


def batch_producer_dispute(session, request_id: str):
    """`ogcli node dispute --request ID`: a false TEE record of a batch, proved by its Merkle
    proof, so the node that committed it pays from its bond."""
    from ogcli.chain.multicall import Read, read_one
    from ogcli.chain.tx import Plan
    from ogcli.core.model_metadata import MODES
    from ogcli.core.units import format_duration
    from ogcli.verify.record_grounds import GROUND_NAMES

    protocol = session.protocol
    now = protocol.w3.eth.get_block("latest")["timestamp"]

    def judge(call, grounds, view):
        where = f"record {call.index} of batch {call.batch.batch_id}"
        if call.record.mode != MODES["tee"]:
            raise UsageError(f"{where} is not a TEE record: only TEE records can be disputed against their node")
        disputed_bits, until = read_one(protocol.rpc, Read(protocol.settlement, "batchProducerDisputes",
                                                           (call.batch.batch_id,)))
        if disputed_bits >> call.index & 1:
            raise UsageError(f"{where} was disputed against its node already")
        if now > until:
            raise UsageError(f"{where} stopped being disputable {format_duration(now - until)} ago")
        ground = grounds.of(call.record, view)
        if not _checked_ground(protocol, view, ground):
            raise UsageError(f"{where} holds up (its signature, enclave and approval check out): "
                             "a rejected dispute slashes nobody")
        return ground

    call, ground = _first_disputable(protocol, request_id, judge)
    where = f"record {call.index} of batch {call.batch.batch_id}"
    return Plan(
        action=f"dispute {where} against node {call.batch.node}",
        call=protocol.settlement.functions.disputeBatchProducer(call.batch.batch_id, _proof(call), ground),
        rows=(("batch", str(call.batch.batch_id)), ("record", f"{call.index} (request {request_id})"),
              ("node", call.batch.node), ("ground", GROUND_NAMES[ground]),
              *_node_slash_rows(protocol, call.batch.node, call.payer, call.record.fee_wei)),
    )


def batch_verdict_dispute(session, request_id: str, target: str):
    """`ogcli node dispute --request ID --validator ADDR`: the validator's verdict on that batch
    record contradicts what the contract checks."""
    from ogcli.chain.tx import Plan
    from ogcli.core.units import format_duration
    from ogcli.verify.record_grounds import GROUND_NAMES, GROUND_NONE

    protocol = session.protocol
    settlement = protocol.settlement.functions
    now = protocol.w3.eth.get_block("latest")["timestamp"]

    def judge(call, grounds, view):
        batch_id, bit = call.batch.batch_id, 1 << call.index
        where = f"record {call.index} of batch {batch_id}"
        on_chain = _named(protocol, protocol.settlement, "batchVerdictOf", batch_id, target)
        attested_at, until, invalid_bits, uncheckable_bits, disputed = (on_chain[k] for k in (
            "attestedAt", "disputableUntil", "invalidBits", "uncheckableBits", "disputed"))
        if not attested_at or uncheckable_bits & bit:
            raise UsageError(f"{target} gave no checkable verdict on {where}: there is nothing to dispute")
        if disputed:
            raise UsageError(f"{target}'s verdict on batch {batch_id} was disputed already")
        if now > until:
            raise UsageError(f"the challenge window for this verdict closed {format_duration(now - until)} ago")
        valid = not invalid_bits & bit
        found = grounds.of(call.record, view)
        ground = found if valid else (GROUND_NONE if found is None else None)
        if not _checked_ground(protocol, view, ground):
            verdict = "valid" if valid else "invalid"
            raise UsageError(f"{target}'s {verdict} verdict on {where} holds up, and a rejected dispute slashes nobody")
        return ground

    call, ground = _first_disputable(protocol, request_id, judge)
    batch_id = call.batch.batch_id
    where = f"record {call.index} of batch {batch_id}"
    params = _named(protocol, protocol.settlement, "params")
    slash_bps, reward_bps = params["slashFractionBps"], params["challengerRewardBps"]
    stake = _named(protocol, protocol.staking, "getValidator", target)["tokens"]
    self_stake = _named(protocol, protocol.staking, "delegationOf", target, target)["tokens"]
    return Plan(
        action=f"dispute {target}'s verdict on {where}",
        call=settlement.disputeBatch(batch_id, target, _proof(call), ground),
        rows=(("batch", str(batch_id)), ("record", f"{call.index} (request {request_id})"), ("validator", target),
              ("ground", GROUND_NAMES[ground]),
              ("slash", f"about {_fmt(stake * slash_bps // 10_000)} OPG ({slash_bps / 100:g}% of its stake)"),
              ("your reward", f"about {_fmt(self_stake * slash_bps // 10_000 * reward_bps // 10_000)}"
                              " OPG (a share of the validator's own slashed stake)")),
    )
