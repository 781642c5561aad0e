"""HACA routing: which execution mode a call should use, and why.

Three modes trade speed for assurance:

  vanilla  the node's word only                          fastest
  tee      signed inside an attested enclave; a false    a few ms more
           result is provable and slashes its attesters
  zkml     a zero-knowledge proof of the computation      seconds

The router takes what the model supports (and the node offers), the value riding on the answer,
a latency budget, and the profile's policy, and returns a mode with the reasons for it:

1. Candidates: the modes both the model and the node support.
2. The latency budget removes modes whose expected latency exceeds it.
3. The value at stake sets the assurance wanted: at or above `tee_from_wei` a signed result, at
   or above `zkml_from_wei` a proof.
4. A signed result is backed by the node's bond (a false one is refunded from it): when the bond
   does not cover the value at stake, `balanced` moves a call that wanted tee up to zkml where it
   can, and says so either way.
5. The policy picks among what is left: `balanced` takes the weakest mode that meets the wanted
   assurance (else the strongest available), `strongest` the strongest, `fastest` the fastest.
"""

from __future__ import annotations

from dataclasses import dataclass

STRENGTH = {"vanilla": 0, "tee": 1, "zkml": 2}
EXPECTED_LATENCY_MS = {"vanilla": 5, "tee": 15, "zkml": 5_000}  # added over the model itself; see README
POLICIES = ("balanced", "strongest", "fastest")


class NoRoute(ValueError):
    """No mode satisfies the model, the node and the budget together."""


@dataclass(frozen=True)
class Policy:
    name: str = "balanced"
    tee_from_wei: int = 0  # any paid call gets a signed result by default
    zkml_from_wei: int = 1_000 * 10**18


@dataclass(frozen=True)
class Decision:
    mode: str
    reasons: tuple[str, ...]
    candidates: tuple[str, ...]


def route(model_modes: list[str], node_modes: list[str], value_at_stake_wei: int, latency_budget_ms: int | None,
          policy: Policy, bond_wei: int | None = None) -> Decision:
    """The mode for a call, with its reasons. `bond_wei`: the node's bond (None: not known)."""
    if policy.name not in POLICIES:
        raise ValueError(f"routing policy must be one of {', '.join(POLICIES)}, not {policy.name!r}")
    reasons = []
    candidates = [m for m in STRENGTH if m in model_modes and m in node_modes]
    if not candidates:
        raise NoRoute(f"the model supports {', '.join(model_modes) or 'no mode'} and the node offers "
                      f"{', '.join(node_modes) or 'none'}: nothing in common")
    reasons.append(f"model and node both support {', '.join(candidates)}")
    if latency_budget_ms is not None:
        fitting = [m for m in candidates if EXPECTED_LATENCY_MS[m] <= latency_budget_ms]
        dropped = [m for m in candidates if m not in fitting]
        if not fitting:
            raise NoRoute(f"no supported mode fits {latency_budget_ms} ms (fastest: "
                          f"{min(candidates, key=EXPECTED_LATENCY_MS.get)} at ~{min(EXPECTED_LATENCY_MS[m] for m in candidates)} ms)")
        if dropped:
            reasons.append(f"{', '.join(dropped)} cannot meet the {latency_budget_ms} ms budget")
        candidates = fitting
    wanted = "zkml" if value_at_stake_wei >= policy.zkml_from_wei else "tee" if value_at_stake_wei >= policy.tee_from_wei else "vanilla"
    reasons.append(f"{_opg(value_at_stake_wei)} at stake calls for {wanted} ({policy.name} policy)")
    if bond_wei is not None and "tee" in candidates:
        if bond_wei >= value_at_stake_wei:
            reasons.append(f"the node's bond of {_opg(bond_wei)} covers the value at stake if a TEE result is false")
        else:
            reasons.append(f"the node's bond of {_opg(bond_wei)} does not cover the value at stake: "
                           "a false TEE result would be refunded only up to it")
            if wanted == "tee" and policy.name == "balanced" and "zkml" in candidates:
                wanted = "zkml"
                reasons.append("so a proof (zkml) is wanted instead")
    if policy.name == "fastest":
        mode = min(candidates, key=EXPECTED_LATENCY_MS.get)
        if STRENGTH[mode] < STRENGTH[wanted]:
            reasons.append(f"fastest policy: {mode}, weaker than the value at stake calls for")
    elif policy.name == "strongest":
        mode = max(candidates, key=STRENGTH.get)
    else:
        meeting = [m for m in candidates if STRENGTH[m] >= STRENGTH[wanted]]
        mode = min(meeting, key=STRENGTH.get) if meeting else max(candidates, key=STRENGTH.get)
        if not meeting:
            reasons.append(f"{wanted} is not available here; {mode} is the strongest that is")
    reasons.append(f"chose {mode} (~{EXPECTED_LATENCY_MS[mode]} ms added)")
    return Decision(mode, tuple(reasons), tuple(candidates))


def _opg(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return f"{format_amount(wei, group=True)} OPG"
