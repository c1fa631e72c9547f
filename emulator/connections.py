"""Connections that cannot hold the server hostage.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) and nothing else: a connection that never
sends, or never finishes, its request head stays open for ever, and so does one that dribbles a body. Its
``limit_concurrency`` counts such connections and answers 503 to everyone once they fill it; without it, they fill
the process's file descriptors and the listener stops accepting. Here every connection has a deadline for its
request head, a body has to keep up a minimum rate, and past a maximum number of connections a newcomer takes the
place of the connection that has waited longest without a request in progress (idle keep-alive, half-sent head):
a flood of slow clients costs the slowest of them their connection, not a new client its answer.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("emulator")

BODY_RATE = 1024  # bytes per second: each KiB of body received buys another second of body timeout (a slow link
# is fine, a dribble of a few bytes a second is not)
RESERVED_FILES = 256  # descriptors kept for the database, documents, TLS files and the listeners themselves


@dataclass(frozen=True)
class Limits:
    header_timeout: float
    body_timeout: float
    max_connections: int


class Pool:
    """Every open connection of the process (the HTTP and the HTTPS listener share one pool: they share its file
    descriptors), and which of them have no request in progress, the longest waiting first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: set[GuardedH11Protocol] = set()
        self._waiting: dict[GuardedH11Protocol, None] = {}  # insertion-ordered: the first has waited longest

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, conn: GuardedH11Protocol) -> bool:
        """Count a new connection in, making room by closing waiting ones; False if every other connection has a
        request in progress."""
        self._open.add(conn)
        self.waiting(conn)
        while len(self._open) > self.limit:
            victim = next(iter(self._waiting))
            if victim is conn:
                return False
            self.gone(victim)
            victim.transport.abort()
        return True

    def waiting(self, conn: GuardedH11Protocol) -> None:
        self._waiting.pop(conn, None)
        self._waiting[conn] = None

    def busy(self, conn: GuardedH11Protocol) -> None:
        self._waiting.pop(conn, None)

    def gone(self, conn: GuardedH11Protocol) -> None:
        self._open.discard(conn)
        self._waiting.pop(conn, None)


class _Flow(FlowControl):
    """uvicorn's flow control, telling the connection when it stops and starts reading: time the emulator is not
    reading (its app has not asked for more body yet) does not count against the client."""

    def __init__(self, transport: asyncio.Transport, changed: Any) -> None:
        super().__init__(transport)
        self._changed = changed

    def pause_reading(self) -> None:
        super().pause_reading()
        self._changed()

    def resume_reading(self) -> None:
        super().resume_reading()
        self._changed()


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, a body rate and a place in the pool. Subclassed per server by
    :func:`guarded_protocol`, which sets ``pool`` and ``limits``."""

    pool: Pool
    limits: Limits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_request = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_deadline: float | None = None  # while the body is being read (the loop's time)
        self._body_left: float | None = None  # seconds left while reading is paused

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _Flow(transport, self._sync)
        if not self.pool.admit(self):  # every other connection has a request in progress
            self.limit_concurrency = 0  # uvicorn's own "Exceeded concurrency limit" 503 for this connection's request
        self._sync()

    def connection_lost(self, exc: Exception | None) -> None:
        self.pool.gone(self)
        self._cancel_head()
        self._cancel_body()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.SEND_BODY:
            extra = len(data) / BODY_RATE
            if self._body_deadline is not None:
                self._body_deadline += extra
            elif self._body_left is not None:
                self._body_left += extra
        super().data_received(data)
        self._sync()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._sync()

    def _sync(self) -> None:
        """Bring the pool and the timers in line with the connection's state (after anything that changes it)."""
        if self.transport is None or self.transport.is_closing():
            return
        in_request = self.cycle is not None and not self.cycle.response_complete
        if in_request != self._in_request:
            self._in_request = in_request
            (self.pool.busy if in_request else self.pool.waiting)(self)
        state = self.conn.their_state
        # A head is due: on a new connection, after data following a keep-alive pause, and after a body that
        # outlived its answer. The idle keep-alive pause itself is uvicorn's timer.
        if state is h11.IDLE and self.timeout_keep_alive_task is None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)
        else:
            self._cancel_head()
        if state is h11.SEND_BODY:
            self._body_clock()
        else:
            self._cancel_body()
            self._body_deadline = self._body_left = None

    def _body_clock(self) -> None:
        now = self.loop.time()
        if self._body_deadline is None and self._body_left is None:
            self._body_left = self.limits.body_timeout
        waiting_on_us = self.flow.read_paused or (self.cycle is not None and self.cycle.waiting_for_100_continue)
        if waiting_on_us:
            if self._body_deadline is not None:
                self._body_left = self._body_deadline - now
                self._body_deadline = None
            self._cancel_body()
        elif self._body_deadline is None:
            assert self._body_left is not None
            self._body_timer = self.loop.call_later(self._body_left, self._body_late)
            self._body_deadline, self._body_left = now + self._body_left, None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.abort()

    def _body_late(self) -> None:
        self._body_timer = None
        if self._body_deadline is None or self.conn.their_state is not h11.SEND_BODY:
            return
        left = self._body_deadline - self.loop.time()
        if left > 0:  # the body kept coming: the deadline moved on
            self._body_timer = self.loop.call_later(left, self._body_late)
        elif not self.transport.is_closing():
            self.transport.abort()

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None


def guarded_protocol(pool: Pool, limits: Limits) -> type[GuardedH11Protocol]:
    """The protocol class for one server's uvicorn Config (uvicorn builds each connection's protocol itself)."""
    return type("Guarded", (GuardedH11Protocol,), {"pool": pool, "limits": limits})


class GuardedLoop(asyncio.SelectorEventLoop):
    """The event loop, giving each TLS listener a handshake deadline: asyncio waits 60 s by default, and uvicorn
    has no option for it. A connection still in its handshake has no protocol of its own to time it out."""

    def __init__(self, handshake_timeout: float) -> None:
        super().__init__()
        self.handshake_timeout = handshake_timeout

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:  # type: ignore[override]
        if kwargs.get("ssl") is not None and kwargs.get("ssl_handshake_timeout") is None:
            kwargs["ssl_handshake_timeout"] = self.handshake_timeout
        return await super().create_server(*args, **kwargs)


def open_files_limit(wanted: int) -> int:
    """Raise the soft limit on open files to the hard limit (many systems start processes at 1,024, which a
    thousand slow clients fill; connections still in their TLS handshake are not in the pool, only under the
    descriptor limit), and return how many connections fit beside what the emulator itself keeps open."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, 65536) if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    fits = max(1, soft - RESERVED_FILES)
    if fits < wanted:
        log.warning("open-files limit %d: at most %d connections, not %d", soft, fits, wanted)
    return min(wanted, fits)
