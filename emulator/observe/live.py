"""The live stream: the domain events of one process fanned out to whoever listens (the web pages, CI clients of
GET /_emulator/events), as small JSON messages.

Nothing here reads the database on the request path: a subscriber of the bus turns an event into a message and hands
it to each listener's queue on its event loop (or does nothing at all while no one listens). Line states are not
events of their own (a page of a call ends by the clock, not by a transaction), so a watcher task, running only
while someone listens, reads them after every event that can change them, and once a second while a line is busy
under the scaled clock, and sends the lines that changed. When several workers serve one box (PostgreSQL), each
hub also hears what the others did (emulator.cluster tells them), so a stream open on any worker shows the box's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from emulator.device.lines import LineState
from emulator.device.store import entrykey_text, faxkey_text
from emulator.events import (
    ClockChanged,
    EntryStateChanged,
    Event,
    EventBus,
    ExchangeRecorded,
    FaxReceived,
    LineChanged,
    ReceptionEnded,
    StateReplaced,
    UserChanged,
    WebSessionEnded,
)
from emulator.observe.listeners import END, OVERFLOW, Listener, Message, TooManyStreams, Visibility, everything
from emulator.wire.times import format_time

__all__ = ["END", "KINDS", "OVERFLOW", "Hub", "Listener", "Message", "TooManyStreams", "Visibility", "line_view"]

if TYPE_CHECKING:
    from emulator.box import Box

KINDS = ("entry", "line", "inbound", "journal", "clock", "reset")
# Streams open at once, at most: each holds a connection for as long as it lasts, and connections are limited
# (--max-connections; a stream is a request in progress, never closed to make room). Streams may take half of them.
MAX_STREAMS = 32
TICK = 1.0  # wall seconds between line readings while a call is up under the scaled clock
LINE_EVENTS = (EntryStateChanged, LineChanged, FaxReceived, ReceptionEnded, ClockChanged, StateReplaced)


class Hub:
    def __init__(self, box: Box) -> None:
        self._box = box
        self.max_listeners = max(1, min(MAX_STREAMS, box.settings.max_connections // 2))
        self._closed = False
        self._listeners: set[Listener] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # the set of listeners changed
        self._ids = itertools.count(1)
        self._lines: dict[int, dict[str, Any]] = {}
        self._stale: asyncio.Event | None = None
        self._watcher: asyncio.Task | None = None

    def attach(self, bus: EventBus) -> None:
        bus.subscribe(Event, self._on_event, remote=True)  # (what the other workers of a box did too)

    @property
    def listening(self) -> int:
        return len(self._listeners)

    def listeners(self) -> frozenset[Listener]:
        with self._lock:
            return frozenset(self._listeners)

    # -- events in ---------------------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if not self._listeners:
            return  # the usual case, and the one the request path pays for: nothing
        message = self.message_of(event)
        if message is not None:
            self._send(message)
        if isinstance(event, LINE_EVENTS):
            self._mark_stale()
        # A login whose credentials changed (or were replaced with the whole state) may no longer hold: its streams
        # end, and a browser that opens them again is asked to log in if it does not.
        if isinstance(event, UserChanged) and event.credentials:
            self.end(lambda listener: listener.session is not None and listener.session[0] == event.username)
        elif isinstance(event, StateReplaced):
            self.end(lambda listener: listener.session is not None)
        elif isinstance(event, WebSessionEnded):  # (a logout)
            self.end(lambda listener: listener.session == (event.username, event.session_id))

    def _send(self, message: Message) -> None:
        message = Message(message.kind, message.data, message.owner, next(self._ids))
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.offer(message)

    def message_of(self, event: Event) -> Message | None:
        box = self._box
        if isinstance(event, EntryStateChanged):
            data = {
                "fax_key": faxkey_text(event.fax_id),
                "entry_key": entrykey_text(event.number),
                "state": event.state,
                "previous": event.previous,
                "owner": event.owner,
                "fax_number": event.fax_number,
                "pages": event.pages,
                "try_number": event.try_number,
                "message": event.message,
                "line": event.line,
                "agent": event.agent,
            }
            return Message("entry", self._timed(data), event.owner)
        if isinstance(event, FaxReceived):
            state = "busy" if event.inbound_id is None else "arriving"
            data = {"id": event.inbound_id, "line": event.line, "state": state}
            data.update(remote_id=event.remote_id, caller_id=event.caller_id, pages=event.pages)
            return Message("inbound", self._timed(data), event.recipient)
        if isinstance(event, ReceptionEnded):
            data = {"id": event.inbound_id, "line": event.line, "state": "received", "result": event.result}
            data.update(remote_id=event.remote_id, pages=event.pages)
            return Message("inbound", self._timed(data), event.recipient)
        if isinstance(event, ExchangeRecorded):
            data = {"id": event.journal_id, "method": event.method, "path": event.path, "status": event.status}
            data.update(user=event.user, duration_ms=event.duration_ms, reason=event.reason)
            return Message("journal", self._timed(data))
        if isinstance(event, ClockChanged):
            clock = box.clock
            return Message("clock", self._timed({"manual": clock.manual, "time_scale": clock.time_scale}))
        if isinstance(event, StateReplaced):
            return Message("reset", self._timed({"how": event.how}))
        return None

    def _timed(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"time": format_time(self._box.clock.now(), self._box.zone), **data}

    # -- listeners -----------------------------------------------------------------------------------------------
    def open(
        self, kinds: frozenset[str], visible: Visibility = everything, session: tuple[str, str] | None = None
    ) -> Listener:
        """A new listener, on the running event loop (TooManyStreams when every stream the box allows is open);
        the line watcher runs while anyone listens. ``close`` it when its stream ends."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._closed or len(self._listeners) >= self.max_listeners:
                raise TooManyStreams(0 if self._closed else self.max_listeners)
            listener = Listener(loop, kinds, visible, session)
            self._listeners.add(listener)
            self._changed.notify_all()
        if "line" in kinds:
            for line in self._lines.values():  # where they stand, for a newcomer (the watcher sends any change)
                listener.offer(Message("line", self._timed(line), "", next(self._ids)))
        self._ensure_watcher(loop)
        return listener

    def close_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)
            self._changed.notify_all()

    def wait_until(self, condition: Callable[[frozenset[Listener]], bool], timeout: float) -> bool:
        """Wait (a thread, not the event loop) until ``condition`` holds of the listeners; False after ``timeout``
        seconds. For whoever must know that a stream has gone (a test whose client hung up)."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(frozenset(self._listeners)), timeout)

    @contextlib.contextmanager
    def listen(self, kinds: frozenset[str], visible: Visibility = everything) -> Iterator[Listener]:
        """A listener for the life of the block."""
        listener = self.open(kinds, visible)
        try:
            yield listener
        finally:
            self.close_listener(listener)

    def end(self, which: Callable[[Listener], bool]) -> None:
        """End the streams of the listeners ``which`` chooses (from any thread)."""
        for listener in self.listeners():
            if which(listener):
                listener.end()

    def close(self) -> None:
        """The server stops: every stream ends now (uvicorn would wait for them for ever), none opens again."""
        with self._lock:
            self._closed = True
        self.end(lambda _listener: True)

    def _ensure_watcher(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._watcher is None or self._watcher.done():
            self._stale = asyncio.Event()
            self._stale.set()
            self._watcher = loop.create_task(self._watch(loop, self._stale), name="live-lines")

    def _mark_stale(self) -> None:
        stale, watcher = self._stale, self._watcher
        if stale is None or watcher is None or watcher.done():
            return
        with contextlib.suppress(RuntimeError):
            watcher.get_loop().call_soon_threadsafe(stale.set)

    async def _watch(self, loop: asyncio.AbstractEventLoop, stale: asyncio.Event) -> None:
        """Read the lines when they may have changed; send those that did. Ends when no one listens."""
        busy = False
        while self._listeners:
            timeout = TICK if busy and not self._box.clock.manual else 15.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stale.wait(), timeout)
            stale.clear()
            if not self._listeners:
                break
            try:
                lines = await asyncio.to_thread(self._read_lines)
            except Exception:  # the database away for a moment (a reset swapping files): read again next time
                continue
            busy = any(line["direction"] for line in lines)
            for line in lines:
                if self._lines.get(line["line"]) != line:
                    self._lines[line["line"]] = line
                    self._send(Message("line", self._timed(line)))

    def _read_lines(self) -> list[dict[str, Any]]:
        box = self._box
        with box.work(write=False) as look:
            states = box.line_states(look.session)
        return [line_view(state, box) for state in states]


def line_view(state: LineState, box: Box) -> dict[str, Any]:
    view = asdict(state)
    view["line"] = view.pop("number")
    view["connect_time"] = format_time(state.connect_time, box.zone) if state.connect_time else None
    view["busy"] = state.busy
    return view
