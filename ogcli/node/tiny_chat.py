"""The devnet's chat model: a word-bigram model small enough to generate in code and to run
anywhere, deterministic so that a response (and its hash) can be reproduced by anyone.

It is not clever; it exists so that chat, payment, signing and settlement work offline end to end.
Real deployments point the node at an OpenAI-compatible upstream instead (`--upstream`).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

FORMAT = "ogcli-bigram"
MAX_WORDS = 48

CORPUS = """
the network answers fast and proves what it ran . every answer carries a receipt on chain .
validators check each result after the fact and attest on chain . a validator that attests a
false result is slashed with everyone who delegated to it . publishers set a price and earn for
every call . callers pay per call with a signed authorization . the node signs each result inside
its enclave . the enclave key is registered with its measurement . token holders vote on which
hardware the network trusts . a receipt names the model the input hash the output hash and the
signer . anyone can check the receipt against the chain . the price is paid once and the
payment can buy one answer only . stakers pick validators by quality and share their rewards .
hello and welcome to the verifiable network . ask about models validators payments or receipts .
models are content addressed so the bytes you pull are the bytes that ran .
"""


def build() -> bytes:
    """The model's bytes (canonical JSON of the bigram table)."""
    words = CORPUS.split()
    table: dict[str, Counter] = defaultdict(Counter)
    for current, following in zip(words, words[1:]):
        table[current][following] += 1
    ranked = {w: [n for n, _c in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))] for w, c in sorted(table.items())}
    return json.dumps({"format": FORMAT, "version": 1, "next": ranked}, sort_keys=True, separators=(",", ":")).encode()


class TinyChat:
    def __init__(self, data: bytes) -> None:
        model = json.loads(data)
        if model.get("format") != FORMAT:
            raise ValueError("not an ogcli-bigram model")
        self.next: dict[str, list[str]] = model["next"]

    def reply(self, messages: list[dict], max_words: int = MAX_WORDS) -> str:
        prompt = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user").lower()
        known = [w for w in re.findall(r"[a-z]+", prompt) if w in self.next]
        word = known[-1] if known else "hello"
        out, seen = [word], set()
        while len(out) < max_words:
            options = self.next.get(word, [])
            nxt = next((o for o in options if (word, o) not in seen), None)
            if nxt is None:
                break
            seen.add((word, nxt))
            out.append(nxt)
            word = nxt
            if nxt == "." and len(out) > 8:
                break
        text = " ".join(out).replace(" .", ".")
        return text[:1].upper() + text[1:]
