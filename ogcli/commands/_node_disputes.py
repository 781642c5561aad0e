"""The disputes `ogcli node dispute` files, as Plans: each checked here the way the contract will
check it (a dispute the contract would reject is refused before anything is signed)."""

from ogcli.errors import UsageError


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)


def verdict_dispute(session, record_id: int, target: str):
    """`ogcli node dispute RECORD VALIDATOR`: the validator's verdict contradicts what the contract checks."""
    from ogcli.chain.disputes import GROUND_NAMES, GROUND_NONE, GroundFinder
    from ogcli.chain.receipts import by_record_id
    from ogcli.chain.tx import Plan
    from ogcli.core.records import record_tuple
    from ogcli.core.units import format_duration

    protocol = session.protocol
    settlement = protocol.settlement.functions
    call = by_record_id(protocol, record_id)
    attested_at, valid, already, checkable = settlement.attestationOf(record_id, target).call()[:4]
    if not attested_at or not checkable:
        raise UsageError(f"{target} gave no checkable verdict on record {record_id}: there is nothing to dispute")
    if already:
        raise UsageError(f"{target}'s attestation of record {record_id} was disputed already")
    params = settlement.params().call()
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
    stake = protocol.staking.functions.getValidator(target).call()[1]
    slash = stake * params[4] // 10_000
    self_stake = protocol.staking.functions.delegationOf(target, target).call()[1]
    return Plan(
        action=f"dispute record {record_id} against {target}",
        call=settlement.dispute(record_id, call.as_argument(), target, ground),
        rows=(("record", str(record_id)), ("validator", target), ("ground", GROUND_NAMES[ground]),
              ("slash", f"about {_fmt(slash)} OPG ({params[4] / 100:g}% of its stake)"),
              ("your reward", f"about {_fmt(self_stake * params[4] // 10_000 * params[5] // 10_000)}"
                              " OPG (a share of the validator's own slashed stake)")),
    )


def producer_dispute(session, record_id: int):
    """`ogcli node dispute --record ID`: the TEE record is false on a ground the contract checks,
    so the node that settled it pays from its bond."""
    from ogcli.chain.bonds import read_bonds, read_terms
    from ogcli.chain.disputes import GROUND_NAMES, GroundFinder
    from ogcli.chain.receipts import by_record_id
    from ogcli.chain.tx import Plan
    from ogcli.core.model_metadata import MODES
    from ogcli.core.records import record_tuple
    from ogcli.core.units import format_duration

    protocol = session.protocol
    settlement = protocol.settlement.functions
    call = by_record_id(protocol, record_id)
    if call.record["mode"] != MODES["tee"]:
        raise UsageError(f"record {record_id} is not a TEE record: only TEE records can be disputed against their node")
    if settlement.recordState(record_id).call()[5]:
        raise UsageError(f"record {record_id} was disputed against its node already")
    now = protocol.w3.eth.get_block("latest")["timestamp"]
    until = settlement.recordDisputableUntil(record_id).call()
    if now > until:
        raise UsageError(f"record {record_id} stopped being disputable {format_duration(now - until)} ago")
    ground = GroundFinder(protocol).ground(call.record)
    if ground is None or not settlement.checkGround(record_tuple(call.record), ground).call():
        raise UsageError(f"record {record_id} holds up (its signature, enclave and approval check out): "
                         "a rejected dispute slashes nobody")
    bond = read_bonds(protocol, [call.node])[call.node]
    terms = read_terms(protocol)
    # As NodeBonds.slash: the fee comes from the record's own reservation; the penalty from the rest.
    refund = min(call.fee_wei, bond.reserved_wei)
    left_active, left_reserved = bond.active_wei - refund, bond.reserved_wei - refund
    penalty = min((left_active + bond.unbonding_wei) * terms.slash_fraction_bps // 10_000,
                  left_active - left_reserved + bond.unbonding_wei)
    slash = refund + penalty
    reward = penalty * settlement.params().call()[5] // 10_000
    warnings = ()
    return Plan(
        action=f"dispute record {record_id} against node {call.node}",
        call=settlement.disputeProducer(record_id, call.as_argument(), ground),
        rows=(("record", str(record_id)), ("node", call.node), ("ground", GROUND_NAMES[ground]),
              ("slash", f"{_fmt(slash)} OPG of its {_fmt(bond.total_wei)} OPG bond"),
              ("payer refund", f"{_fmt(refund)} OPG to {call.payer}"), ("your reward", f"{_fmt(reward)} OPG")),
        warnings=warnings,
    )
