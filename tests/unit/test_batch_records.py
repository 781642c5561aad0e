"""A batch record's 184 bytes (contracts/BatchRecords.sol's layout) round-trip exactly."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from ogcli.core.batch_records import RECORD_BYTES, BatchRecord


@given(st.binary(min_size=RECORD_BYTES, max_size=RECORD_BYTES))
def test_any_184_bytes_unpack_and_pack_back_to_themselves(data):
    record = BatchRecord.unpack(data)
    rebuilt = BatchRecord(**{name: getattr(record, name) for name in record.__dataclass_fields__})
    assert record.pack() == data
    assert rebuilt.pack() == data  # packed from its fields, not kept


@given(st.binary(min_size=RECORD_BYTES, max_size=RECORD_BYTES), st.integers(min_value=0, max_value=2**96 - 1))
def test_a_changed_record_packs_its_new_fields_not_the_bytes_it_came_from(data, fee_wei):
    changed = replace(BatchRecord.unpack(data), fee_wei=fee_wei)
    assert BatchRecord.unpack(changed.pack()).fee_wei == fee_wei
    assert changed.pack()[:107] == data[:107] and changed.pack()[119:] == data[119:]
