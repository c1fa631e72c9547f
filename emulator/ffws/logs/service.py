"""Which log records a caller sees, in which order, how many (12.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session, defaultload
from starlette.datastructures import QueryParams

from emulator.device.inbound import InboundFax
from emulator.device.models import Attempt, Call, FaxEntry
from emulator.ffws.auth import Caller
from emulator.ffws.fields import count_param
from emulator.ffws.listing import escape_like
from emulator.wire.errors import invalid

DEFAULT_LIMIT = 50
QUERY = ("limit", "offset", "order")


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


def _values_listing(column: Any, username: str) -> Select:
    """The distinct values of ``column`` that list ``username``: a walk that seeks ``column``'s index once per
    distinct value (a handful: the usernames and the recipient lists of the inbound routes), not once per row."""
    walk = select(func.min(column).label("value")).cte(recursive=True)
    following = select(func.min(column)).where(column > walk.c.value).scalar_subquery()
    walk = walk.union_all(select(following).where(walk.c.value.is_not(None)))
    return select(walk.c.value).where(_listed_in(walk.c.value, username))


@dataclass(frozen=True)
class Log:
    model: Any
    only_finished: bool  # calls still in progress are not in the log yet
    owner: Any  # the column that says whose record it is, for non-admins
    lists: bool  # comma-separated usernames (a received fax goes to every user its route names), not one

    def filters(self, caller: Caller, *, counting: bool = False) -> list[ColumnElement[bool]]:
        """What the caller sees of the log. A page reads it in time order and checks each record on the way, up to
        its limit; a count visits only the caller's records, in the index of the owner column."""
        finished = [self.model.finished.is_(True)] if self.only_finished else []
        return finished if caller.is_admin else [*finished, self.owner_is(caller.username, counting)]

    def owner_is(self, username: str, counting: bool = False) -> ColumnElement[bool]:
        """The records of ``username`` (of a list of users, those that list it)."""
        if not self.lists:
            return self.owner == username
        if counting:
            return self.owner.in_(_values_listing(self.owner, username))
        return _listed_in(self.owner, username)


LOGS = {
    "inbound": Log(InboundFax, True, InboundFax.recipient, lists=True),
    "outbound": Log(Attempt, True, Attempt.owner, lists=False),
    "call": Log(Call, False, Call.owner, lists=True),
}


def records(session: Session, caller: Caller, kind: str, query: LogQuery) -> list:
    """One page of a log, newest first unless asked otherwise: read in the order of an index, up to the limit."""
    log = LOGS[kind]
    model = log.model
    keys = (model.start_time.desc(), model.id.desc()) if query.newest_first else (model.start_time, model.id)
    stmt = select(model).where(*log.filters(caller)).order_by(*keys)
    if model is Attempt:  # a record names its entry, not the entry's fax
        stmt = stmt.options(defaultload(Attempt.entry).lazyload(FaxEntry.fax))
    if query.limit is not None:
        stmt = stmt.limit(query.limit).offset(query.offset)
    return list(session.scalars(stmt))


def receiving(session: Session, caller: Caller) -> list[InboundFax]:
    """The faxes being received right now that the caller sees (an administrator all, a user those routed to it,
    as the inbound log shows them once received), oldest first."""
    log = LOGS["inbound"]
    stmt = select(InboundFax).where(InboundFax.finished.is_(False))
    if not caller.is_admin:
        stmt = stmt.where(log.owner_is(caller.username))
    return list(session.scalars(stmt.order_by(InboundFax.id)))


def count(session: Session, caller: Caller, kind: str) -> int:
    log = LOGS[kind]
    model = log.model
    if caller.is_admin and log.only_finished:
        # Every record but the few still open: SQLite counts a whole table from its b-tree pages, where a count
        # of the finished ones would visit each of their index entries.
        rows = select(func.count()).select_from(model).scalar_subquery()
        still_open = select(func.count()).select_from(model).where(model.finished.is_(False)).scalar_subquery()
        return session.scalar(select(rows - still_open)) or 0
    return session.scalar(select(func.count()).select_from(model).where(*log.filters(caller, counting=True))) or 0
