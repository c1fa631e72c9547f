"""What workers serving one box tell each other (PostgreSQL NOTIFY on one channel): a domain event, as its class
name and fields, and which worker it comes from (a worker does not hear itself)."""

from __future__ import annotations

import dataclasses
import json

from emulator import events

CHANNEL = "faxfinder_events"
LIMIT = 7900  # NOTIFY takes payloads of at most 8000 bytes; no event of ours comes near


def notice_of(event: events.Event, worker: str) -> str | None:
    if not dataclasses.is_dataclass(event):
        return None
    payload = json.dumps({"worker": worker, "type": type(event).__name__, "fields": dataclasses.asdict(event)},
                         default=str)  # fmt: skip
    return payload if len(payload) < LIMIT else None


def event_of(payload: str, worker: str) -> events.Event | None:
    """The event of another worker's notice (None for this worker's own, or what is not one of ours)."""
    try:
        message = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("worker") == worker:
        return None
    kind = getattr(events, str(message.get("type", "")), None)
    if not (isinstance(kind, type) and issubclass(kind, events.Event)):
        return None
    try:
        return kind(**message.get("fields", {}))
    except TypeError:
        return None
