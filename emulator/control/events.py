"""GET /_emulator/events: the live stream of the box's domain events, as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import Query
from starlette.responses import StreamingResponse

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.observe.live import KINDS, OVERFLOW, Hub, Message, Visibility

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
            "comment line is sent after 15 s of silence."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def sse(message: Message) -> bytes:
    data = json.dumps(message.data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {message.id}\nevent: {message.kind}\ndata: {data}\n\n".encode()


async def event_stream(hub: Hub, kinds: frozenset[str], visible: Visibility) -> AsyncIterator[bytes]:
    with hub.listen(kinds, visible) as listener:
        yield b"retry: 2000\n\n"
        while True:
            message = await listener.next(KEEP_ALIVE)
            if message is None:
                yield b": keep-alive\n\n"
                continue
            yield sse(message)
            if message is OVERFLOW:
                return


def parse_kinds(types: str | None) -> frozenset[str]:
    if not types:
        return frozenset(KINDS)
    wanted = frozenset(t.strip() for t in types.split(",") if t.strip())
    unknown = sorted(wanted - set(KINDS))
    if unknown or not wanted:
        raise ControlError(400, f"invalid types: {', '.join(unknown) or '(none)'}; known: {', '.join(KINDS)}")
    return wanted


def streaming(stream: AsyncIterator[bytes]) -> StreamingResponse:
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


@control.route("GET", "/events", responses=STREAM_DOC)
async def stream_events(
    box: ControlBox,
    types: str | None = Query(None, description="comma-separated kinds to receive (default: all): " + ", ".join(KINDS)),  # noqa: B008
    fax: str | None = Query(None, description="only the entry events of this FAXKEY (8 hex digits)"),  # noqa: B008
) -> StreamingResponse:
    """Server-sent events of what happens in the box (entry, line, inbound, journal, clock, reset), filterable."""
    kinds = parse_kinds(types)
    faxkey = fax.strip().upper() if fax else None

    def visible(message: Message) -> Message | None:
        if faxkey is not None and message.kind == "entry" and message.data["fax_key"] != faxkey:
            return None
        return message

    return streaming(event_stream(box.live, kinds, visible))
