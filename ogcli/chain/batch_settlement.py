"""Where the x402 batch-settlement scheme's contracts live.

The official SDK hard-codes the scheme's CREATE2 addresses; on Base and Base Sepolia the official
contracts are there, and the devnet places our spec-compatible build (contracts/x402/) at the
same addresses, so one code path (ours and the SDK's) serves both. Written out here rather than
imported from the SDK, whose import costs a second; tests/unit/test_batch_settlement_addresses.py
holds the two to the SDK's constants and to the collector's own.
"""

from __future__ import annotations

BATCH_SETTLEMENT_ADDRESS = "0x4020074e9dF2ce1deE5A9C1b5c3f541D02a10003"
ERC3009_DEPOSIT_COLLECTOR_ADDRESS = "0x4020806089470a89826cB9fB1f4059150b550004"
