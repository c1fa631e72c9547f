"""The list query of contacts and groups: ``limit``, ``offset`` (only with limit), substring filters, ``order``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select
from starlette.datastructures import QueryParams

from emulator.wire.errors import invalid

# Plain ASCII decimals only (int() would also take "1_0" and "١"). Larger counts mean "all": they are capped so the
# database never sees a number it cannot store.
_COUNT = re.compile(r"-?[0-9]+")
MAX_COUNT = 2**31 - 1


def _count(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not _COUNT.fullmatch(text):
        raise invalid(name, "not a number")
    if text.startswith("-"):
        raise invalid(name, "must not be negative")
    return min(int(text), MAX_COUNT)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class ListQuery:
    limit: int | None
    offset: int
    filters: dict[str, str]
    order: str | None

    @classmethod
    def parse(cls, params: QueryParams, fields: tuple[str, ...]) -> ListQuery:
        limit = _count(params, "limit")
        # The device honours offset only together with limit.
        offset = (_count(params, "offset") or 0) if limit is not None else 0
        filters = {name: params[name] for name in fields if params.get(name)}
        order = params.get("order") or None
        if order is not None and order not in fields:
            raise invalid("order", "must be one of " + ", ".join(fields))
        return cls(limit, offset, filters, order)

    def apply(self, stmt: Select, model: type) -> Select:
        for name, text in self.filters.items():
            stmt = stmt.where(getattr(model, name).ilike(_like_pattern(text), escape="\\"))
        keys = (getattr(model, self.order), model.id) if self.order else (model.id,)
        stmt = stmt.order_by(*keys)
        if self.limit is not None:
            stmt = stmt.limit(self.limit).offset(self.offset)
        return stmt


def oids_text(ids: list[int]) -> str:
    """``1,2,3``: the device's one comma-separated string of IDs."""
    return ",".join(str(i) for i in ids)
