"""The live state of every line (modem or SIP channel), derived from the calls in progress at ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.device.inbound import InboundFax, InboundLine
from emulator.device.models import Attempt
from emulator.device.outcomes import BAUD_RATE
from emulator.device.queue import current_page, pages_done

IDLE_MODEM = "Waiting For Ring"  # modem_status spells it with a capital F
IDLE_CHANNEL = "Waiting for Ring"  # channel_status does not
DISABLED_MODEM = "Modem Busy"
DISABLED_CHANNEL = "Disabled"


@dataclass(frozen=True)
class LineState:
    number: int
    state: str
    direction: str = ""  # "outbound", "inbound" or "" when idle
    page: int = 0  # page on the wire (1-based), 0 when none
    pages_done: int = 0
    pages: int = 0  # pages the call carries (page n of m), 0 when none
    fax_number: str = ""
    remote_id: str = ""
    baud_rate: int | None = None
    connect_time: datetime | None = None
    elapsed: int | None = None  # seconds since the call connected

    @property
    def busy(self) -> bool:
        return self.direction != ""


def _outbound(attempt: Attempt, now: datetime) -> LineState:
    connected = attempt.connect_time is not None and now >= attempt.connect_time
    return LineState(
        number=attempt.line_number,
        state="Sending Page" if connected else "Dialing",
        direction="outbound",
        page=current_page(attempt, now),
        pages_done=pages_done(attempt, now),
        pages=attempt.pages_planned,
        fax_number=attempt.fax_number,
        remote_id=attempt.remote_id if connected else "",
        baud_rate=attempt.baud_rate if connected else None,
        connect_time=attempt.connect_time if connected else None,
        elapsed=int((now - attempt.connect_time).total_seconds()) if connected else None,
    )


def _inbound(fax: InboundFax, inbound: InboundLine, now: datetime) -> LineState:
    connected = now >= fax.connect_time
    page = inbound.pages_so_far(fax, now)
    return LineState(
        number=fax.line_number,
        state="Receiving Page" if connected and fax.pages else "Negotiating",
        direction="inbound",
        page=page,
        pages_done=max(page - 1, 0),
        pages=fax.pages,
        fax_number=fax.caller_id,
        remote_id=fax.remote_id if connected else "",
        baud_rate=BAUD_RATE if connected else None,
        connect_time=fax.connect_time if connected else None,
        elapsed=int((now - fax.connect_time).total_seconds()) if connected else None,
    )


def line_states(
    session: Session, now: datetime, count: int, enabled: list[int], is_ip: bool, inbound: InboundLine
) -> list[LineState]:
    active: dict[int, LineState] = {}
    for attempt in session.scalars(select(Attempt).where(Attempt.finished.is_(False))):
        active[attempt.line_number] = _outbound(attempt, now)
    for fax in inbound.receiving(session):
        active[fax.line_number] = _inbound(fax, inbound, now)
    idle = IDLE_CHANNEL if is_ip else IDLE_MODEM
    disabled = DISABLED_CHANNEL if is_ip else DISABLED_MODEM
    states = []
    for number in range(1, count + 1):
        if number in active:
            states.append(active[number])
        else:
            states.append(LineState(number, idle if number in enabled else disabled))
    return states
