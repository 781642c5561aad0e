"""`ogcli pay`: paying nodes through x402 payment channels (batch-settlement): open one with a
node, top it up, see what it holds, and take back what the node has not claimed."""

from typing import Annotated

import typer

from ogcli import context, output, parsing
from ogcli.appfactory import new_app
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app(
    "Pay nodes by channel (x402 batch-settlement): deposit once, then each call is a voucher.\n\n"
    "Example: ogcli pay channel open --amount 5 --yes"
)
channel_app = new_app(
    "Payment channels with nodes: open, top up, status, refund and withdraw.\n\nExample: ogcli pay channel status"
)
app.add_typer(channel_app, name="channel")

NodeUrl = Annotated[str, typer.Option("--node", help="Node URL (default: the first active enclave's endpoint on chain).")]
Amount = Annotated[str, typer.Option("--amount", help="OPG, in whole tokens (e.g. 5 or 0.5).", show_default=False)]
ChannelNode = Annotated[str, typer.Option("--node", help="Node URL (default: your only channel, else the chain's first node).")]


@channel_app.command("open")
def open_(amount: Amount, node: NodeUrl = "", password_file: PasswordFile = None) -> None:
    """Open a payment channel with a node: deposit OPG into it, from your wallet, in a transaction
    you send (and pay the gas of). The official x402 client and `ogcli infer` then pay each of
    that node's calls with a voucher on this channel, with no transaction.

    Example: ogcli pay channel open --amount 5 --node http://127.0.0.1:8700 --yes
    """
    _deposit(parsing.amount(amount), node, password_file, opening=True)


@channel_app.command()
def topup(amount: Amount, node: NodeUrl = "", password_file: PasswordFile = None) -> None:
    """Deposit more OPG into your channel with a node (open one first).

    Example: ogcli pay channel topup --amount 2.5 --node http://127.0.0.1:8700 --yes
    """
    _deposit(parsing.amount(amount), node, password_file, opening=False)


@channel_app.command()
def status(node: NodeUrl = "") -> None:
    """Your channels (or the one with --node): balance, what the node claimed on chain, what is
    still yours to take back, a pending withdrawal, and what the node has charged so far where
    ogcli's own client paid on it. One read of the chain for all of them.

    Example: ogcli pay channel status --json
    """
    from ogcli import diagnostics
    from ogcli.chain.channels import read_channels
    from ogcli.chain.network import open_reader
    from ogcli.signing import signer_address

    network = context.resolve_network()
    protocol = open_reader(network)
    me = signer_address(network)
    indexed = _index().channels_of(network.chain_id, me)
    known = indexed
    if node:  # the indexed channel with that node, else the one its terms make (shown if it exists)
        known = [_known(network, protocol, me, node)]
    with diagnostics.spinner("reading channels"):
        now, states = read_channels(protocol.rpc, [_id_bytes(c.channel_id) for c in known])
    rows = [_status_row(network.chain_id, c, s, now) for c, s in zip(known, states) if s.exists or c in indexed]
    output.emit(rows, lambda: _render_status(rows, now, node))


@channel_app.command()
def withdraw(
    amount: Annotated[str, typer.Option("--amount", help="OPG to take back (default: everything available).")] = "",
    node: ChannelNode = "",
    password_file: PasswordFile = None,
) -> None:
    """Take back what the node has not claimed, in two steps: the first call starts a withdrawal
    (the node has the channel's withdraw delay to claim what it charged), the second, once the
    delay has passed, finalizes it and returns what is then unclaimed to your wallet.

    Example: ogcli pay channel withdraw --node http://127.0.0.1:8700 --yes
    """
    wei = parsing.amount(amount) if amount else None
    pending = _Withdrawal.find(node)
    if pending.state.withdrawal_pending:
        pending.finalize(wei, password_file)
    else:
        pending.initiate(wei, password_file)


@channel_app.command()
def refund(
    amount: Annotated[str, typer.Option("--amount", help="OPG to take back (default: everything not charged).")] = "",
    node: ChannelNode = "",
    password_file: PasswordFile = None,
) -> None:
    """Take back at once, with the node's cooperation, what your channel holds beyond what the
    node has charged on it (a cooperative refund: the node sends the refund, you pay no gas). The
    channel stays open for what is left. Without the node, use `withdraw` (it waits out the delay).

    Example: ogcli pay channel refund --node http://127.0.0.1:8700 --yes
    """
    _refund(parsing.amount(amount) if amount else None, node, password_file)


# ---------------------------------------------------------------------- deposits


def _deposit(wei: int, node: str, password_file, *, opening: bool) -> None:
    """`open` and `topup`: the payer's ERC-3009 deposit into the SDK client's channel with the
    node, sent by the payer itself; refused before anything is signed when the wallet holds less,
    or the channel does (open) or does not (topup) exist yet."""
    from ogcli.chain.channels import deposit_call, read_channels
    from ogcli.chain.network import open_protocol
    from ogcli.signing import signer_address, unlock_signer

    network = context.resolve_network()
    protocol = open_protocol(network)
    me = signer_address(network)
    terms = _terms(network, protocol, node)
    config, channel_id = _config(network, me, terms)
    now, [state] = read_channels(protocol.rpc, [channel_id])
    _check_deposit(state, terms.node_url, opening)
    held = protocol.token.functions.balanceOf(me).call()
    if wei > held:
        raise UsageError(f"{_fmt(wei)} OPG is more than the {_fmt(held)} OPG this account holds; nothing was signed")
    account = unlock_signer(network, password_file)
    plan = _deposit_plan(terms, channel_id, state, held, wei, opening,
                         deposit_call(protocol, account, config, wei, network.chain_id, now))
    outcome = _execute(plan, protocol, network, account)
    if outcome.sent:
        _index().add(network.chain_id, _index().IndexedChannel("0x" + channel_id.hex(), terms.node_url, config, now))
    channel = {"id": "0x" + channel_id.hex(), "node": terms.node_url, "operator": terms.receiver_authorizer,
               "balance_wei": str(state.balance_wei + (wei if outcome.sent else 0))}
    _report(outcome, {"channel": channel},
            f"channel {channel['id']} with {terms.node_url} holds {_fmt(int(channel['balance_wei']))} OPG")


def _check_deposit(state, url: str, opening: bool) -> None:
    if opening and state.exists:
        raise UsageError(f"you have a channel with {url} already ({_fmt(state.balance_wei)} OPG): add to it with "
                         f"`ogcli pay channel topup --amount OPG --node {url}`")
    if not opening and not state.exists:
        raise UsageError(f"you have no channel with {url} yet: open one first "
                         f"(`ogcli pay channel open --amount OPG --node {url}`)")


def _deposit_plan(terms, channel_id: bytes, state, held: int, wei: int, opening: bool, call):
    from ogcli.chain.tx import BalanceChange, Plan
    from ogcli.core.units import format_duration

    warnings = []
    if opening and terms.min_deposit_wei and wei < terms.min_deposit_wei:
        warnings.append(f"the node suggests a first deposit of at least {_fmt(terms.min_deposit_wei)} OPG: its "
                        "paying clients top up the channel (a deposit transaction) when a call needs more")
    if state.withdrawal_pending:
        warnings.append("a withdrawal is pending on this channel: the node serves no call on it until it is finalized")
    verb = "open a channel with" if opening else "top up the channel with"
    return Plan(
        action=f"{verb} {terms.node_url}: deposit {_fmt(wei)} OPG",
        call=call,
        rows=(("node", terms.node_url), ("operator", terms.receiver_authorizer), ("channel", "0x" + channel_id.hex()),
              ("amount", f"{_fmt(wei)} OPG"), ("withdraw delay", format_duration(terms.withdraw_delay_s))),
        balance_changes=(BalanceChange("OPG (wallet)", held, held - wei),
                         BalanceChange("OPG (channel)", state.balance_wei, state.balance_wei + wei)),
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------- withdrawals


class _Withdrawal:
    """The channel a `withdraw` acts on, its state and the chain time it was read at."""

    def __init__(self, network, protocol, channel, state, now) -> None:
        self.network, self.protocol, self.channel, self.state, self.now = network, protocol, channel, state, now
        self.url = channel.node_url

    @classmethod
    def find(cls, node: str) -> "_Withdrawal":
        from ogcli.chain.channels import read_channels
        from ogcli.chain.network import open_protocol
        from ogcli.signing import signer_address

        network = context.resolve_network()
        protocol = open_protocol(network)
        me = signer_address(network)
        channel = _known(network, protocol, me, node) if node else _only_channel(network, protocol, me)
        now, [state] = read_channels(protocol.rpc, [_id_bytes(channel.channel_id)])
        if not state.exists:
            raise UsageError(f"you have no channel with {channel.node_url}: nothing to withdraw")
        return cls(network, protocol, channel, state, now)

    def initiate(self, wei: int | None, password_file) -> None:
        from ogcli.chain.channels import initiate_withdraw_call
        from ogcli.chain.tx import Plan
        from ogcli.core.units import format_duration, format_utc

        available, delay = self.state.available_wei, self.channel.config.withdraw_delay_s
        if available == 0:
            raise UsageError(f"nothing to withdraw: the node at {self.url} has claimed the channel's whole balance")
        wei = available if wei is None else wei
        if wei > available:
            raise UsageError(f"{_fmt(wei)} OPG is more than the {_fmt(available)} OPG available in the channel "
                             f"(balance {_fmt(self.state.balance_wei)}, claimed {_fmt(self.state.claimed_wei)})")
        plan = Plan(
            action=f"start withdrawing {_fmt(wei)} OPG from the channel with {self.url}",
            call=initiate_withdraw_call(self.protocol, self.channel.config, wei),
            rows=(*self._rows(), ("amount", f"{_fmt(wei)} OPG"),
                  ("finalize after", f"{format_utc(self.now + delay)} ({format_duration(delay)} from now)")),
            warnings=("the node still claims what it charged before the delay is over; you get back what is then "
                      "unclaimed, and it serves no more calls on this channel",),
        )
        outcome = self._send(plan, password_file)
        finalize_after = (self._block_time(outcome) + delay) if outcome.sent else self.now + delay
        _report(outcome, {"withdrawal": {"state": "initiated", "amount_wei": str(wei), "finalize_after": finalize_after}},
                f"withdrawal started: finalize it after {format_utc(finalize_after)} with "
                f"`ogcli pay channel withdraw --node {self.url}`")

    def finalize(self, wei: int | None, password_file) -> None:
        from ogcli.chain.channels import finalize_withdraw_call, withdrawn_wei
        from ogcli.chain.tx import BalanceChange, Plan
        from ogcli.core.units import format_duration, format_utc

        due = self.state.withdrawal_started + self.channel.config.withdraw_delay_s
        requested = self.state.withdrawal_wei
        if wei is not None:
            raise UsageError(f"a withdrawal of {_fmt(requested)} OPG is pending already; run withdraw without "
                             "--amount to finalize it")
        if self.now < due:
            raise UsageError(f"the withdrawal of {_fmt(requested)} OPG can be finalized after {format_utc(due)} "
                             f"(in {format_duration(due - self.now)}); nothing was sent")
        returned = min(requested, self.state.available_wei)
        held = self.protocol.token.functions.balanceOf(self.channel.config.payer).call()
        plan = Plan(
            action=f"finalize the withdrawal of {_fmt(requested)} OPG from the channel with {self.url}",
            call=finalize_withdraw_call(self.protocol, self.channel.config),
            rows=(*self._rows(), ("requested", f"{_fmt(requested)} OPG"), ("returns", f"{_fmt(returned)} OPG")),
            balance_changes=(BalanceChange("OPG (wallet)", held, held + returned),
                             BalanceChange("OPG (channel)", self.state.balance_wei, self.state.balance_wei - returned)),
        )
        outcome = self._send(plan, password_file)
        if outcome.sent:
            returned = withdrawn_wei(self.protocol, outcome.tx_hash)
        _report(outcome, {"withdrawal": {"state": "finalized" if outcome.sent else "due", "returned_wei": str(returned)}},
                f"{_fmt(returned)} OPG came back to {self.channel.config.payer}")

    def _rows(self) -> tuple:
        return (("node", self.url), ("operator", self.channel.config.receiver_authorizer),
                ("channel", self.channel.channel_id))

    def _send(self, plan, password_file):
        from ogcli.signing import unlock_signer

        return _execute(plan, self.protocol, self.network, unlock_signer(self.network, password_file))

    def _block_time(self, outcome) -> int:
        return self.protocol.w3.eth.get_block(outcome.block_number)["timestamp"]


def _only_channel(network, protocol, me: str):
    """withdraw without --node: the account's one channel on this network, else the node `ogcli
    infer` would pick."""
    channels = _index().channels_of(network.chain_id, me)
    if len(channels) == 1:
        return channels[0]
    if len(channels) > 1:
        urls = ", ".join(sorted({c.node_url for c in channels}))
        raise UsageError(f"you have {len(channels)} channels ({urls}): say which with --node URL")
    return _known(network, protocol, me, "")


# ---------------------------------------------------------------------- refunds


def _refund(wei: int | None, node: str, password_file) -> None:
    """A cooperative refund through the node's REFUND_PATH, signed by the SDK's client (a
    zero-charge voucher at what the channel has been charged): previewed and confirmed first; the
    chain says what came back."""
    from ogcli import diagnostics
    from ogcli.chain.channels import read_channels
    from ogcli.chain.network import open_protocol
    from ogcli.confirm import confirm
    from ogcli.errors import OgcliError
    from ogcli.core.channel_terms import REFUND_PATH
    from ogcli.sdk.channel_pay import channel_scheme, channel_storage
    from ogcli.signing import signer_address, unlock_signer

    network = context.resolve_network()
    protocol = open_protocol(network)
    me = signer_address(network)
    channel = _known(network, protocol, me, node) if node else _only_channel(network, protocol, me)
    channel_id = _id_bytes(channel.channel_id)
    _now, [state] = read_channels(protocol.rpc, [channel_id])
    charged = _index().charged_wei(network.chain_id, channel.channel_id)
    kept = max(charged or 0, state.claimed_wei)  # the node keeps at least this: charged, or claimed already
    refundable = state.balance_wei - kept
    if not state.exists or refundable <= 0:
        raise UsageError(f"your channel with {channel.node_url} holds nothing beyond what the node charged: "
                         "nothing to refund")
    if wei is not None and wei > refundable:
        raise UsageError(f"{_fmt(wei)} OPG is more than the {_fmt(refundable)} OPG refundable from the channel "
                         f"(balance {_fmt(state.balance_wei)}, charged {_fmt(kept)})")
    asked = refundable if wei is None else wei
    rows = [("node", channel.node_url), ("channel", channel.channel_id), ("balance", f"{_fmt(state.balance_wei)} OPG"),
            ("charged", f"{_fmt(kept)} OPG" + ("" if charged is not None else " (claimed on chain; the node may have "
                                                                            "charged more)")),
            ("refund", f"{'up to ' if wei is None else ''}{_fmt(asked)} OPG, sent by the node")]
    if context.OPTIONS.dry_run:
        output.emit({"sent": False, "channel": channel.channel_id, "refund_wei": str(asked)},
                    lambda: (output.kv_table(rows, title="cooperative refund"), print("dry run: nothing was sent")))
        return
    if not context.OPTIONS.json:
        output.kv_table(rows, title="cooperative refund")
    confirm(f"ask {channel.node_url} to refund {'up to ' if wei is None else ''}{_fmt(asked)} OPG from your channel?",
            yes=context.OPTIONS.yes)
    from ogcli import channel_index
    from ogcli.chain.channels import channels_contract
    from ogcli.sdk.channel_pay import refund_fetch
    from x402.mechanisms.evm.batch_settlement.client.refund import RefundOptions

    account = unlock_signer(network, password_file)
    storage = channel_storage(channel_index.client_state_dir(network.chain_id))
    before = storage.get(channel.channel_id)
    scheme = channel_scheme(account, protocol.rpc.url, storage)
    nonce = channels_contract(protocol).functions.refundNonce(channel_id).call()
    fetch = refund_fetch(account, chain_id=network.chain_id, channel_id=channel_id, refund_nonce=nonce,
                         amount_wei=wei or 0)
    try:
        with diagnostics.spinner("waiting for the node's refund"):
            settled = scheme.refund(channel.node_url + REFUND_PATH,
                                    RefundOptions(amount=None if wei is None else str(wei), fetch=fetch))
    except (RuntimeError, ValueError) as exc:
        raise OgcliError(f"the node did not refund: {exc}; nothing was sent by you (`ogcli pay channel withdraw` "
                         "works without the node)") from None
    _after, [now_state] = read_channels(protocol.rpc, [channel_id])
    returned = state.balance_wei - now_state.balance_wei
    if returned <= 0:  # the node's word is not a refund: the chain's balance is
        if before is None:
            storage.delete(channel.channel_id)
        else:
            storage.set(channel.channel_id, before)  # the SDK client dropped its state on the node's "success"
        raise OgcliError(f"the node at {channel.node_url} answered that it refunded (transaction "
                         f"{settled.transaction or 'none'}), but the channel's balance on chain did not move: nothing "
                         "came back (`ogcli pay channel withdraw` works without the node)")
    result = {"sent": True, "transaction_hash": settled.transaction, "channel": channel.channel_id,
              "refunded_wei": str(returned), "balance_wei": str(now_state.balance_wei)}
    output.emit(result, lambda: print(f"{_fmt(returned)} OPG came back to {me} in {settled.transaction}; "
                                      f"the channel holds {_fmt(now_state.balance_wei)} OPG"))


# ---------------------------------------------------------------------- shared


def _index():
    from ogcli import channel_index

    return channel_index


def _terms(network, protocol, node: str):
    """The channel terms of the node at `node` (default: the one `ogcli infer` picks), checked."""
    from ogcli.chain.channels import node_terms

    from ogcli.sdk.discovery import pick_node

    node = pick_node(protocol, network, node).url
    return node_terms(node, chain_id=network.chain_id, settlement=protocol.settlement.address,
                      token=protocol.token.address)


def _config(network, me: str, terms):
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.core.channel_terms import client_channel

    return client_channel(me, terms, network.chain_id, BATCH_SETTLEMENT_ADDRESS)


def _known(network, protocol, me: str, node: str):
    """The account's channel with `node` as the index knows it (no need to reach the node), else
    as the node's terms make it."""
    index = _index()
    known = index.channel_with(network.chain_id, me, node) if node else None
    if known is not None:
        return known
    terms = _terms(network, protocol, node)
    config, channel_id = _config(network, me, terms)
    return index.IndexedChannel("0x" + channel_id.hex(), terms.node_url, config, 0)


def _execute(plan, protocol, network, account):
    from ogcli.writes import execute

    return execute(plan, w3=protocol.w3, network=network, account=account, options=context.OPTIONS)


def _report(outcome, extra: dict, done: str) -> None:
    """The write's receipt (or dry run) with what it did to the channel, as one JSON document."""
    from ogcli.receipt import report

    if context.OPTIONS.json:
        output.emit({**outcome.to_json(), **extra}, lambda: None)
        return
    report(outcome)
    if outcome.sent:
        print(done)


def _status_row(chain_id: int, channel, state, now: int) -> dict:
    pending = None
    if state.withdrawal_pending:
        due = state.withdrawal_started + channel.config.withdraw_delay_s
        pending = {"amount_wei": str(state.withdrawal_wei), "initiated_at": state.withdrawal_started,
                   "finalize_after": due, "due": now >= due}
    charged = _index().charged_wei(chain_id, channel.channel_id)
    return {"channel_id": channel.channel_id, "node": channel.node_url, "operator": channel.config.receiver_authorizer,
            "payer": channel.config.payer, "token": channel.config.token,
            "withdraw_delay_s": channel.config.withdraw_delay_s, "balance_wei": str(state.balance_wei),
            "claimed_wei": str(state.claimed_wei), "available_wei": str(state.available_wei),
            "pending_withdrawal": pending, "charged_wei": None if charged is None else str(charged)}


def _render_status(rows: list[dict], now: int, node: str) -> None:
    from ogcli.core.units import format_duration, format_utc

    if not rows:
        where = f" with {node}" if node else ""
        print(f"no channels{where} on this network: open one with `ogcli pay channel open --amount OPG`")
        return
    for row in rows:
        pending = row["pending_withdrawal"]
        if pending is None:
            withdrawal = "none"
        else:
            when = "now" if pending["due"] else f"in {format_duration(pending['finalize_after'] - now)}"
            withdrawal = f"{_fmt(int(pending['amount_wei']))} OPG, finalize after {format_utc(pending['finalize_after'])} ({when})"
        charged = "unknown (no payment of ogcli's own client on record)" if row["charged_wei"] is None \
            else f"{_fmt(int(row['charged_wei']))} OPG"
        output.kv_table([
            ("node", row["node"]), ("operator", row["operator"]),
            ("balance", f"{_fmt(int(row['balance_wei']))} OPG"), ("claimed on chain", f"{_fmt(int(row['claimed_wei']))} OPG"),
            ("available", f"{_fmt(int(row['available_wei']))} OPG"), ("charged by the node", charged),
            ("pending withdrawal", withdrawal),
        ], title=f"channel {row['channel_id']}")


def _id_bytes(channel_id: str) -> bytes:
    return bytes.fromhex(channel_id.removeprefix("0x"))


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)

