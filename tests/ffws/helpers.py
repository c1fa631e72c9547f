"""Small request helpers and device messages shared by the user, contact, group, auth and error tests.

Users are made with ``tests.ffws.clients.create_user``. ``element`` here writes field values as given (no escaping),
so that a test can send pre-escaped or deliberately odd text; ``tests.ffws.clients.element`` escapes.
"""

from __future__ import annotations

from lxml import etree

from tests.conftest import ADMIN
from tests.ffws.clients import BASE

GLOBAL = "global_contact_list"
NO_USER = "No user found with that username."
VIEW_DENIED = "Authenticated user does not have permission to view data associated with username."
CHANGE_DENIED = "Authenticated user does not have permission to change data associated with username."
EDIT_DENIED = "Authenticated user does not have permission to change data."


def element(root: str, **fields: object) -> str:
    return f"<{root}>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + f"</{root}>"


def contact_body(**fields: object) -> str:
    return element("contact", **fields)


def add_contact(client, owner: str = "admin", auth: tuple[str, str] = ADMIN, **fields: object) -> int:
    """Create a contact and return its ID (taken from the contact_url the device answers with)."""
    fields.setdefault("name", "Someone")
    response = client.post(f"/ffws/v1/contacts/{owner}", contact_body(**fields), auth=auth)
    assert response.status_code == 200, response.text
    url = etree.fromstring(response.content).findtext("contact/contact_url")
    prefix = f"{BASE}/contacts/{owner}/"
    assert url.startswith(prefix)
    return int(url[len(prefix) :])


def oids_of(response) -> str:
    """The ``<oids>`` of a contact_oids or contact_group_oids answer, asserting its shape and its message."""
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert [child.tag for child in root] == ["message", "oids"]
    assert root.findtext("message") == "Success"
    return root.findtext("oids")
