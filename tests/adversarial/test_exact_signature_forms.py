"""The `exact` path under attack (issue 16; found by the attacker review): a signature the node's verification accepts and the token does not.

The node verifies a payment with the x402 SDK: its EOA check and its simulated
`transferWithAuthorization` both accept a recovery byte `v` of 0 or 1 as well as 27 or 28 (the
simulation adds 27 before calling the token's (v, r, s) overload). The node keeps the signature
bytes as the payer sent them, and the settlement hands those to OPGToken's packed-bytes
`transferWithAuthorization`, which passes `v` through to OpenZeppelin's ECDSA: `ecrecover` with
v = 0 finds no signer and the call reverts `ECDSAInvalidSignature`. The settler counts that as
final and marks the call failed. A payer who flips the last byte of every signature is served
every call and never charged, with no race and no cost; its nonce is never used on chain, so its
balance never drops and it passes the node's balance rule forever.

A high `s` (the other malleable form) is refused: the simulation passes it through unchanged and
the token refuses it then, before the model runs.

The tests assert the honest outcome (a call served is a call paid) and fail while the attack works.
"""

from __future__ import annotations

import pytest

from tests.adversarial.exact_attack_support import (
    balance,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    operator,
    pay,
    served_and_settled,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _reshaped(header: str, reshape) -> str:
    from x402.http import decode_payment_signature_header, encode_payment_signature_header

    payload = decode_payment_signature_header(header)
    signature = bytes.fromhex(payload.payload["signature"].removeprefix("0x"))
    payload.payload["signature"] = "0x" + reshape(signature).hex()
    return encode_payment_signature_header(payload)


def _low_v(signature: bytes) -> bytes:
    return signature[:64] + bytes([signature[64] - 27])


def _high_s(signature: bytes) -> bytes:
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28


@pytest.mark.parametrize("form", ["v as 0/1", "high s"])
def test_a_served_call_is_paid_whatever_form_its_signature_takes(node, form):
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, value)
    operator_before = balance(chain, operator(running))
    served = 0
    for _ in range(3):  # the same balance, three calls
        header = _reshaped(pay(payer, requirement), _low_v if form == "v as 0/1" else _high_s)
        answer = served_and_settled(running, url, header)
        assert answer.status_code in (200, 402), answer.text
        served += answer.status_code == 200
    print(form, "served:", served, "outbox:", running.outbox.counts(),
          {c.error[:80] for c in running.outbox.in_state("failed") if c.error})
    charged = (value - balance(chain, payer.address)) // value
    assert served <= charged, f"{served} calls served, {charged} charged"
    assert served == 0 or balance(chain, operator(running)) > operator_before
