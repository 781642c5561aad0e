"""The dashboard's writes (delegate, vote) through the CLI's own pipeline: the same plan builders
(`ogcli.plans`), the same simulation and preview lines (`chain.tx.prepare`, `writes.preview_rows`), and
the same chain-id check before signing (`chain.tx.commit`). Only the confirmation differs: a
dialog instead of a prompt. Everything here blocks on the network, so the dialog calls it from a
worker thread."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One transaction, simulated and previewed, waiting for a yes."""

    action: str
    lines: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)
    handle: object = None  # what `send` needs (a chain.tx.Prepared)


@dataclass(frozen=True)
class Sent:
    action: str
    tx_hash: str
    block_number: int


@dataclass(frozen=True)
class DelegateRequest:
    validator: str
    wei: int

    def plans(self, session) -> tuple[list, tuple[str, ...]]:
        """The plans in order, and warnings to show before the first (as the CLI does)."""
        from ogcli import plans

        planned = plans.delegation(session, self.validator, self.wei)
        return planned.plans, planned.warnings if planned.approval is not None else ()


@dataclass(frozen=True)
class VoteRequest:
    proposal_id: str
    support: str  # for, against, abstain
    reason: str = ""

    def plans(self, session) -> tuple[list, tuple[str, ...]]:
        from ogcli import plans

        return [plans.vote(session, self.proposal_id, self.support, self.reason)], ()


class ChainWriter:
    """Opens a write session for the profile's wallet and starts jobs on it."""

    def __init__(self, network) -> None:
        self.network = network

    @property
    def needs_password(self) -> bool:
        """Whether the dialog must ask: OGCLI_PASSWORD, when set, is used as on the CLI."""
        return not os.environ.get("OGCLI_PASSWORD")

    def begin(self, request, password: str) -> ChainJob:
        from ogcli.chain.network import open_protocol
        from ogcli.plans import Session

        account = self._unlock(password)
        session = Session(self.network, open_protocol(self.network), account, account.address)
        plans, warnings = request.plans(session)
        return ChainJob(self.network, session, plans, warnings)

    def _unlock(self, password: str):
        from ogcli import wallet
        from ogcli.errors import UsageError
        from ogcli.signing import account_name
        from ogcli.wallet import keychain, store

        name = account_name(self.network)
        text = password or os.environ.get("OGCLI_PASSWORD")
        if not text and store.record(name).password_in_keyring:
            text = keychain.get(name)
        if not text:
            raise UsageError(f"type the password of wallet {name!r} (or set OGCLI_PASSWORD)")
        return wallet.unlock(name, password_text=text)


class ChainJob:
    """The plans of one request, prepared and sent one at a time, each after its own yes."""

    def __init__(self, network, session, plans: list, warnings: tuple[str, ...]) -> None:
        self.network, self.session, self.plans, self.warnings = network, session, plans, warnings

    def prepare(self, index: int) -> Step:
        from ogcli.chain.tx import prepare
        from ogcli.writes import preview_rows

        prepared = prepare(self.plans[index], w3=self.session.protocol.w3, network=self.network,
                           account=self.session.account)
        before = list(self.warnings) if index == 0 else []
        return Step(prepared.plan.action, preview_rows(prepared.preview), before + prepared.preview.warnings, prepared)

    def send(self, step: Step) -> Sent:
        from ogcli.chain.tx import commit

        outcome = commit(step.handle, self.network)
        return Sent(step.action, outcome.tx_hash, outcome.block_number)
