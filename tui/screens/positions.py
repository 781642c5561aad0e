"""My positions pane: the active account's delegations, pending rewards, what one lost dispute
would take, and unbonding entries with a countdown to maturity."""

from __future__ import annotations

from textual.widgets import Static

from tui import fmt


class Positions(Static):
    def show(self, snap, now: float) -> None:
        held = snap.positions
        if held is None:
            self.update("no active account: `ogcli wallet use NAME` picks the wallet whose positions show here")
            return
        chain_now = snap.chain_now(now)
        delegated = sum(d["value_wei"] for d in held["delegations"])
        lines = [
            f"account {snap.account}",
            f"delegated {fmt.opg(delegated)} OPG · pending rewards {fmt.opg(held['rewards_wei'], 4)} OPG",
            f"one lost dispute ({held['dispute_slash_bps'] / 100:g}% slash) would take {fmt.opg(held['exposure_wei'])} OPG",
            "",
            f"{'validator':<18} {'status':<7} {'value OPG':>12} {'rewards':>10} {'dispute risk':>12}",
        ]
        lines += [
            f"{(d['moniker'] or fmt.short(d['validator']))[:18]:<18} {d['status'][:7]:<7} {fmt.opg(d['value_wei']):>12} "
            f"{fmt.opg(d['pending_rewards_wei'], 4):>10} {fmt.opg(d['per_dispute_loss_wei']):>12}"
            for d in held["delegations"]
        ] or ["(no delegations)"]
        lines += ["", "unbonding:"]
        lines += [
            f"  {fmt.opg(u['balance_wei']):>12} OPG from {(u['moniker'] or fmt.short(u['validator']))[:18]:<18} "
            + ("withdrawable now" if u["completes"] <= chain_now else f"matures in {fmt.span(u['completes'] - chain_now)}")
            for u in held["unbonding"]
        ] or ["  none"]
        self.update("\n".join(lines))
