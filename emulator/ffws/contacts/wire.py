"""The ``<contact>`` element ⇄ plain data (09 §9.5)."""

from __future__ import annotations

from typing import Any

from emulator.ffws.contacts.models import Contact
from emulator.ffws.fields import Field, Text, read_fields
from emulator.wire import Elem, XNode, el
from emulator.wire.tolerance import Shape, leaves

CONTACT_FIELDS: dict[str, Field] = {
    "name": Text(required=True),
    "fax_number": Text(),
    "phone_number": Text(),
    "organization": Text(),
}
FILTER_FIELDS = ("name", "fax_number", "phone_number", "organization")
CONTACT = Shape(leaves("contact_url", *CONTACT_FIELDS))  # contact_url: a record sent back (ignored)


def read_contact(node: XNode) -> dict[str, Any]:
    return read_fields(node, CONTACT_FIELDS)


def contact_url(base: str, owner: str, contact_id: int) -> str:
    return f"{base}/contacts/{owner}/{contact_id}"


def contact_element(contact: Contact, base: str) -> Elem:
    return el(
        "contact",
        [
            el("contact_url", contact_url(base, contact.owner, contact.id)),
            el("name", contact.name),
            el("fax_number", contact.fax_number),
            el("phone_number", contact.phone_number),
            el("organization", contact.organization),
        ],
    )
