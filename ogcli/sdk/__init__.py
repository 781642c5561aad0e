"""Python SDK: `LLM` calls nodes, pays with x402, and returns OpenAI-shaped results that carry
the settlement transaction hash."""

from ogcli.sdk.llm import LLM

__all__ = ["LLM"]
