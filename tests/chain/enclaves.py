"""Registering DEV enclaves in tests the way a node does: a real Nitro-shaped document, its
certificates checked on chain, the document verified by TEERegistry."""

from __future__ import annotations

from eth_account import Account

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.node.enclave import Enclave
from ogcli.protocol.params import VENDOR_ID, dev_measurement


def dev_enclave(chain, key, image: str = "v0.1") -> Enclave:
    """The DEV enclave of `key` (a devnet account, a LocalAccount or raw key bytes) on `chain`."""
    account = getattr(key, "local_account", None) or (key if hasattr(key, "key") else Account.from_key(key))
    return Enclave(account, VENDOR_ID["DEV"], dev_measurement(image), chain.w3.eth.chain_id,
                   chain.protocol.settlement.address, image=image)


def operator_sender(chain, operator_name: str = "node-operator") -> Sender:
    operator = accounts.get(operator_name)
    chain.rpc("anvil_setBalance", [operator.address, hex(10**21)])
    return Sender(chain.w3, operator.local_account)


def register_dev_enclave(chain, key, *, image: str = "v0.1", operator_name: str = "node-operator",
                         endpoint: str = "", sender: Sender | None = None) -> Enclave:
    """Registers `key`'s DEV enclave for the operator with a document issued now; the Enclave."""
    enclave = dev_enclave(chain, key, image)
    enclave.register(chain.protocol, sender or operator_sender(chain, operator_name), endpoint, at_time=chain.now())
    return enclave
