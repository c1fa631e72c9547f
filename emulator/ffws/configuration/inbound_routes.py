"""Inbound routes (12.3): who receives a fax — global, by dialled extension (recipient), or by line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator.device.config import InboundRoute, RouteDestination
from emulator.ffws.fields import Choice, Field, Int, Text, id_or_404, read_fields
from emulator.ffws.users.service import find_user
from emulator.wire import Elem, FFWSError, XNode, el
from emulator.wire.errors import invalid
from emulator.wire.tolerance import Shape, leaves

ROUTE_TYPES = ("global", "line", "recipient")
DESTINATION_TYPES = ("user", "email", "printer", "share", "trash")
NOT_FOUND = "Inbound route not found."

ROUTE_FIELDS: dict[str, Field] = {
    "type": Choice(ROUTE_TYPES),
    "line_number": Int(1, 24),
    "extension": Text(15),
    "name": Text(),
}
DESTINATION_FIELDS: dict[str, Field] = {"type": Choice(DESTINATION_TYPES), "value": Text()}
ROUTE = Shape(
    {**leaves("inbound_route_url", *ROUTE_FIELDS), "destination": Shape(leaves(*DESTINATION_FIELDS))},
    repeated=frozenset({"destination"}),
)


def _read_destination(node: XNode) -> dict[str, Any]:
    """A destination's fields; a bad one is named ``destination type`` (``type`` alone would be the route's)."""
    values = {}
    for name, field in DESTINATION_FIELDS.items():
        raw = node.value(name)
        value = field.read(f"destination {name}", raw) if raw is not None else None
        if value is not None:
            values[name] = value
    return values


def read_route(node: XNode) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    destinations = [_read_destination(d) for d in node.all("destination")]
    return read_fields(node, ROUTE_FIELDS), (destinations if node.has("destination") else None)


def _check_destination(session: Session, destination: dict[str, Any]) -> tuple[str, str]:
    kind, value = destination.get("type"), destination.get("value", "").strip()
    if kind is None:
        raise invalid("destination type", "empty")
    if kind == "user" and find_user(session, value) is None:
        raise invalid("destination value", f"no user named {value}")
    if kind == "email" and "@" not in value:
        raise invalid("destination value", f"not an e-mail address: {value}")
    if kind in ("printer", "share") and not value:
        raise invalid("destination value", "empty")
    return kind, ("" if kind == "trash" else value)


def _check_route(values: dict[str, Any], lines: int) -> None:
    kind = values.get("type")
    if kind is None:
        raise invalid("type", "empty")
    # A route that becomes a line route keeps its line_number of None: that is "missing", not a crash.
    if kind == "line" and not 1 <= (values.get("line_number") or 0) <= lines:
        raise invalid("line_number", f"out of range (1-{lines})")
    extension = values.get("extension", "")
    if kind == "recipient" and not (extension.isascii() and extension.isdigit() and 1 <= len(extension) <= 15):
        raise invalid("extension", "1 to 15 digits")


def get_route(session: Session, raw_id: str) -> InboundRoute:
    route = session.get(InboundRoute, id_or_404(raw_id, NOT_FOUND))
    if route is None:
        raise FFWSError(404, NOT_FOUND)
    return route


def save_route(
    session: Session,
    route: InboundRoute | None,
    values: dict[str, Any],
    destinations: list[dict[str, Any]] | None,
    lines: int,
) -> InboundRoute:
    """Create (route None) or change a route; everything is checked before anything is written."""
    current = {"type": route.type, "line_number": route.line_number, "extension": route.extension} if route else {}
    merged = {**current, **values}
    _check_route(merged, lines)
    checked = [_check_destination(session, d) for d in destinations] if destinations is not None else None
    if route is None:
        route = InboundRoute(type=merged["type"])
        session.add(route)
    route.type = merged["type"]
    route.line_number = merged.get("line_number") if route.type == "line" else None
    route.extension = merged.get("extension", "") if route.type == "recipient" else ""
    route.name = values.get("name", route.name or "")
    if checked is not None:
        route.destinations = [RouteDestination(position=i, type=t, value=v) for i, (t, v) in enumerate(checked)]
    session.flush()
    return route


def all_routes(session: Session) -> list[InboundRoute]:
    return list(session.scalars(select(InboundRoute).order_by(InboundRoute.id)))


def route_element(route: InboundRoute, base: str) -> Elem:
    children: list[Elem] = [
        el("inbound_route_url", f"{base}/inbound_routes/{route.id}"),
        el("type", route.type),
        el("line_number", route.line_number if route.line_number is not None else ""),
        el("extension", route.extension),
        el("name", route.name),
    ]
    children += [el("destination", [el("type", d.type), el("value", d.value)]) for d in route.destinations]
    return el("inbound_route", children)
