"""GET /_emulator/events: the live stream of the box's domain events, as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import Query
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.observe.live import END, KINDS, OVERFLOW, Hub, Listener, Message, TooManyStreams, Visibility

KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing the stream

STREAM_DOC = {
    "200": {
        "description": (
            "A text/event-stream that lasts until the client goes away. Each event has an `id`, an `event` "
            "(one of " + ", ".join(KINDS) + ") and one line of JSON `data`, every one with the emulated `time`:\n\n"
            "- `entry`: a fax entry was created or changed state: fax_key, entry_key, state, previous, owner, "
            "fax_number, pages, try_number, message, line (of a try that starts), agent\n"
            "- `line`: a line's state changed: line, state (Dialing, Sending Page, Receiving Page, Waiting for Ring…), "
            "direction, page, pages, fax_number, remote_id, baud_rate, connect_time, elapsed, busy (every line is "
            "sent once when the stream opens)\n"
            "- `inbound`: a call arrived (state arriving, or busy) or a received fax's call ended (state received, "
            "result): id, line, remote_id, pages\n"
            "- `journal`: a /ffws/v1 exchange was recorded: id, method, path, status, user, duration_ms, reason\n"
            "- `clock`: the clock was switched, rescaled or advanced: manual, time_scale\n"
            "- `reset`: the whole state was replaced: how (reset or import)\n\n"
            "A client more than 1,000 events behind gets `event: overflow` and the stream ends: reconnect. A "
            "comment line is sent after 15 s of silence. The stream also ends when the server stops."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    "503": {
        "description": "As many streams are open as the box allows (32, or half of `--max-connections` when that is "
        "less: a stream holds its connection), or the server is stopping",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    },
}


def sse(message: Message) -> bytes:
    data = json.dumps(message.data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {message.id}\nevent: {message.kind}\ndata: {data}\n\n".encode()


async def event_stream(listener: Listener) -> AsyncIterator[bytes]:
    yield b"retry: 2000\n\n"
    while True:
        message = await listener.next(KEEP_ALIVE)
        if message is None:
            yield b": keep-alive\n\n"
            continue
        if message is END:
            return
        yield sse(message)
        if message is OVERFLOW:
            return


class EventStream(StreamingResponse):
    """The stream of one listener, which leaves the hub when the response ends, however it ends (the client went
    away, the stream was ended, or the response was never started)."""

    def __init__(self, hub: Hub, listener: Listener) -> None:
        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        super().__init__(event_stream(listener), media_type="text/event-stream", headers=headers)
        self.hub, self.listener = hub, listener

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.hub.close_listener(self.listener)


def open_stream(
    hub: Hub, kinds: frozenset[str], visible: Visibility, session: tuple[str, str] | None = None
) -> EventStream:
    """A stream of the hub's messages of ``kinds`` as ``visible`` shows them; ControlError 503 when the box has as
    many streams open as it allows."""
    try:
        return EventStream(hub, hub.open(kinds, visible, session))
    except TooManyStreams as exc:
        raise ControlError(503, exc.message) from None


def parse_kinds(types: str | None) -> frozenset[str]:
    if not types:
        return frozenset(KINDS)
    wanted = frozenset(t.strip() for t in types.split(",") if t.strip())
    unknown = sorted(wanted - set(KINDS))
    if unknown or not wanted:
        raise ControlError(400, f"invalid types: {', '.join(unknown) or '(none)'}; known: {', '.join(KINDS)}")
    return wanted


@control.route("GET", "/events", responses=STREAM_DOC)
async def stream_events(
    box: ControlBox,
    types: str | None = Query(None, description="comma-separated kinds to receive (default: all): " + ", ".join(KINDS)),  # noqa: B008
    fax: str | None = Query(None, description="only the entry events of this FAXKEY (8 hex digits)"),  # noqa: B008
) -> EventStream:
    """Server-sent events of what happens in the box (entry, line, inbound, journal, clock, reset), filterable."""
    kinds = parse_kinds(types)
    faxkey = fax.strip().upper() if fax else None

    def visible(message: Message) -> Message | None:
        if faxkey is not None and message.kind == "entry" and message.data["fax_key"] != faxkey:
            return None
        return message

    return open_stream(box.live, kinds, visible)
