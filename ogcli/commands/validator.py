"""`ogcli validator`: the operator's side of staking (register, update, unjail, status)."""

from typing import Annotated

import typer

from ogcli import context, output, parsing
from ogcli.appfactory import new_app
from ogcli.commands._session import WriteSession
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app(
    "Run a validator: register, update commission and metadata, unjail, status, attestation rewards.\n\n"
    "Example: ogcli validator status"
)

Commission = Annotated[str, typer.Option("--commission", help="Share of rewards you keep: 5% or 0.05.")]
Name = Annotated[str, typer.Option("--name", help="Public name shown to stakers.")]
Website = Annotated[str, typer.Option("--website", help="Public website.")]
Contact = Annotated[str, typer.Option("--contact", help="Security contact (email or URL) for incident reports.")]
Details = Annotated[str, typer.Option("--details", help="One line about the operation.")]


@app.command()
def register(
    self_stake: Annotated[str, typer.Option("--self-stake", help="Your own stake, OPG (at least the minimum).")],
    commission: Commission,
    name: Name,
    website: Website = "",
    contact: Contact = "",
    details: Details = "",
    password_file: PasswordFile = None,
) -> None:
    """Register the active account as a validator, bonding its self-stake (slashable with every
    delegation) at a commission within the network's cap.

    Example: ogcli validator register --self-stake 20000 --commission 5% --name "Aurora Labs" --contact sec@aurora.example
    """
    from ogcli.chain.tx import BalanceChange, Plan

    wei = parsing.amount(self_stake)
    bps = _commission_bps(commission)
    if not name.strip():
        raise UsageError("--name is required: stakers pick validators by it")
    metadata = _metadata({"name": name, "website": website, "security_contact": contact, "details": details})
    session = WriteSession.open(password_file)
    params = _params(session)
    if _registered(session, session.me):
        raise UsageError(f"{session.me} is already a validator; change it with `ogcli validator update`")
    if bps > params["max_commission_bps"]:
        raise UsageError(f"commission {bps / 100:g}% is above the network's cap of {params['max_commission_bps'] / 100:g}%")
    if wei < params["min_self_stake_wei"]:
        raise UsageError(f"self-stake {_fmt(wei)} OPG is below the minimum of {_fmt(params['min_self_stake_wei'])} OPG")
    held = session.token.balanceOf(session.me).call()
    if wei > held:
        raise UsageError(f"self-stake {_fmt(wei)} OPG is more than the {_fmt(held)} OPG this account holds")
    session.ensure_allowance(wei, [])
    session.run(
        Plan(
            action=f"register as validator with {_fmt(wei)} OPG self-stake",
            call=session.staking.registerValidator(bps, metadata, wei),
            rows=(
                ("name", name.strip()),
                ("commission", f"{bps / 100:g}% (cap {params['max_commission_bps'] / 100:g}%; changes of at most "
                 f"{params['max_commission_change_bps'] / 100:g} points, once per {_days(params['commission_change_delay_s'])})"),
                ("self-stake", f"{_fmt(wei)} OPG, slashable"),
                ("unbonding", _days(params["unbonding_period_s"])),
            ),
            balance_changes=(BalanceChange("OPG (wallet)", held, held - wei),),
            warnings=(
                "a validator that attests a false result is slashed together with its delegators",
            ),
        )
    )


@app.command()
def update(
    commission: Commission = "",
    name: Name = "",
    website: Website = "",
    contact: Contact = "",
    details: Details = "",
    password_file: PasswordFile = None,
) -> None:
    """Change your commission (within the cap, by at most the allowed step, not too often) and/or
    your public metadata; fields you leave out keep their current value.

    Example: ogcli validator update --commission 4% --website https://aurora.example
    """
    from ogcli.chain.tx import Plan
    from ogcli.chain.validators import validator_state

    fields = {"name": name, "website": website, "security_contact": contact, "details": details}
    if not commission and not any(fields.values()):
        raise UsageError("nothing to change: give --commission and/or --name, --website, --contact, --details")
    new_bps = _commission_bps(commission) if commission else None
    session = WriteSession.open(password_file)
    if not _registered(session, session.me):
        raise UsageError(f"{session.me} is not a validator; register with `ogcli validator register`")
    state = validator_state(session.me, session.staking.getValidator(session.me).call())
    plans = []
    if new_bps is not None:
        params = _params(session)
        _check_commission_change(state, new_bps, params, _now(session))
        plans.append(
            Plan(
                action=f"set commission to {new_bps / 100:g}%",
                call=session.staking.setCommission(new_bps),
                rows=(("commission", f"{state.commission_bps / 100:g}% -> {new_bps / 100:g}%"),
                      ("next change", f"not before {_days(params['commission_change_delay_s'])} from now")),
            )
        )
    if any(fields.values()):
        merged = {**state.metadata, **{k: v for k, v in fields.items() if v}}
        merged.pop("uri", None)
        uri = _metadata(merged)
        rows = tuple((k.replace("_", " "), v) for k, v in merged.items())
        plans.append(Plan(action="update validator metadata", call=session.staking.setMetadata(uri), rows=rows))
    session.run_all(plans)


@app.command()
def unjail(password_file: PasswordFile = None) -> None:
    """Leave jail once the jail period is over (your self-stake must still meet the minimum;
    top it up with `ogcli stake delegate <you> AMOUNT` first if a slash took it below).

    Example: ogcli validator unjail --yes
    """
    from ogcli.chain.tx import Plan
    from ogcli.chain.validators import validator_state
    from ogcli.core.units import format_duration, format_utc

    session = WriteSession.open(password_file)
    if not _registered(session, session.me):
        raise UsageError(f"{session.me} is not a validator")
    state = validator_state(session.me, session.staking.getValidator(session.me).call())
    params = _params(session)
    now = _now(session)
    if state.tombstoned:
        raise UsageError("this validator is tombstoned: banned for good by governance, it can never unjail")
    if not state.jailed:
        raise UsageError("this validator is not jailed")
    if now < state.jailed_until:
        raise UsageError(
            f"still jailed until {format_utc(state.jailed_until)} (in {format_duration(state.jailed_until - now)})"
        )
    if state.self_stake_wei < params["min_self_stake_wei"] or state.self_stake_wei == 0:
        short = params["min_self_stake_wei"] - state.self_stake_wei
        raise UsageError(
            f"self-stake {_fmt(state.self_stake_wei)} OPG is below the minimum {_fmt(params['min_self_stake_wei'])} OPG; "
            f"add at least {_fmt(short)} OPG with `ogcli stake delegate {session.me} {_fmt(short).replace(',', '')}`"
        )
    session.run(Plan(action="unjail", call=session.staking.unjail(), rows=(("validator", session.me),)))


@app.command()
def status(
    address: Annotated[str, typer.Argument(help="Validator (default: the active account).", show_default=False)] = "",
) -> None:
    """Your validator as the contract sees it: status, stake, self-stake against the minimum,
    commission and when it may next change, jail, slashes, delegators, unclaimed commission, and
    attestation rewards claimable now or still in their challenge window.

    Example: ogcli validator status
    """
    from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many
    from ogcli.chain.network import open_protocol
    from ogcli.chain.validators import validator_state
    from ogcli.signing import signer_address

    network = context.resolve_network()
    target = parsing.address(address) if address else signer_address(network)
    protocol = open_protocol(network)
    staking = protocol.staking
    view, params, pending, now = read_many(
        protocol.rpc,
        [
            Read(staking, "getValidator", (target,)),
            Read(staking, "params"),
            Read(staking, "pendingRewards", (target, target)),
            Read(protocol.contract("Multicall3", MULTICALL3_ADDRESS), "getCurrentBlockTimestamp"),
        ],
    )
    if isinstance(view, ReadFailed):
        raise UsageError(f"{target} is not a registered validator (register with `ogcli validator register`)")
    if isinstance(now, ReadFailed):
        now = int(protocol.rpc.block("latest")["timestamp"], 16)
    from ogcli.chain import attester_rewards as ar

    state = validator_state(target, view)
    verdict_rewards = ar.read_rewards(protocol, target)
    named = _named_params(params)
    next_change = state.commission_updated_at + named["commission_change_delay_s"]
    data = {
        "address": target,
        "metadata": state.metadata,
        "status": state.status,
        "jailed_until": state.jailed_until or None,
        "can_unjail": state.jailed and not state.tombstoned and now >= state.jailed_until
        and state.self_stake_wei >= named["min_self_stake_wei"] and state.self_stake_wei > 0,
        "stake_wei": str(state.tokens_wei),
        "self_stake_wei": str(state.self_stake_wei),
        "min_self_stake_wei": str(named["min_self_stake_wei"]),
        "commission_bps": state.commission_bps,
        "max_commission_bps": named["max_commission_bps"],
        "max_commission_change_bps": named["max_commission_change_bps"],
        "next_commission_change_at": next_change,
        "slashes": state.slash_count,
        "delegators": state.delegator_count,
        "pending_rewards_and_commission_wei": str(pending),
        "attestation_rewards_claimable_wei": str(verdict_rewards.total(ar.CLAIMABLE)),
        "attestation_rewards_maturing_wei": str(verdict_rewards.total(ar.MATURING)),
        "registered_at": state.registered_at,
        "time": now,
    }
    output.emit(data, lambda: _render_status(data))


@app.command()
def rewards(
    claim: Annotated[bool, typer.Option("--claim", help="Claim what is claimable now.")] = False,
    address: Annotated[str, typer.Option("--address", help="Validator (default: the active account).",
                                         show_default=False)] = "",
    password_file: PasswordFile = None,
) -> None:
    """What your verdicts earned: a rewarded verdict is paid once it has stood through the
    challenge window, into your Staking pool (commission first, the rest to your delegators), and
    only when claimed; a verdict disputed and lost forfeits it. The node's verifier role claims on
    its own every few minutes; this shows the state and claims by hand. Anyone may claim for a
    validator (the reward always goes to its pool).

    Example: ogcli validator rewards --claim --yes
    """
    from ogcli.chain import attester_rewards as ar
    from ogcli.chain.tx import Plan

    session = WriteSession.open(password_file if claim else None, unlock=claim)
    target = parsing.address(address) if address else session.me
    protocol = session.protocol
    if not _registered(session, target):
        raise UsageError(f"{target} is not a registered validator")
    found = ar.read_rewards(protocol, target)
    if not claim:
        data = _rewards_data(found)
        output.emit(data, lambda: _render_rewards(data))
        return
    ids = found.ids(ar.CLAIMABLE)
    if not ids:
        nxt = found.next_claimable_at()
        when = f"; the next becomes claimable at {_utc(nxt)}" if nxt else ""
        raise UsageError(f"nothing to claim now{when}")
    amount = found.total(ar.CLAIMABLE)
    settlement = protocol.settlement.functions
    chunks = ar.claim_chunks(ids)
    session.run_all([
        Plan(
            action=f"claim attestation rewards for {len(chunk)} records"
            + (f" ({n} of {len(chunks)})" if len(chunks) > 1 else ""),
            call=settlement.claimAttestationRewards(target, chunk),
            rows=(("validator", target),
                  ("amount", f"{_fmt(found.total_of(chunk))} OPG"
                   + (f" of {_fmt(amount)} OPG in all" if len(chunks) > 1 else "")),
                  ("paid to", "the validator's Staking pool (commission first, the rest to its delegators)")),
        )
        for n, chunk in enumerate(chunks, 1)
    ])


# ---------------------------------------------------------------------- helpers


def _rewards_data(found) -> dict:
    from ogcli.chain import attester_rewards as ar

    states = (ar.CLAIMABLE, ar.MATURING, ar.CLAIMED, ar.FORFEITED)
    return {
        "validator": found.validator,
        "time": found.time,
        **{f"{state}_wei": str(found.total(state)) for state in states},
        **{f"{state}_records": len(found.ids(state)) for state in states},
        "next_claimable_at": found.next_claimable_at(),
        "records": [
            {"record_id": line.record_id, "reward_wei": str(line.reward_wei), "attested_at": line.attested_at,
             "claimable_after": line.claimable_after, "state": line.state}
            for line in found.lines
        ],
    }


def _render_rewards(data: dict) -> None:
    nxt = data["next_claimable_at"]
    rows = [
        ("validator", data["validator"]),
        ("claimable now", f"{_fmt(int(data['claimable_wei']))} OPG ({data['claimable_records']} records)"
         + (" (`ogcli validator rewards --claim`)" if data["claimable_records"] else "")),
        ("in the challenge window", f"{_fmt(int(data['maturing_wei']))} OPG ({data['maturing_records']} records)"
         + (f", the first claimable at {_utc(nxt)}" if nxt else "")),
        ("claimed", f"{_fmt(int(data['claimed_wei']))} OPG ({data['claimed_records']} records)"),
        ("forfeited (disputes lost)", f"{_fmt(int(data['forfeited_wei']))} OPG ({data['forfeited_records']} records)"),
    ]
    output.kv_table(rows)


def _utc(timestamp: int) -> str:
    from ogcli.core.units import format_utc

    return format_utc(timestamp)



def _render_status(data: dict) -> None:
    from ogcli.core.units import format_duration, format_utc

    now = data["time"]
    status = data["status"]
    if status == "jailed":
        left = data["jailed_until"] - now
        status = f"[bold red]jailed[/] until {format_utc(data['jailed_until'])}" + (
            " (you may `ogcli validator unjail` now)" if data["can_unjail"] else f" ({format_duration(max(0, left))} left)"
        )
    elif status == "tombstoned":
        status = "[bold red]tombstoned[/] (banned for good)"
    change = data["next_commission_change_at"]
    meta = data["metadata"]
    rows = [
        ("validator", f"{meta.get('name', '')} {data['address']}".strip()),
        ("status", status),
        ("stake", f"{_fmt(int(data['stake_wei']))} OPG"),
        ("self-stake", f"{_fmt(int(data['self_stake_wei']))} OPG (minimum {_fmt(int(data['min_self_stake_wei']))})"),
        ("commission", f"{data['commission_bps'] / 100:g}% (cap {data['max_commission_bps'] / 100:g}%, "
         f"step {data['max_commission_change_bps'] / 100:g} points)"),
        ("next change", "now" if change <= now else f"{format_utc(change)} (in {format_duration(change - now)})"),
        ("slashes", str(data["slashes"])),
        ("delegators", str(data["delegators"])),
        ("unclaimed", f"{_fmt(int(data['pending_rewards_and_commission_wei']))} OPG (`ogcli stake rewards --claim`)"),
        ("verdict rewards", f"{_fmt(int(data['attestation_rewards_claimable_wei']))} OPG claimable"
         + (" (`ogcli validator rewards --claim`)" if int(data["attestation_rewards_claimable_wei"]) else "")
         + f", {_fmt(int(data['attestation_rewards_maturing_wei']))} OPG in the challenge window"),
    ]
    rows += [(k.replace("_", " "), v) for k, v in meta.items() if k != "name"]
    output.kv_table(rows)


def _check_commission_change(state, new_bps: int, params: dict, now: int) -> None:
    from ogcli.core.units import format_duration, format_utc

    if new_bps == state.commission_bps:
        raise UsageError(f"commission is already {new_bps / 100:g}%")
    if new_bps > params["max_commission_bps"]:
        raise UsageError(f"commission {new_bps / 100:g}% is above the network's cap of {params['max_commission_bps'] / 100:g}%")
    step = abs(new_bps - state.commission_bps)
    if step > params["max_commission_change_bps"]:
        raise UsageError(
            f"a change of {step / 100:g} points is more than the {params['max_commission_change_bps'] / 100:g} allowed at once "
            f"(from {state.commission_bps / 100:g}%)"
        )
    allowed_at = state.commission_updated_at + params["commission_change_delay_s"]
    if now < allowed_at:
        raise UsageError(
            f"the last change was too recent: the next is allowed at {format_utc(allowed_at)} "
            f"(in {format_duration(allowed_at - now)})"
        )


def _commission_bps(text: str) -> int:
    """Like any fraction, but zero is a valid commission."""
    if text.strip().rstrip("%").strip() in ("0", "0.0", "0.00"):
        return 0
    return parsing.fraction_bps(text)


def _metadata(fields: dict) -> str:
    from ogcli.core.validator_metadata import encode_metadata

    try:
        return encode_metadata(fields)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _named_params(raw) -> dict:
    return {
        "unbonding_period_s": raw[0],
        "max_commission_bps": raw[1],
        "max_commission_change_bps": raw[2],
        "commission_change_delay_s": raw[3],
        "min_self_stake_wei": raw[4],
        "jail_duration_s": raw[5],
    }


def _params(session: WriteSession) -> dict:
    return _named_params(session.staking.params().call())


def _registered(session: WriteSession, address: str) -> bool:
    return address in session.staking.validators().call()


def _now(session: WriteSession) -> int:
    return int(session.protocol.w3.eth.get_block("latest")["timestamp"])


def _days(seconds: int) -> str:
    from ogcli.core.units import format_duration

    return format_duration(seconds)


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)
