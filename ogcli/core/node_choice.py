"""Which node a call goes to when the caller names none: the registered, active endpoints, ranked
by the bond standing behind their TEE records.

A false TEE record costs its node's bond, which refunds the payer; a node whose bond covers the
value riding on the answer can make the caller whole, one below the minimum cannot even settle a
TEE record. So the ranking is: bonded (at least the governance minimum) with a bond covering the
value at stake, then bonded with less (the largest bond first), then unbonded; otherwise the earliest registered.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeOffer:
    url: str
    operator: str
    bond_wei: int  # free bond: what is not reserved yet for open records, so can back this call
    bonded: bool  # active bond at least the minimum: it may settle TEE records


@dataclass(frozen=True)
class NodeChoice:
    url: str
    operator: str
    bond_wei: int
    reasons: tuple[str, ...]


def choose(offers: list[NodeOffer], value_at_stake_wei: int) -> NodeChoice | None:
    """The best offer for a call with `value_at_stake_wei` riding on it, with why; None if none."""
    if not offers:
        return None

    def rank(offer: NodeOffer) -> int:
        if not offer.bonded:
            return 2
        return 0 if offer.bond_wei >= value_at_stake_wei else 1

    # Within "covers" and "unbonded": the earliest registered; among those short of cover, the most.
    best = min(enumerate(offers), key=lambda pair: (rank(pair[1]), -pair[1].bond_wei if rank(pair[1]) == 1 else 0, pair[0]))[1]
    covering = sum(1 for offer in offers if rank(offer) == 0)
    reasons = [f"{len(offers)} active node{'s' if len(offers) != 1 else ''} registered, "
               f"{covering} with a bond covering {_opg(value_at_stake_wei)} at stake"]
    if rank(best) == 0:
        reasons.append(f"chose {best.url}: its operator's bond of {_opg(best.bond_wei)} covers the value at stake")
    elif rank(best) == 1:
        reasons.append(f"chose {best.url}: the largest cover on offer is short; its bond of {_opg(best.bond_wei)} "
                       f"refunds at most that if a TEE result is false")
    else:
        reasons.append(f"chose {best.url}: no node has the minimum bond, so none can settle a TEE call")
    return NodeChoice(best.url, best.operator, best.bond_wei, tuple(reasons))


def _opg(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return f"{format_amount(wei, max_fraction=2, group=True)} OPG"
