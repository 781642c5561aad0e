"""Governance proposals in words: the parameters a `param` proposal can change, what a decoded
call does, and the change a proposal would make to the TEE whitelist. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed")
SUPPORT = {"against": 0, "for": 1, "abstain": 2}


@dataclass(frozen=True)
class ParamSpec:
    index: int  # position in the contract's Params struct
    kind: str  # duration, bps, opg, count


# Settable through `ogcli gov propose param CONTRACT NAME VALUE`, by contract.
PARAMS: dict[str, dict[str, ParamSpec]] = {
    "staking": {
        "unbonding_period": ParamSpec(0, "duration"),
        "max_commission": ParamSpec(1, "bps"),
        "max_commission_change": ParamSpec(2, "bps"),
        "commission_change_delay": ParamSpec(3, "duration"),
        "min_self_stake": ParamSpec(4, "opg"),
        "jail_duration": ParamSpec(5, "duration"),
    },
    "settlement": {
        "validator_fee": ParamSpec(0, "bps"),
        "treasury_fee": ParamSpec(1, "bps"),
        "rewarded_attesters": ParamSpec(2, "count"),
        "challenge_window": ParamSpec(3, "duration"),
        "slash_fraction": ParamSpec(4, "bps"),
        "challenger_reward": ParamSpec(5, "bps"),
    },
    "bonds": {
        "min_bond": ParamSpec(0, "opg"),
        "unbonding_delay": ParamSpec(1, "duration"),
        "slash_fraction": ParamSpec(2, "bps"),
    },
}
PARAM_CONTRACTS = {"staking": "Staking", "settlement": "InferenceSettlement", "bonds": "NodeBonds"}


def format_param(kind: str, value: int) -> str:
    from ogcli.core.amounts import format_amount
    from ogcli.core.units import format_duration

    if kind == "duration":
        return format_duration(value)
    if kind == "bps":
        return f"{value / 100:g}%"
    if kind == "opg":
        return f"{format_amount(value, group=True)} OPG"
    return str(value)


@dataclass(frozen=True)
class Whitelist:
    """The registry's state as far as a proposal can change it."""

    vendors: dict[int, bool]  # vendor id -> enabled
    measurements: dict[tuple[int, bytes], tuple[bool, str]]  # (vendor, hash) -> (approved, label)


def whitelist_diff(whitelist: Whitelist, calls: list[tuple[str, dict]], vendor_names: tuple[str, ...]) -> list[str]:
    """Lines like '+ DEV 0xab12… (label) approved' for each registry call (function name, params)
    a proposal makes, applied in order; calls to other contracts are not whitelist changes."""
    vendors = dict(whitelist.vendors)
    measurements = dict(whitelist.measurements)
    lines = []

    def name(vendor: int) -> str:
        return vendor_names[vendor] if vendor < len(vendor_names) else f"vendor-{vendor}"

    for function, params in calls:
        if function == "approveMeasurement":
            key = (params["vendor"], bytes(params["measurement"]))
            approved, _label = measurements.get(key, (False, ""))
            measurements[key] = (True, params["label"])
            note = " (already approved: relabelled)" if approved else ""
            lines.append(f"+ {name(key[0])} 0x{key[1].hex()[:16]}… \"{params['label']}\" approved{note}")
            if not vendors.get(key[0], False):
                lines.append(f"  warning: vendor {name(key[0])} is disabled, so no enclave can use it yet")
        elif function == "revokeMeasurement":
            key = (params["vendor"], bytes(params["measurement"]))
            approved, label = measurements.get(key, (False, ""))
            measurements[key] = (False, label)
            lines.append(
                f"- {name(key[0])} 0x{key[1].hex()[:16]}… \"{label}\" revoked"
                + ("" if approved else " (not approved now: no change)")
            )
        elif function == "setVendor":
            vendor, enabled = params["vendor"], params["enabled"]
            was = vendors.get(vendor, False)
            vendors[vendor] = enabled
            verb = "enabled" if enabled else "disabled"
            lines.append(f"{'+' if enabled else '-'} vendor {name(vendor)} {verb}" + ("" if was != enabled else " (no change)"))
    return lines


def next_step(state: str, vote_start: int, vote_end: int, eta: int, now: int) -> str:
    """What happens next to a proposal, with a countdown where there is one (CLI and dashboard)."""
    from ogcli.core.units import format_duration

    if state == "Pending":
        return f"voting opens in {format_duration(vote_start - now)}"
    if state == "Active":
        return f"voting closes in {format_duration(vote_end - now)}"
    if state == "Succeeded":
        return "passed: ready to queue"
    if state == "Queued":
        return "executable now" if now >= eta else f"executable in {format_duration(eta - now)}"
    return "final"
