"""`LLM`: call models on the network from Python, paid with x402, with a transaction hash.

    from ogcli.sdk import LLM
    llm = LLM()                                   # the active profile and wallet
    answer = llm.chat(model="ogcli-tiny-chat", messages=[{"role": "user", "content": "hi"}])
    answer.chat_output["content"], answer.transaction_hash
    answer.choices[0].message.content             # the OpenAI client's shape

Results keep the OpenAI client's attribute names (`choices`, `message`, `usage`, `id`, `model`),
so code written against it moves over by changing the client line.

Payment (`payment=`): `auto` (the default) pays by voucher on the payer's channel with the node
when one is open on chain (`ogcli pay channel open`), else by `exact`; `channel` always pays by
channel, depositing into it (through the node) when it must; `exact` always signs one
authorization per call. A call paid by channel is committed with the node's next batch, seconds
later: its `transaction_hash` is None unless `wait_for_settlement=True` (then the batch's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Choice:
    index: int
    message: Message
    finish_reason: str


@dataclass(frozen=True)
class ChatCompletion:
    id: str
    model: str
    created: int
    choices: list[Choice]
    usage: dict
    chat_output: dict
    transaction_hash: str | None
    request_id: str
    price_wei: int
    receipt: dict = field(repr=False)
    object: str = "chat.completion"


@dataclass(frozen=True)
class InferenceResult:
    model: int
    outputs: dict[str, Any]
    transaction_hash: str | None
    request_id: str
    price_wei: int
    receipt: dict = field(repr=False)


class LLM:
    def __init__(self, *, profile: str | None = None, account: str | None = None, password: str | None = None,
                 private_key: str | None = None, node: str | None = None, max_price_wei: int | None = None,
                 wait_for_settlement: bool | None = None, payment: str = "auto") -> None:
        """`wait_for_settlement`: None waits for a call paid by `exact` and not for one paid by
        channel (its batch comes later); True waits for both, False for neither."""
        from ogcli import channel_index, context
        from ogcli.chain.network import open_protocol
        from ogcli.sdk.discovery import pick_node
        from ogcli.sdk.paid_http import PaidClient

        options = context.GlobalOptions(profile=profile, account=account)
        network = context.resolve_network(options)
        protocol = open_protocol(network)
        if private_key:
            from eth_account import Account

            signer = Account.from_key(private_key)
        else:
            from ogcli import wallet
            from ogcli.errors import UsageError

            name = network.account  # resolve_network applied `account=` over the profile's
            if not name:
                raise UsageError("no account to sign with: pass account=NAME or private_key=..., or run `ogcli wallet use NAME`")
            signer = wallet.unlock(name, password_text=password)
        self.address = signer.address
        self.wait_for_settlement = wait_for_settlement
        self._client = PaidClient(pick_node(protocol, network, node or "").url, signer, chain_id=network.chain_id,
                                  token=protocol.token.address, settlement=protocol.settlement.address,
                                  tills=protocol.tills.address,
                                  max_price_wei=max_price_wei, payment=payment, rpc_url=protocol.rpc.url,
                                  channel_state_dir=channel_index.client_state_dir(network.chain_id))

    def chat(self, *, model: str | int, messages: list[dict], mode: str = "tee", **_openai_kwargs) -> ChatCompletion:
        """A paid chat completion. OpenAI's sampling arguments are accepted and ignored: the
        node's models are deterministic, which is what makes their receipts checkable."""
        price = {}
        data = self._client.post("/v1/chat/completions", {"model": model, "messages": messages, "mode": mode},
                                 lambda offer: price.setdefault("wei", offer.amount_wei)).json()
        receipt = data["ogcli"]
        message = data["choices"][0]["message"]
        return ChatCompletion(
            id=data["id"], model=data["model"], created=data["created"],
            choices=[Choice(c["index"], Message(c["message"]["role"], c["message"]["content"]), c["finish_reason"])
                     for c in data["choices"]],
            usage=data.get("usage", {}), chat_output={"role": message["role"], "content": message["content"]},
            transaction_hash=self._settle(receipt), request_id=receipt["requestId"], price_wei=price.get("wei", 0),
            receipt=receipt,
        )

    def completion(self, *, model: str | int, prompt: str, mode: str = "tee", **_openai_kwargs) -> ChatCompletion:
        """A prompt without a conversation: one user message."""
        return self.chat(model=model, messages=[{"role": "user", "content": prompt}], mode=mode)

    def infer(self, *, model: str | int, inputs: dict, mode: str = "tee") -> InferenceResult:
        """A paid ONNX model run."""
        price = {}
        data = self._client.post("/v1/infer", {"model": model, "inputs": inputs, "mode": mode},
                                 lambda offer: price.setdefault("wei", offer.amount_wei)).json()
        receipt = data["receipt"]
        return InferenceResult(model=data["model"], outputs=data["outputs"], transaction_hash=self._settle(receipt),
                               request_id=receipt["requestId"], price_wei=price.get("wei", 0), receipt=receipt)

    def close(self) -> None:
        self._client.close()

    def _settle(self, receipt: dict) -> str | None:
        by_channel = receipt.get("settlement", {}).get("scheme", "exact") != "exact"
        wait = self.wait_for_settlement if self.wait_for_settlement is not None else not by_channel
        if not wait:
            return None
        answered = receipt.get("settlement", {})
        if answered.get("state") == "settled":  # a node answers an exact call once its settlement is mined
            return answered.get("tx_hash")
        return self._client.wait_settled(receipt["requestId"])["tx_hash"]
