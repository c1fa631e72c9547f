"""The ``<contact_group>`` element ⇄ plain data (09 §9.6). Members are absolute contact URLs."""

from __future__ import annotations

from typing import Any

from emulator.ffws.contacts.wire import contact_url
from emulator.ffws.fields import Field, Text, read_fields
from emulator.ffws.groups.models import ContactGroup
from emulator.wire import Elem, XNode, el
from emulator.wire.tolerance import Shape, leaves

GROUP_FIELDS: dict[str, Field] = {"name": Text(required=True), "description": Text()}
FILTER_FIELDS = ("name", "description")
# contact_group_url: the guide's own PUT example sends one (Q-GRP-2); the path wins.
GROUP = Shape(leaves("contact_group_url", *GROUP_FIELDS, "contact"), repeated=frozenset({"contact"}))


def read_group(node: XNode) -> tuple[dict[str, Any], list[str] | None]:
    """The group's fields and its member URLs (None when the request lists no ``<contact>``)."""
    members = [child.text.strip() for child in node.all("contact")]
    if not members:
        return read_fields(node, GROUP_FIELDS), None
    return read_fields(node, GROUP_FIELDS), [m for m in members if m]


def group_url(base: str, owner: str, group_id: int) -> str:
    return f"{base}/contact_groups/{owner}/{group_id}"


def group_element(group: ContactGroup, base: str) -> Elem:
    children: list[Elem] = [
        el("contact_group_url", group_url(base, group.owner, group.id)),
        el("name", group.name),
        el("description", group.description),
    ]
    children += [el("contact", contact_url(base, m.contact_owner, m.contact_id)) for m in group.members]
    return el("contact_group", children)
