"""Which log records a caller sees, in which order, how many (12.2)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from emulator.device.inbound import InboundFax
from emulator.device.models import Attempt, Call
from emulator.ffws.auth import Caller
from emulator.ffws.fields import count_param
from emulator.ffws.listing import escape_like
from emulator.wire.errors import invalid

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class LogQuery:
    limit: int | None
    offset: int
    newest_first: bool

    @classmethod
    def parse(cls, params: QueryParams) -> LogQuery:
        limit = count_param(params, "limit", DEFAULT_LIMIT)
        # As for contacts and groups, offset counts only together with an explicit limit.
        offset = count_param(params, "offset", 0) if (params.get("limit") or "").strip() else 0
        order = (params.get("order") or "desc").strip().lower()
        if order not in ("asc", "desc"):
            raise invalid("order", "must be asc or desc")
        return cls(limit, offset or 0, order == "desc")


def _listed_in(column: ColumnElement[str], username: str) -> ColumnElement[bool]:
    """``username`` is one of the comma-separated names in ``column``."""
    return (literal(",") + column + literal(",")).like(f"%,{escape_like(username)},%", escape="\\")


def _inbound(caller: Caller) -> Select:
    stmt = select(InboundFax).where(InboundFax.finished.is_(True))
    return stmt if caller.is_admin else stmt.where(_listed_in(InboundFax.recipient, caller.username))


def _outbound(caller: Caller) -> Select:
    stmt = select(Attempt).where(Attempt.finished.is_(True))
    return stmt if caller.is_admin else stmt.where(Attempt.owner == caller.username)


def _calls(caller: Caller) -> Select:
    stmt = select(Call)
    return stmt if caller.is_admin else stmt.where(_listed_in(Call.owner, caller.username))


LOGS = {
    "inbound": (_inbound, InboundFax),
    "outbound": (_outbound, Attempt),
    "call": (_calls, Call),
}


def records(session: Session, caller: Caller, kind: str, query: LogQuery) -> list:
    build, model = LOGS[kind]
    keys = (model.start_time.desc(), model.id.desc()) if query.newest_first else (model.start_time, model.id)
    stmt = build(caller).order_by(*keys)
    if query.limit is not None:
        stmt = stmt.limit(query.limit).offset(query.offset)
    return list(session.scalars(stmt))


def count(session: Session, caller: Caller, kind: str) -> int:
    build, _model = LOGS[kind]
    return session.scalar(select(func.count()).select_from(build(caller).subquery())) or 0
