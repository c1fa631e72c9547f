"""The list query of contacts and groups: ``limit``, ``offset`` (only with limit), substring filters, ``order``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select
from starlette.datastructures import QueryParams

from emulator.ffws.fields import count_param
from emulator.wire.errors import invalid


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_pattern(text: str) -> str:
    return f"%{escape_like(text)}%"


LIST_PARAMS = ("limit", "offset", "order")  # and one substring filter per field


@dataclass(frozen=True)
class ListQuery:
    limit: int | None
    offset: int
    filters: dict[str, str]
    order: str | None

    @classmethod
    def parse(cls, params: QueryParams, fields: tuple[str, ...]) -> ListQuery:
        limit = count_param(params, "limit", None)
        # The device honours offset only together with limit.
        offset = (count_param(params, "offset", 0) or 0) if limit is not None else 0
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
