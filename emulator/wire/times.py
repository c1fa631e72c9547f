"""Time formats of the wire: device-local ``YYYY-MM-DDTHH:MM:SS`` out, ``at=`` (UTC) and ``schedule_all_at`` in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from emulator.wire import dialect
from emulator.wire.tolerance import tolerated

_FORMAT = "%Y-%m-%dT%H:%M:%S"


def to_local(when: datetime, zone: ZoneInfo) -> datetime:
    """A naive UTC instant as naive device-local time."""
    return when.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def format_time(when: datetime | None, zone: ZoneInfo, separator: str | None = None) -> str:
    """Device-local time with the ``T`` (clients parse it as such) or the separator of the answer's firmware
    (``separator`` when given); empty for no time."""
    if when is None:
        return ""
    text = to_local(when, zone).strftime(_FORMAT)
    separator = separator or dialect.current().time_separator
    return text if separator == "T" else text[:10] + separator + text[11:]


def parse_time(text: str, name: str = "time") -> datetime:
    """``YYYY-MM-DDTHH:MM:SS`` (a space instead of ``T`` is accepted too, and noted as tolerated); raises
    ValueError."""
    text = text.strip()
    if len(text) == 19 and text[10] == " ":
        tolerated(f"{name} {text!r} is read as {text[:10]}T{text[11:]} (the guide writes the T)")
        text = text[:10] + "T" + text[11:]
    return datetime.strptime(text, _FORMAT)
