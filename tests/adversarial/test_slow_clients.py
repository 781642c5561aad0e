"""Slow clients against a real node process (issue 14): connections that dribble their request
head, send nothing, or stop short of their body are closed within the node's timeouts, the
connection cap turns the excess away at once, and a normal request is answered meanwhile. The
node runs with short limits (serve()'s parameters) so that the timeouts can be watched."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.adversarial.node_process import closed_by_server, connect, read_response, running

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

HEADER_TIMEOUT_S = 1.5
BODY_TIMEOUT_S = 1.0
SLOW_CLIENTS = 200


@pytest.fixture(scope="module")
def strict_node(seeded_home):
    env, root = seeded_home("strict")
    limits = {"header_timeout_s": HEADER_TIMEOUT_S, "body_timeout_s": BODY_TIMEOUT_S, "max_connections": 1000}
    with running(env, limits=limits, log=root / "strict-node.log") as node:
        yield node


def _health_time(node) -> float:
    started = time.monotonic()
    answer = httpx.get(f"{node.url}/health", timeout=2)
    assert answer.status_code == 200, answer.text
    return time.monotonic() - started


def test_dribbled_and_silent_request_heads_are_closed_while_health_answers(strict_node):
    """200 connections: half send a request head a byte every 0.2 s (each byte resets any idle
    timer), half send nothing. All must be closed within the header timeout (plus slack), and
    /health must answer promptly while they are open."""
    head = b"GET /health HTTP/1.1\r\nHost: node\r\nX-Slow: " + b"a" * 100
    clients = [connect(strict_node) for _ in range(SLOW_CLIENTS)]
    opened = time.monotonic()
    closed_at: dict[int, float] = {}
    sent = 0
    health_during_attack = None
    try:
        while len(closed_at) < len(clients) and time.monotonic() - opened < HEADER_TIMEOUT_S + 2.5:
            for index, sock in enumerate(clients):
                if index in closed_at:
                    continue
                if closed_by_server(sock):
                    closed_at[index] = time.monotonic() - opened
                elif index % 2 == 0 and sent < len(head):
                    try:
                        sock.send(head[sent:sent + 1])
                    except OSError:
                        closed_at[index] = time.monotonic() - opened
            sent += 1
            if health_during_attack is None and time.monotonic() - opened > 0.5:
                health_during_attack = _health_time(strict_node)
            time.sleep(0.2)
    finally:
        for sock in clients:
            sock.close()
    assert health_during_attack is not None and health_during_attack < 1.0, f"/health took {health_during_attack}s"
    still_open = len(clients) - len(closed_at)
    assert still_open == 0, f"{still_open} of {len(clients)} slow connections were still open after " \
                            f"{HEADER_TIMEOUT_S + 2.5}s (header timeout {HEADER_TIMEOUT_S}s)"
    assert min(closed_at.values()) >= HEADER_TIMEOUT_S - 0.3  # closed by the timeout, not at once
    strict_node.assert_alive()


def test_a_body_that_stops_short_of_its_content_length_gets_408(strict_node):
    """Content-Length 1000, then 20 bytes and silence: the node stops waiting after the body
    timeout, answers 408 and closes."""
    sock = connect(strict_node)
    try:
        sock.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n" + b'{"model": 2, "inputs"')
        started = time.monotonic()
        status, raw = read_response(sock, timeout_s=BODY_TIMEOUT_S + 2)
        waited = time.monotonic() - started
    finally:
        sock.close()
    assert status == 408 and b'"request_timeout"' in raw, raw[:300]
    assert BODY_TIMEOUT_S - 0.3 <= waited < BODY_TIMEOUT_S + 1.5
    strict_node.assert_alive()


def test_a_request_head_that_arrives_in_time_is_served(strict_node):
    """The timeout bounds the head, not a client that is merely not instantaneous."""
    sock = connect(strict_node)
    try:
        for piece in (b"GET /health HTTP/1.1\r\n", b"Host: node\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(HEADER_TIMEOUT_S / 4)
        status, raw = read_response(sock, timeout_s=2)
    finally:
        sock.close()
    assert status == 200 and b'"ok":true' in raw


@pytest.fixture(scope="module")
def capped_node(seeded_home):
    env, root = seeded_home("capped")
    limits = {"header_timeout_s": 2.0, "max_connections": 20}
    with running(env, limits=limits, log=root / "capped-node.log") as node:
        yield node


def test_connections_beyond_the_cap_get_503_at_once_and_service_returns(capped_node):
    idle = [connect(capped_node) for _ in range(20)]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        try:
            answer = httpx.get(f"{capped_node.url}/health", timeout=2)
            status = answer.status_code
        except httpx.HTTPError as exc:  # refused or closed: turned away too
            status = type(exc).__name__
        assert status == 503 or status in ("RemoteProtocolError", "ConnectError", "ReadError"), status
        assert time.monotonic() - started < 1.0
        deadline = time.monotonic() + 4
        while not all(closed_by_server(sock) for sock in idle):
            assert time.monotonic() < deadline, "the idle connections were never closed"
            time.sleep(0.1)
    finally:
        for sock in idle:
            sock.close()
    capped_node.assert_alive()
