"""The node's enclave signs results exactly as EIP-712 typed data says (RFC 6979: the same
signature eth_account's typed-data signer gives), and the verifier recovers it."""

from __future__ import annotations

import os

from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from ogcli.core import typed_data
from ogcli.core.result_signature import domain_separator, recover, result_digest
from ogcli.node.enclave import Enclave

SETTLEMENT = "0x" + "5e" * 20


@settings(max_examples=25)
@given(model_id=st.integers(0, 2**32 - 1), timestamp=st.integers(0, 2**40 - 1), mode=st.sampled_from([1, 2, 4]),
       chain_id=st.sampled_from([1, 31337, 84532]))
def test_a_result_is_signed_as_its_typed_data(model_id, timestamp, mode, chain_id):
    key = Account.create()
    enclave = Enclave(key=key, vendor=0, measurement=bytes(48), chain_id=chain_id, settlement=SETTLEMENT)
    input_hash, output_hash, request_id = os.urandom(32), os.urandom(32), os.urandom(32)
    signature = enclave.sign_result(model_id, input_hash, output_hash, request_id, timestamp, mode)
    expected = Account.sign_typed_data(
        key.key, typed_data.settlement_domain(chain_id, SETTLEMENT), typed_data.INFERENCE_RESULT_TYPES,
        typed_data.inference_result(model_id, input_hash, output_hash, request_id, timestamp, mode)).signature
    assert signature == bytes(expected)
    record = {"modelId": model_id, "inputHash": input_hash, "outputHash": output_hash, "requestId": request_id,
              "timestamp": timestamp, "mode": mode}
    assert recover(result_digest(domain_separator(chain_id, SETTLEMENT), record), signature) == key.address
