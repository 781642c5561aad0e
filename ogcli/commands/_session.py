"""The resolved network, protocol and (when writing) unlocked signer that write commands share."""

import typer

from ogcli import context
from ogcli.plans import Session
from ogcli.receipt import report


class WriteSession(Session):
    """The resolved network, protocol and (when writing) the unlocked signer of one command, and
    the CLI's way to send its plans (preview, question, receipt)."""

    @classmethod
    def open(cls, password_file, unlock: bool = True) -> "WriteSession":
        from ogcli.chain.network import open_protocol
        from ogcli.signing import signer_address, write_signer

        network = context.resolve_network()
        protocol = open_protocol(network)
        if unlock:
            account = write_signer(network, password_file)
            return cls(network, protocol, account, account.address)
        return cls(network, protocol, None, signer_address(network))

    def send(self, plan):
        """Runs `plan` through the write pipeline and returns the Outcome, unreported."""
        from ogcli.writes import execute

        return execute(plan, w3=self.protocol.w3, network=self.network, account=self.account, options=context.OPTIONS)

    def run(self, plan) -> None:
        report(self.send(plan))

    def run_all(self, plans: list) -> None:
        """Several writes in order, reported together; if one fails after others were sent, the
        error says which were."""
        from ogcli.errors import OgcliError
        from ogcli.receipt import report_all

        if context.OPTIONS.unsigned and len(plans) > 1:
            from ogcli.errors import UsageError

            raise UsageError(f"this command sends {len(plans)} transactions; --unsigned prepares one: "
                             f"{'; '.join(p.action for p in plans)}")
        outcomes = []
        for plan in plans:
            try:
                outcomes.append(self.send(plan))
            except OgcliError as exc:
                sent = [f"{o.preview.action} ({o.tx_hash})" for o in outcomes if o.sent]
                if not sent:
                    raise
                raise type(exc)(f"{exc} (already sent: {'; '.join(sent)})") from None
        report_all(outcomes)

    def ensure_allowance(self, wei: int, warnings: list[str]) -> None:
        """Staking pulls the tokens: approve exactly what is missing first (its own confirmation)."""
        from ogcli.plans import staking_approval

        self.run_approval(staking_approval(self, wei), warnings)

    def run_approval(self, approval, warnings) -> None:
        """Sends the approval a later write needs (its own confirmation), if there is one. The
        later write's warnings are shown before that approval, not only after it."""
        from ogcli import diagnostics

        if approval is None:
            return
        for warning in warnings:
            diagnostics.warn(warning)
        outcome = self.send(approval)
        if not outcome.sent:  # --dry-run or --unsigned: the write itself cannot be simulated without it
            report(outcome)
            raise typer.Exit(0)
