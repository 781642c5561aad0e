"""Chat models served by an OpenAI-compatible upstream (a hosted LLM API, vLLM, Ollama, ...).

A hub model of format `openai-upstream` is a small JSON descriptor, `{"upstream_model": NAME}`,
published like any model (its CID pins the descriptor). A node started with `--upstream URL`
forwards such calls to `URL/v1/chat/completions` and treats the answer like its own: hashed,
signed by its enclave, paid and settled. What the enclave attests is that this node received
this answer from its upstream for this input, not how the upstream computed it.
"""

from __future__ import annotations

import json
import os

FORMAT = "openai-upstream"
API_KEY_ENV = "OGCLI_UPSTREAM_API_KEY"
TIMEOUT_S = 120.0


def parse_descriptor(data: bytes) -> str:
    """The upstream model name in a descriptor; ValueError when it is not one."""
    try:
        descriptor = json.loads(data)
    except ValueError:
        raise ValueError("an openai-upstream model is a JSON object {\"upstream_model\": NAME}") from None
    name = descriptor.get("upstream_model") if isinstance(descriptor, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ValueError("an openai-upstream descriptor needs a non-empty \"upstream_model\"")
    return name.strip()


class UpstreamChat:
    """Has the same `reply(messages)` as the node's own chat models."""

    def __init__(self, base_url: str, upstream_model: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.upstream_model = upstream_model

    def reply(self, messages: list[dict]) -> str:
        import httpx

        headers = {}
        if os.environ.get(API_KEY_ENV):
            headers["Authorization"] = f"Bearer {os.environ[API_KEY_ENV]}"
        # temperature 0: the closest an upstream gets to reproducible answers
        body = {"model": self.upstream_model, "messages": messages, "temperature": 0, "stream": False}
        answer = httpx.post(f"{self.base_url}/v1/chat/completions", json=body, headers=headers, timeout=TIMEOUT_S)
        if answer.status_code != 200:
            raise UpstreamError(f"the upstream answered {answer.status_code}: {answer.text[:200]}")
        try:
            return str(answer.json()["choices"][0]["message"]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise UpstreamError("the upstream's answer is not an OpenAI chat completion") from None


class UpstreamError(Exception):
    pass
