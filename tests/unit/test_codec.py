"""chain.codec against eth_abi (the reference codec web3 uses): same bytes when encoding, same
values when decoding, on generated types and values; and strictness on malformed data."""

from __future__ import annotations

import eth_abi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogcli.chain import codec

# ---------------------------------------------------------------------- generated types and values


ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())  # eth_abi decodes to lowercase


def _values_for(kind):
    """A strategy for values of `kind` (a canonical type string)."""
    codec.parse(kind)  # every generated type must be one the codec takes
    return _strategy(kind)


def _strategy(kind):
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        size = kind[kind.rindex("[") + 1 : -1]
        items = _strategy(inner)
        if size:
            return st.lists(items, min_size=int(size), max_size=int(size)).map(tuple)
        return st.lists(items, max_size=3).map(tuple)
    if kind.startswith("("):
        return st.tuples(*[_strategy(k) for k in _split(kind[1:-1])])
    fixed = {"address": ADDRESS, "bool": st.booleans(), "bytes": st.binary(max_size=70), "string": st.text(max_size=30)}
    if kind in fixed:
        return fixed[kind]
    if kind.startswith("uint"):
        return st.integers(0, 2 ** int(kind[4:]) - 1)
    if kind.startswith("int"):
        return st.integers(-(2 ** (int(kind[3:]) - 1)), 2 ** (int(kind[3:]) - 1) - 1)
    return st.binary(min_size=int(kind[5:]), max_size=int(kind[5:]))


def _split(inner):
    parts, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    return parts + [current] if current else parts


BASE_TYPES = st.sampled_from(["uint8", "uint256", "int24", "int256", "bytes1", "bytes20", "bytes32",
                              "address", "bool", "bytes", "string"])
TYPES = st.recursive(
    BASE_TYPES,
    lambda inner: st.one_of(
        inner.map(lambda k: f"{k}[]"),
        st.tuples(inner, st.integers(1, 3)).map(lambda p: f"{p[0]}[{p[1]}]"),
        st.lists(inner, min_size=1, max_size=4).map(lambda ks: "(" + ",".join(ks) + ")"),
    ),
    max_leaves=6,
)
SIGNATURES = st.lists(TYPES, min_size=1, max_size=4)


@st.composite
def typed_values(draw):
    types = draw(SIGNATURES)
    values = tuple(draw(_values_for(t)) for t in types)
    return types, values


@settings(max_examples=150, deadline=None)
@given(typed_values())
def test_encoding_matches_eth_abi(pair):
    types, values = pair
    assert codec.encode(types, values) == eth_abi.encode(types, values)


@settings(max_examples=150, deadline=None)
@given(typed_values())
def test_decoding_matches_eth_abi(pair):
    types, values = pair
    data = eth_abi.encode(types, values)
    ours = codec.decode(types, data)
    assert ours == eth_abi.decode(types, data)
    assert ours == values  # and round-trips


@settings(max_examples=100, deadline=None)
@given(typed_values(), st.data())
def test_truncated_data_is_refused(pair, data):
    types, values = pair
    encoded = eth_abi.encode(types, values)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    try:
        decoded = codec.decode(types, encoded[:cut])
    except codec.CodecError:
        return
    # Only a cut that drops nothing the values need may decode, and then to the same values
    # (e.g. the zero padding at the end of a last string).
    assert decoded == values


def test_malformed_words_are_refused():
    with pytest.raises(codec.CodecError, match="non-zero padding"):
        codec.decode(["address"], b"\x01" + bytes(31))
    with pytest.raises(codec.CodecError, match="bool"):
        codec.decode(["bool"], (2).to_bytes(32, "big"))
    with pytest.raises(codec.CodecError, match="overflows uint8"):
        codec.decode(["uint8"], (256).to_bytes(32, "big"))
    with pytest.raises(codec.CodecError, match="past the end"):
        codec.decode(["bytes"], (64).to_bytes(32, "big"))  # offset beyond the data


def test_values_that_do_not_fit_are_refused():
    for types, values in ((["uint8"], [256]), (["int8"], [-129]), (["uint256"], [-1]), (["bool"], [1]),
                          (["address"], ["0x1234"]), (["bytes2"], [b"abc"]), (["string"], [b"x"]),
                          (["uint256[2]"], [[1]]), (["(uint8,bool)"], [(1,)])):
        with pytest.raises(codec.CodecError):
            codec.encode(types, values)


def test_unsupported_types_are_named():
    with pytest.raises(codec.CodecError, match="fixed128x18"):
        codec.parse("fixed128x18")


# ---------------------------------------------------------------------- calldata, read as a contract reads it


def test_calldata_is_read_as_solidity_reads_it_and_return_data_strictly():
    """A contract never looks at the padding of a bytes value in its calldata, nor requires it:
    calldata with dirty or missing padding decodes (the call was taken), return data does not."""
    clean = codec.encode(["uint256", "bytes"], [7, b"\x01\x02\x03"])
    dirty = clean[:-29] + b"\xff" * 29
    short = clean[:-29]
    for data in (dirty, short):
        assert codec.decode(["uint256", "bytes"], data, calldata=True) == (7, b"\x01\x02\x03")
        with pytest.raises(codec.CodecError):
            codec.decode(["uint256", "bytes"], data)
    with pytest.raises(codec.CodecError):  # a length past the end is refused either way
        codec.decode(["uint256", "bytes"], clean[:-30], calldata=True)
    assert codec.decode(["uint256", "bytes"], clean) == (7, b"\x01\x02\x03")  # the strict default is back


def test_named_outputs_read_structs_and_several_outputs_by_their_abi_names():
    """`decode_output(..., named=True)`: a struct by its fields, several outputs by their names."""
    from ogcli.chain import abi
    from ogcli.chain.abi import ContractRef
    from ogcli.protocol import artifacts

    registry = ContractRef("0x" + "11" * 20, artifacts.abi("TEERegistry"))
    fn = abi.function_abi(registry, "getEnclave", 1)
    view = (("0x" + "22" * 20), "0x" + "33" * 20, 1, b"\x44" * 32, b"\x55" * 32, 7, 0, "http://node", True, 9)
    data = codec.encode(tuple(abi.abi_type(p) for p in fn.outputs), [view])
    named = abi.decode_output(registry, "getEnclave", 1, data, named=True)
    assert named["endpoint"] == "http://node" and named["attestationHash"] == b"\x55" * 32 and named["active"] is True
    assert abi.decode_output(registry, "getEnclave", 1, data)[7] == "http://node"  # positional, as web3 gives it
    inspector = ContractRef("0x" + "66" * 20, artifacts.abi("BatchRecords"))
    fn = abi.function_abi(inspector, "inspect", 3)
    data = codec.encode(tuple(abi.abi_type(p) for p in fn.outputs), ["0x" + "77" * 20, True, 2, 5, 10])
    assert abi.decode_output(inspector, "inspect", 3, data, named=True) == {
        "signer": abi.checksum("0x" + "77" * 20), "recovered": True, "mode": 2, "time": 5, "fee": 10}
