"""The writes both the CLI and the dashboard offer (delegate, vote), built as Plans in one place,
so both refuse the same bad input with the same words and preview the same lines.

A builder takes an open write session (network, protocol, signer address), reads what it needs
to check the request, and returns the Plans to run in order; nothing here signs or sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ogcli.errors import RevertedError, UsageError

if TYPE_CHECKING:
    from ogcli.chain.tx import Plan

LOW_SCORE = 50.0
CONCENTRATION_WARNING = 0.20


class Session:
    """What plan builders read: the resolved network, the bound protocol, the signing account
    (None when only its address is known) and that address. The CLI's WriteSession adds sending;
    the dashboard uses this as it is."""

    def __init__(self, network, protocol, account, me) -> None:
        self.network, self.protocol, self.account, self.me = network, protocol, account, me
        self.staking = protocol.staking.functions
        self.token = protocol.token.functions


@dataclass(frozen=True)
class Delegation:
    """A delegation ready to run: the approval Staking needs first (None when the allowance
    already covers it), then the delegation itself; warnings are shown before either."""

    approval: Plan | None
    plan: Plan
    warnings: tuple[str, ...]

    @property
    def plans(self) -> list[Plan]:
        return [p for p in (self.approval, self.plan) if p is not None]


def delegation(session, target: str, wei: int) -> Delegation:
    """`ogcli stake delegate TARGET AMOUNT` as Plans: refuses more than the wallet holds and a
    validator that cannot take stake, before any approval would be signed."""
    from ogcli.chain.tx import BalanceChange, Plan

    held = session.token.balanceOf(session.me).call()
    if wei > held:
        raise UsageError(f"{fmt(wei)} OPG is more than the {fmt(held)} OPG this account holds")
    require_active(session, target)  # before any approval is signed for a delegation that cannot happen
    warnings = tuple(delegation_warnings(session, target, wei))
    plan = Plan(
        action=f"delegate {fmt(wei)} OPG",
        call=session.staking.delegate(target, wei),
        rows=(("validator", target), ("amount", f"{fmt(wei)} OPG")),
        balance_changes=(BalanceChange("OPG (wallet)", held, held - wei),),
        warnings=warnings,
    )
    return Delegation(staking_approval(session, wei), plan, warnings)


def staking_approval(session, wei: int) -> Plan | None:
    """The approval Staking needs to pull `wei` from the wallet, or None when the allowance
    already covers it."""
    return token_approval(session, "Staking", session.protocol.staking.address, wei)


def token_approval(session, name: str, spender: str, wei: int) -> Plan | None:
    """The approval contract `name` at `spender` needs to pull `wei` from the wallet, or None when
    the allowance already covers it (approves exactly that much, nothing standing)."""
    from ogcli.chain.tx import Plan

    if session.token.allowance(session.me, spender).call() >= wei:
        return None
    return Plan(action=f"approve {name} to pull {fmt(wei)} OPG", call=session.token.approve(spender, wei),
                rows=(("spender", spender),))


def vote(session, proposal_id: str, support: str, reason: str = "") -> Plan:
    """`ogcli gov vote ID SUPPORT` as a Plan: refuses a proposal that is not in its voting period,
    a second vote, and an account without voting power at the proposal's snapshot."""
    from ogcli.chain.governance import read_proposals
    from ogcli.chain.tx import Plan
    from ogcli.core.proposals import SUPPORT

    check_support(support)
    now, (proposal,) = read_proposals(session.protocol, only=proposal_id)
    governor = session.protocol.governor.functions
    pid = proposal.id
    if proposal.state != "Active":
        raise UsageError(f"proposal {short_id(pid)} is {proposal.state}: {why_not_active(proposal, now)}")
    if governor.hasVoted(pid, session.me).call():
        raise UsageError(f"{session.me} has voted on proposal {short_id(pid)} already; votes cannot be changed")
    weight = governor.getVotes(session.me, proposal.vote_start).call()
    if weight == 0:
        raise UsageError(
            f"{session.me} had no voting power at the proposal's snapshot ({utc(proposal.vote_start)}): "
            "votes count from `ogcli gov delegate self` onwards, for proposals made after it"
        )
    return Plan(
        action=f"vote {support} on {proposal.title}",
        call=governor.castVoteWithReason(pid, SUPPORT[support], reason),
        rows=(("proposal", f"{short_id(pid)} {proposal.title}"), ("vote", support), ("weight", f"{fmt(weight)} OPG"),
              ("reason", reason or "-")),
    )


# ---------------------------------------------------------------------- checks shared with other writes


def check_support(support: str) -> None:
    from ogcli.core.proposals import SUPPORT

    if support not in SUPPORT:
        raise UsageError(f"vote for, against or abstain, not {support!r}")


def delegation_warnings(session, target: str, wei: int) -> list[str]:
    from ogcli.chain.validators import read_board
    from ogcli.core.quality import score_validators
    from ogcli.core.stats import WINDOWS

    board = read_board(session.protocol)
    states = board.states
    state = board.state(target)
    if state is None:
        return []  # the simulation will say it is not a validator
    warnings = []
    if state.jailed:
        warnings.append("this validator is jailed: it earns nothing and the contract refuses new stake")
    score = {s.address: s for s in score_validators(board.metrics(WINDOWS["7d"][0]))}[target]
    if score.composite < LOW_SCORE:
        warnings.append(f"this validator scores {score.composite:.0f}/100 (see `ogcli stake validators`)")
    total = sum(s.tokens_wei for s in states) + wei
    share = (state.tokens_wei + wei) / total
    if share > CONCENTRATION_WARNING:
        warnings.append(f"this would give the validator {share:.0%} of all stake (over {CONCENTRATION_WARNING:.0%}): concentration risk")
    return warnings


def require_active(session, validator: str) -> None:
    if not session.staking.isActive(validator).call():
        require_known(session, validator)
        raise RevertedError(f"{validator} is jailed or has no stake: it cannot take delegations; nothing was sent")


def require_known(session, validator: str) -> None:
    if validator not in session.staking.validators().call():
        raise UsageError(f"{validator} is not a registered validator (see `ogcli stake validators`)")


def why_not_active(proposal, now: int) -> str:
    from ogcli.core.units import format_duration

    if proposal.state == "Pending":
        return f"voting opens {utc(proposal.vote_start)} (in {format_duration(proposal.vote_start - now)})"
    if proposal.state == "Active":
        return f"voting closes {utc(proposal.vote_end)}"
    return f"voting closed {utc(proposal.vote_end)}"


def short_id(pid) -> str:
    text = str(pid)
    return text if len(text) <= 12 else text[:10] + "…"


def utc(timestamp: int | None) -> str:
    from ogcli.core.units import format_utc

    return format_utc(timestamp) if timestamp else "-"


def fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)
