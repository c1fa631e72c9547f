"""The ``<user>`` element ⇄ plain data, in the device's order (09 §9.4)."""

from __future__ import annotations

from typing import Any

from emulator.ffws.fields import Bool, Choice, Field, Int, Text, read_fields
from emulator.ffws.users.models import User
from emulator.wire import Elem, XNode, el
from emulator.wire.tolerance import Shape, leaves

RECEIPTS = ("never", "failure", "success", "always")
RECEIPT_ATTACHMENTS = ("none", "pdf", "tif", "tiff")
# success, tif and tiff are the web interface's options, taken but seen in no request (Q-ELM-2); always is R11's.
RECEIPT = Choice(RECEIPTS, attested=("never", "failure", "always"))
RECEIPT_ATTACHMENT = Choice(RECEIPT_ATTACHMENTS, attested=("none", "pdf"))

USER_FIELDS: dict[str, Field] = {
    "name": Text(required=True),
    "username": Text(max_length=64, required=True),
    "password": Text(max_length=128, required=True),
    "email_address": Text(),
    "phone_number": Text(),
    "fax_number": Text(),
    "organization": Text(),
    "default_cover_page_enabled": Bool(),
    "default_cover_page_name": Text(),
    "priority": Int(0, 9),
    "max_attempts": Int(1, 99),
    "interval": Int(0, 86400),
    "receipt": RECEIPT,
    "receipt_attachment": RECEIPT_ATTACHMENT,
}
USER = Shape(leaves("user_url", *USER_FIELDS))  # user_url: a record read back and sent again (ignored)


def read_user(node: XNode) -> dict[str, Any]:
    return read_fields(node, USER_FIELDS)


def user_element(user: User, base: str) -> Elem:
    return el(
        "user",
        [
            el("user_url", f"{base}/users/{user.username}"),
            el("name", user.name),
            el("username", user.username),
            el("email_address", user.email_address),
            el("phone_number", user.phone_number),
            el("fax_number", user.fax_number),
            el("organization", user.organization),
            el("default_cover_page_enabled", user.default_cover_page_enabled),
            el("default_cover_page_name", user.default_cover_page_name),
            el("priority", user.priority),
            el("max_attempts", user.max_attempts),
            el("interval", user.interval),
            el("receipt", user.receipt),
            el("receipt_attachment", user.receipt_attachment),
        ],
    )
