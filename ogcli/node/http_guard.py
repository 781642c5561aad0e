"""What one HTTP connection may hold of the node: how long it may take to send a request head and
a body, how large a body may be, and how many connections may be open at once.

Without these, 500 connections that send their headers a byte at a time are all held open
(uvicorn's keep-alive timer is cancelled by every byte, and nothing bounds a request head that
never ends), a body that stops short of its Content-Length is waited for forever, and a 10 MB body
is read in full before it is refused. The design, smallest first:

- The **head deadline** lives in the HTTP protocol, the only place that sees a connection before
  it has a request: `GuardedH11Protocol`, a small subclass of uvicorn's h11 protocol, arms a
  timer when a connection opens and again when a response completes, and cancels it when a
  request head has arrived. When it fires the connection is closed (after a 408 when part of a
  head came). Time spent serving a request does not count.
- The **body** is read by `BodyGuard`, an ASGI middleware, before the app runs: a declared
  Content-Length over the limit is answered 413 at once, unread; a streamed (chunked) body is
  counted as it arrives and cut off at the limit; the whole body must arrive within the body
  deadline or the answer is 408. Both close the connection. The app then gets the body from memory.
  A request declaring both a Content-Length and a Transfer-Encoding is refused (400): a proxy in
  front may frame it the other way, which is how requests are smuggled past it.
- The **connection cap** is uvicorn's `limit_concurrency`: a request arriving while the cap is
  reached is answered 503 at once. Its excess can wait at most the head deadline; beyond twice the
  cap, a new connection is closed as soon as it is accepted (a flood, not clients to answer).
- Request heads are limited to `max_head_bytes` (h11's own limit; a longer one is a 400), and idle
  keep-alive connections are closed after `keep_alive_s` (uvicorn's timer).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ogcli.node.app import MAX_BODY_BYTES


@dataclass(frozen=True)
class HttpLimits:
    header_timeout_s: float = 10.0  # from a connection's opening (or its last response) to a complete request head
    body_timeout_s: float = 30.0  # from the head to the body's last byte: MAX_BODY_BYTES at 35 KB/s
    max_body_bytes: int = MAX_BODY_BYTES
    max_connections: int = 512  # open at once; a request beyond them is a 503
    keep_alive_s: float = 5.0  # an idle connection after a response
    max_head_bytes: int = 16 * 1024  # request line and headers


def server_config(app, host: str, port: int, limits: HttpLimits):
    """The uvicorn configuration that serves `app` within `limits`."""
    import uvicorn

    return uvicorn.Config(
        BodyGuard(app, limits), host=host, port=port, log_level="warning", access_log=False,
        http=protocol_for(limits), ws="none",  # no websocket routes: an upgrade would leave these limits behind
        limit_concurrency=limits.max_connections + 1,  # uvicorn counts the arriving connection too
        timeout_keep_alive=limits.keep_alive_s, h11_max_incomplete_event_size=limits.max_head_bytes,
    )


def protocol_for(limits: HttpLimits) -> type[GuardedH11Protocol]:
    """uvicorn builds one protocol per connection from a class: the limits ride on a subclass."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head, and a hard stop on floods."""

    limits = HttpLimits()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        self._partial_head = False
        super().connection_made(transport)
        if len(self.connections) > 2 * self.limits.max_connections:
            transport.close()
            return
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._serving():
            self._cancel_head_timer()
        else:
            self._partial_head = True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self._serving() and not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _serving(self) -> bool:
        """A request head has arrived and its response is not complete."""
        return self.cycle is not None and not self.cycle.response_complete

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self._partial_head = False
        self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._serving() or self.transport.is_closing():
            return
        if self._partial_head and self.conn.our_state in (h11.IDLE, h11.DONE):
            # Written by hand: h11 answers requests, and this one never arrived whole.
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        self.transport.close()


class BodyGuard:
    """ASGI middleware: reads each request's body within the size and time limits before the app
    runs, and answers 413 or 408 (closing the connection) when it does not fit them."""

    def __init__(self, app, limits: HttpLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = {name for name, _value in scope["headers"]}
        if b"content-length" in names and b"transfer-encoding" in names:
            await _refuse(send, 400, "ambiguous_length", "a request has a Content-Length or a Transfer-Encoding, not both")
            return
        if _declared_length(scope) > self.limits.max_body_bytes:
            await self._too_large(send)
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.limits.body_timeout_s)
        except _TooLarge:
            await self._too_large(send)
            return
        except _Disconnected:
            return  # nobody to answer
        except asyncio.TimeoutError:
            await _refuse(send, 408, "request_timeout",
                          f"the request body did not arrive within {self.limits.body_timeout_s:g} s")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive) -> bytes:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body += message.get("body", b"")
            if len(body) > self.limits.max_body_bytes:
                raise _TooLarge
            if not message.get("more_body", False):
                return bytes(body)

    async def _too_large(self, send) -> None:
        await _refuse(send, 413, "request_too_large", f"request bodies are limited to {self.limits.max_body_bytes} bytes")


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _declared_length(scope) -> int:
    """The request's Content-Length (h11 has checked it is digits), 0 when it has none."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value)
    return 0


def _replay(body: bytes, receive):
    """A `receive` that gives the app the body already read, then passes on to the connection's
    (a streaming response listens there for the client going away)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed():
        if pending:
            return pending.pop()
        return await receive()

    return replayed


async def _refuse(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
