"""Hostile request bodies against a real node process (issue 14): each must get a 4xx JSON error,
before any payment is asked for where it can be, and leave the node serving. A process of its own,
because one of these used to segfault the node (JSON nested 100,000 deep overflows the C stack:
py_ecc, imported with the payment code, raises the recursion limit to 100,000)."""

from __future__ import annotations

import time

import pytest

from ogcli.devnet import accounts
from ogcli.sdk.paid_http import NodeError, PaidClient
from tests.adversarial.node_process import connect, post, read_response

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

FEATURES = b'{"model": 2, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}'  # model 2 takes float32[1,4]
TEN_MB = 10 * 1024 * 1024


def _refused(node, path: str, body: bytes, status: int, code: str, within_s: float = 5.0) -> dict:
    """The node answers `status` with error `code`, within `within_s`, and still serves /health."""
    started = time.monotonic()
    answer = post(node, path, body)
    elapsed = time.monotonic() - started
    assert (answer.status_code, answer.headers.get("content-type")) == (status, "application/json"), \
        f"{answer.status_code} {answer.text[:300]}"
    error = answer.json()["error"]
    assert error["code"] == code and error["message"], error
    assert elapsed < within_s, f"took {elapsed:.1f}s"
    node.assert_alive()
    return error


def test_arrays_nested_100_000_deep_are_refused_and_the_node_survives(hostile_node):
    deep = b"[" * 100_000 + b"]" * 100_000  # 200 KB
    error = _refused(hostile_node, "/v1/infer", deep, 400, "invalid_json")
    assert "deep" in error["message"]


def test_objects_nested_100_000_deep_are_refused(hostile_node):
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000  # 600 KB
    _refused(hostile_node, "/v1/chat/completions", deep, 400, "invalid_json")


def test_mixed_nesting_inside_a_plausible_call_is_refused(hostile_node):
    mixed = b'{"model": 2, "inputs": {"features": ' + b'[{"x": ' * 50_000 + b"0" + b"}]" * 50_000 + b"}}"
    _refused(hostile_node, "/v1/infer", mixed, 400, "invalid_json")


def test_nesting_within_the_limit_is_still_a_call(hostile_node):
    """The depth limit refuses attacks, not calls: 60 levels of an ignored field pass."""
    body = FEATURES[:-1] + b', "extra": ' + b"[" * 60 + b"]" * 60 + b"}"
    answer = post(hostile_node, "/v1/infer", body)
    assert answer.status_code == 402, answer.text  # a valid call, asked to pay


def test_an_integer_of_100_000_digits_is_refused_at_once(hostile_node):
    huge = b'{"model": 2, "inputs": {"features": [[1' + b"0" * 100_000 + b', 0, 0, 0]]}}'
    _refused(hostile_node, "/v1/infer", huge, 400, "invalid_json", within_s=2.0)


def test_an_exponent_beyond_any_float_is_refused(hostile_node):
    """1e999999 parses to infinity in Python; JSON has no infinity, and a model fed one answers NaN."""
    _refused(hostile_node, "/v1/infer", b'{"model": 2, "inputs": {"features": [[1e999999, 0, 0, 0]]}}', 400, "invalid_json")


def test_nan_and_infinity_literals_are_not_json(hostile_node):
    _refused(hostile_node, "/v1/infer", b'{"model": 2, "inputs": {"features": [[NaN, Infinity, -Infinity, 0]]}}',
             400, "invalid_json")


def _paid_client(node, seeded, delegator: str, raw: bytes | None = None) -> PaidClient:
    class RawBodyClient(PaidClient):
        """PaidClient sending `raw` as the body of every request (the x402 flow unchanged)."""

        def _send(self, path, body, headers):
            return self._http.post(path, content=raw, headers={"content-type": "application/json", **headers})

    cls = PaidClient if raw is None else RawBodyClient
    return cls(node.url, accounts.get(delegator).local_account, chain_id=31337,
               token=seeded.protocol.token.address, settlement=seeded.protocol.settlement.address, tills=seeded.protocol.tills.address)


def test_a_value_float32_cannot_hold_is_refused_before_payment(hostile_node, seeded):
    """1e39 is a finite JSON number that becomes infinity as the model's float32: refused before
    the payment is asked for (it used to be paid for, run, and answered with a 500)."""
    client = _paid_client(hostile_node, seeded, "delegator-6")
    try:
        with pytest.raises(NodeError) as refused:
            client.post("/v1/infer", {"model": 2, "inputs": {"features": [[1e39, 0.0, 0.0, 0.0]]}})
    finally:
        client.close()
    assert (refused.value.status, refused.value.code) == (400, "invalid_input"), str(refused.value)
    hostile_node.assert_alive()


def test_a_lone_surrogate_is_refused_before_payment(hostile_node, seeded):
    """"\\ud800" is valid JSON escaping but no Unicode text: a message holding one cannot be hashed
    as UTF-8 (it used to be paid for and answered with a 500)."""
    body = b'{"model": "ogcli-tiny-chat", "messages": [{"role": "user", "content": "hi \\ud800"}]}'
    client = _paid_client(hostile_node, seeded, "delegator-7", raw=body)
    try:
        with pytest.raises(NodeError) as refused:
            client.post("/v1/chat/completions", {})
    finally:
        client.close()
    assert (refused.value.status, refused.value.code) == (400, "invalid_json"), str(refused.value)
    hostile_node.assert_alive()


def test_invalid_utf8_is_refused(hostile_node):
    _refused(hostile_node, "/v1/chat/completions",
             b'{"model": "ogcli-tiny-chat", "messages": [{"role": "user", "content": "\xff\xfe\xc0"}]}', 400, "invalid_json")


def test_a_hundred_thousand_keys_are_refused_quickly(hostile_node):
    keys = b",".join(b'"%d":0' % i for i in range(100_000))  # ~1 MB minus a little
    body = b'{"model": 2, "inputs": {' + keys + b"}}"
    assert len(body) < 1 << 20
    _refused(hostile_node, "/v1/infer", body, 400, "invalid_input", within_s=3.0)


def test_a_declared_10_mb_body_is_refused_before_it_is_sent(hostile_node):
    """413 on the head alone: the node reads none of a body it would refuse."""
    sock = connect(hostile_node)
    try:
        sock.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % TEN_MB)
        status, raw = read_response(sock, timeout_s=3.0)
    finally:
        sock.close()
    assert status == 413 and b'"request_too_large"' in raw, raw[:300]
    hostile_node.assert_alive()


def test_a_chunked_body_is_cut_off_at_the_limit(hostile_node):
    """No Content-Length to check: the node counts while it reads and answers 413 once the body
    passes 1 MiB, without waiting for the body's end (which never comes here)."""
    sock = connect(hostile_node)
    try:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b" " * 65536
        for _ in range(16):  # exactly 1 MiB, then one byte more: nothing left unread when it answers
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        sock.sendall(b"1\r\n \r\n")
        status, raw = read_response(sock, timeout_s=3.0)
    finally:
        sock.close()
    assert status == 413 and b'"request_too_large"' in raw, raw[:300]
    hostile_node.assert_alive()


def test_a_content_length_shorter_than_the_body_reads_only_what_it_declares(hostile_node):
    """Content-Length 9 over a longer body: the node reads `{"model":` (not JSON, 400); the
    rest is no HTTP request (400, closed). Nothing is smuggled into a second request."""
    sock = connect(hostile_node)
    try:
        sock.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n"
                     + FEATURES)
        status, raw = read_response(sock, timeout_s=3.0)
    finally:
        sock.close()
    assert status == 400 and b'"invalid_json"' in raw, raw[:300]
    hostile_node.assert_alive()


def test_a_body_framed_two_ways_is_refused(hostile_node):
    """Content-Length and Transfer-Encoding together: a proxy in front could read the body one way
    and the node the other, smuggling a second request past the proxy."""
    sock = connect(hostile_node)
    try:
        sock.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: 4\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        status, raw = read_response(sock, timeout_s=3.0)
    finally:
        sock.close()
    assert status == 400 and b'"ambiguous_length"' in raw, raw[:300]
    hostile_node.assert_alive()
