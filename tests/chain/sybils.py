"""Sybil unbonding entries at one validator, made fast: the adversarial state in which `slash`
must still fit a transaction (tests/adversarial, benchmarks/gas.py)."""

from __future__ import annotations

from ogcli.devnet import accounts


def sybil_unbondings(w3, protocol, target: str, count: int) -> None:
    """`count` one-wei unbonding entries at `validator`, from fresh accounts (seven each, the
    per-delegator cap), sent as pre-signed raw transactions in JSON-RPC batches."""
    from eth_account import Account
    from eth_utils import keccak

    staking, token = protocol.staking, protocol.token
    chain_id = w3.eth.chain_id
    per_account = 7
    sybils = [Account.from_key(keccak(text=f"sybil {i}")) for i in range(-(-count // per_account))]
    protocol.rpc.batch([("anvil_setBalance", [s.address, hex(10**18)]) for s in sybils])
    deployer = accounts.get("deployer").local_account
    fee = {"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1, "chainId": chain_id, "type": 2}

    def signed(account, nonce, contract, data, gas=150_000):
        tx = {"to": contract.address, "data": data, "gas": gas, "nonce": nonce, "value": 0, **fee}
        return "0x" + Account.sign_transaction(tx, account.key).raw_transaction.hex()

    start = w3.eth.get_transaction_count(deployer.address)
    funding = [signed(deployer, start + i, token, token.encode_abi("transfer", [s.address, per_account]))
               for i, s in enumerate(sybils)]
    for i in range(0, len(funding), 100):
        hashes = protocol.rpc.batch([("eth_sendRawTransaction", [raw]) for raw in funding[i:i + 100]])
        w3.eth.wait_for_transaction_receipt(hashes[-1], timeout=60)
    txs = []
    for s in sybils:
        txs.append(signed(s, 0, token, token.encode_abi("approve", [staking.address, per_account])))
        txs.append(signed(s, 1, staking, staking.encode_abi("delegate", [target, per_account]), gas=400_000))
        txs += [signed(s, 2 + k, staking, staking.encode_abi("undelegate", [target, 1]), gas=400_000)
                for k in range(per_account)]
    for i in range(0, len(txs), 100):  # in steps Anvil mines at once, each waited for
        hashes = protocol.rpc.batch([("eth_sendRawTransaction", [raw]) for raw in txs[i:i + 100]])
        w3.eth.wait_for_transaction_receipt(hashes[-1], timeout=60)
    assert len(staking.functions.unbondingEntries(sybils[-1].address).call()) == per_account
