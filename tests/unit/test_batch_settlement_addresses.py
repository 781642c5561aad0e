"""The batch-settlement addresses ogcli places and reads are the SDK's, and the collector's own
constant names the same settlement."""

from __future__ import annotations

import re
from pathlib import Path

from eth_utils import to_checksum_address
from x402.mechanisms.evm.batch_settlement import constants as sdk

from ogcli.chain import batch_settlement

ROOT = Path(__file__).resolve().parents[2]


def test_the_addresses_are_the_sdks():
    assert batch_settlement.BATCH_SETTLEMENT_ADDRESS == sdk.BATCH_SETTLEMENT_ADDRESS
    assert batch_settlement.ERC3009_DEPOSIT_COLLECTOR_ADDRESS == sdk.ERC3009_DEPOSIT_COLLECTOR_ADDRESS


def test_the_collector_hands_deposits_to_that_settlement():
    source = (ROOT / "contracts/x402/ERC3009DepositCollector.sol").read_text()
    constant = re.search(r"BATCH_SETTLEMENT = (0x[0-9a-fA-F]{40});", source)
    assert constant and to_checksum_address(constant[1]) == sdk.BATCH_SETTLEMENT_ADDRESS


def test_the_withdraw_delay_bounds_are_the_sdks():
    source = (ROOT / "contracts/x402/BatchSettlement.sol").read_text()
    assert "MIN_WITHDRAW_DELAY = 15 minutes" in source and sdk.MIN_WITHDRAW_DELAY == 15 * 60
    assert "MAX_WITHDRAW_DELAY = 30 days" in source and sdk.MAX_WITHDRAW_DELAY == 30 * 86_400
