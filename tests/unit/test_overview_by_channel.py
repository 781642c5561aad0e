"""The dashboard overview's line on calls paid by channel: shown when the window holds batches,
with what settlement cost a call, and absent otherwise (or from totals that predate batches)."""

from tui.screens.overview import _by_channel


def test_the_line_shows_batches_and_their_gas_and_only_when_there_are_some():
    [line] = _by_channel({"batches": 2, "inferences_in_batches": 180, "batch_gas_per_call": 9881})
    assert "180" in line and "in 2 batches" in line and "9,881 gas a call" in line
    assert "in 1 batch," in _by_channel({"batches": 1, "inferences_in_batches": 3, "batch_gas_per_call": 1})[0]
    assert _by_channel({"batches": 0, "inferences_in_batches": 0, "batch_gas_per_call": None}) == []
    assert _by_channel({"inferences": 5}) == []
