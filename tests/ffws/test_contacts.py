"""Contact functions (03-contacts-groups §3.1–3.5), for a user's phone book and the global one, over HTTP."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state, message_of
from tests.ffws.clients import BASE, create_user
from tests.ffws.helpers import GLOBAL, NO_USER, add_contact, contact_body, element, oids_of

FIELDS = ("name", "fax_number", "phone_number", "organization")
CONTACT_NOT_FOUND = "Contact not found."


def contacts_of(response) -> list[dict[str, str]]:
    """Every ``<contact>`` of a response as {child: text}, asserting the device's child order."""
    assert response.status_code == 200, response.text
    assert message_of(response) == "Success"
    contacts = []
    for contact in etree.fromstring(response.content).findall("contact"):
        assert [child.tag for child in contact] == ["contact_url", *FIELDS]
        contacts.append({child.tag: child.text or "" for child in contact})
    return contacts


def ids_of(response, owner: str = "admin") -> list[int]:
    prefix = f"{BASE}/contacts/{owner}/"
    return [int(c["contact_url"].removeprefix(prefix)) for c in contacts_of(response)]


# -- create, view, edit, delete -------------------------------------------------------------------------------------
def test_add_contact_answers_200_created_with_the_stored_contact(client):
    body = contact_body(
        name="Test Contact", fax_number="218-555-3335", phone_number="218-555-3336", organization="Some org"
    )
    response = client.post("/ffws/v1/contacts/admin", body)
    assert response.status_code == 200
    assert_golden("contact_created", response)


def test_view_contacts_lists_every_contact_of_the_owner(client):
    add_contact(
        client, name="Contact Name", fax_number="218-555-3335", phone_number="218-555-3336", organization="Contacts Org"
    )
    response = client.get("/ffws/v1/contacts/admin")
    assert response.status_code == 200
    assert_golden("contact_list", response)


def test_view_contacts_of_an_empty_phone_book(client):
    response = client.get("/ffws/v1/contacts/admin")
    assert contacts_of(response) == []


@pytest.mark.parametrize("owner", ["admin", "user1", GLOBAL])
def test_contact_life_cycle(client, owner):
    """Admin creates, reads, edits and deletes contacts of itself, of another user and of the global list."""
    create_user(client, "user1")
    first = add_contact(client, owner, name="First", fax_number="1", phone_number="2", organization="O")
    second = add_contact(client, owner, name="Second")
    assert second > first
    assert ids_of(client.get(f"/ffws/v1/contacts/{owner}"), owner) == [first, second]
    one = contacts_of(client.get(f"/ffws/v1/contacts/{owner}/{first}"))
    assert one == [
        {
            "contact_url": f"{BASE}/contacts/{owner}/{first}",
            "name": "First",
            "fax_number": "1",
            "phone_number": "2",
            "organization": "O",
        }
    ]

    response = client.put(f"/ffws/v1/contacts/{owner}/{first}", contact_body(fax_number="99"))
    assert response.status_code == 200
    assert_golden("modified", response)
    assert contacts_of(client.get(f"/ffws/v1/contacts/{owner}/{first}")) == [{**one[0], "fax_number": "99"}]

    response = client.delete(f"/ffws/v1/contacts/{owner}/{first}")
    assert response.status_code == 200
    assert_golden("deleted", response)
    assert_error(client.get(f"/ffws/v1/contacts/{owner}/{first}"), 404, CONTACT_NOT_FOUND)
    assert ids_of(client.get(f"/ffws/v1/contacts/{owner}"), owner) == [second]


def test_user_manages_its_own_contacts(client):
    create_user(client, "user1", "pw1")
    auth = ("user1", "pw1")
    cid = add_contact(client, "user1", auth=auth, name="Mine")
    assert ids_of(client.get("/ffws/v1/contacts/user1", auth=auth), "user1") == [cid]
    assert client.put(f"/ffws/v1/contacts/user1/{cid}", contact_body(name="Renamed"), auth=auth).status_code == 200
    assert contacts_of(client.get(f"/ffws/v1/contacts/user1/{cid}", auth=auth))[0]["name"] == "Renamed"
    assert client.delete(f"/ffws/v1/contacts/user1/{cid}", auth=auth).status_code == 200
    assert oids_of(client.get("/ffws/v1/contact_oids/user1", auth=auth)) == ""


def test_edit_contact_with_every_field(client):
    cid = add_contact(client, name="A", fax_number="1", phone_number="2", organization="3")
    body = contact_body(name="B", fax_number="4", phone_number="5", organization="6")
    assert client.put(f"/ffws/v1/contacts/admin/{cid}", body).status_code == 200
    contact = contacts_of(client.get(f"/ffws/v1/contacts/admin/{cid}"))[0]
    assert [contact[f] for f in FIELDS] == ["B", "4", "5", "6"]


@pytest.mark.parametrize("field", FIELDS)
def test_edit_contact_changes_only_the_field_sent(client, field):
    cid = add_contact(client, name="N", fax_number="F", phone_number="P", organization="O")
    before = contacts_of(client.get(f"/ffws/v1/contacts/admin/{cid}"))[0]
    assert client.put(f"/ffws/v1/contacts/admin/{cid}", contact_body(**{field: "changed"})).status_code == 200
    assert contacts_of(client.get(f"/ffws/v1/contacts/admin/{cid}"))[0] == {**before, field: "changed"}


def test_edit_contact_with_empty_text_clears_it(client):
    cid = add_contact(client, name="N", organization="Org")
    assert client.put(f"/ffws/v1/contacts/admin/{cid}", "<contact><organization/></contact>").status_code == 200
    assert contacts_of(client.get(f"/ffws/v1/contacts/admin/{cid}"))[0]["organization"] == ""


def test_edit_contact_ignores_a_contact_url_in_the_body(client):
    first = add_contact(client, name="First")
    second = add_contact(client, name="Second")
    body = contact_body(contact_url=f"{BASE}/contacts/admin/{second}", name="Changed")
    assert client.put(f"/ffws/v1/contacts/admin/{first}", body).status_code == 200
    names = [c["name"] for c in contacts_of(client.get("/ffws/v1/contacts/admin"))]
    assert names == ["Changed", "Second"]


def test_values_are_stored_and_echoed_verbatim(client):
    cid = add_contact(client, name=" Change name ", fax_number="-218-555-3335", organization="A &amp; B &lt;x&gt;")
    contact = contacts_of(client.get(f"/ffws/v1/contacts/admin/{cid}"))[0]
    assert contact["name"] == " Change name "
    assert contact["fax_number"] == "-218-555-3335"
    assert contact["organization"] == "A & B <x>"
    assert b"<organization>A &amp; B &lt;x&gt;</organization>" in client.get("/ffws/v1/contacts/admin").content


def test_contact_ids_are_not_shared_between_phone_books(client):
    create_user(client, "user1")
    mine = add_contact(client, "admin", name="Admin's")
    theirs = add_contact(client, "user1", name="User1's")
    before = box_state(client.box)
    assert_error(client.get(f"/ffws/v1/contacts/admin/{theirs}"), 404, CONTACT_NOT_FOUND)
    assert_error(client.put(f"/ffws/v1/contacts/admin/{theirs}", contact_body(name="x")), 404, CONTACT_NOT_FOUND)
    assert_error(client.delete(f"/ffws/v1/contacts/{GLOBAL}/{mine}"), 404, CONTACT_NOT_FOUND)
    assert box_state(client.box) == before


# -- contact_oids ---------------------------------------------------------------------------------------------------
def test_contact_oids_is_one_comma_separated_list(client):
    ids = [add_contact(client, name=f"C{i}") for i in range(3)]
    add_contact(client, GLOBAL, name="Global")
    response = client.get("/ffws/v1/contact_oids/admin")
    assert oids_of(response) == ",".join(str(i) for i in ids)
    assert_golden("contact_oids", response)


def test_contact_oids_of_an_empty_phone_book(client):
    response = client.get("/ffws/v1/contact_oids/admin")
    assert response.status_code == 200
    assert b"<oids></oids>" in response.content
    assert_golden("oids_empty", response)


def test_contact_oids_of_the_global_list_and_after_a_delete(client):
    a = add_contact(client, GLOBAL, name="A")
    b = add_contact(client, GLOBAL, name="B")
    c = add_contact(client, GLOBAL, name="C")
    assert client.delete(f"/ffws/v1/contacts/{GLOBAL}/{b}").status_code == 200
    assert oids_of(client.get(f"/ffws/v1/contact_oids/{GLOBAL}")) == f"{a},{c}"


# -- 404 ------------------------------------------------------------------------------------------------------------
NOT_FOUND = [
    pytest.param("GET", "/contacts/nobody", NO_USER, id="list-unknown-user"),
    pytest.param("GET", "/contacts/nobody/1", NO_USER, id="view-unknown-user"),
    pytest.param("POST", "/contacts/nobody", NO_USER, id="add-unknown-user"),
    pytest.param("PUT", "/contacts/nobody/1", CONTACT_NOT_FOUND, id="edit-unknown-user"),
    pytest.param("DELETE", "/contacts/nobody/1", CONTACT_NOT_FOUND, id="delete-unknown-user"),
    pytest.param("GET", "/contact_oids/nobody", CONTACT_NOT_FOUND, id="oids-unknown-user"),
    pytest.param("GET", "/contacts/admin/999", CONTACT_NOT_FOUND, id="view-unknown-id"),
    pytest.param("PUT", "/contacts/admin/999", CONTACT_NOT_FOUND, id="edit-unknown-id"),
    pytest.param("DELETE", "/contacts/admin/999", CONTACT_NOT_FOUND, id="delete-unknown-id"),
    pytest.param("GET", f"/contacts/{GLOBAL}/999", CONTACT_NOT_FOUND, id="view-unknown-global-id"),
    pytest.param("DELETE", f"/contacts/{GLOBAL}/999", CONTACT_NOT_FOUND, id="delete-unknown-global-id"),
]
BAD_IDS = ["abc", "1.0", "-1", "+1", "0x1", "%D9%A1", "%C2%B2", "99999999999999999999999"]


@pytest.mark.parametrize(("method", "path", "message"), NOT_FOUND)
def test_unknown_owner_or_contact_is_404(client, method, path, message):
    add_contact(client, name="Exists")
    before = box_state(client.box)
    body = contact_body(name="x") if method in ("POST", "PUT") else None
    assert_error(client.request(method, f"/ffws/v1{path}", body), 404, message)
    assert box_state(client.box) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("raw_id", BAD_IDS)
def test_non_numeric_or_huge_contact_id_is_404(client, method, raw_id):
    add_contact(client, name="Exists")  # ID 1: an ID that only looks like 1 must not reach it
    before = box_state(client.box)
    body = contact_body(name="x") if method == "PUT" else None
    assert_error(client.request(method, f"/ffws/v1/contacts/admin/{raw_id}", body), 404, CONTACT_NOT_FOUND)
    assert box_state(client.box) == before


# -- 400 ------------------------------------------------------------------------------------------------------------
ADD_ERRORS = [
    pytest.param(contact_body(fax_number="1"), "invalid name: empty", id="no-name"),
    pytest.param(contact_body(name="", fax_number="1"), "invalid name: empty", id="empty-name"),
    pytest.param(contact_body(name="  "), "invalid name: empty", id="blank-name"),
    pytest.param("<contact><name/></contact>", "invalid name: empty", id="self-closed-name"),
    *(
        pytest.param(
            contact_body(**{"name": "N", field: "x" * 256}),
            f"invalid {field}: longer than 255 characters",
            id=f"{field}-too-long",
        )
        for field in FIELDS
    ),
    pytest.param("", "The provided XML is not valid: the document is empty", id="empty-body"),
    pytest.param(" \r\n ", "The provided XML is not valid: the document is empty", id="blank-body"),
    pytest.param(element("user", name="x"), "invalid root element: expected <contact>, got <user>", id="wrong-root"),
    pytest.param(
        '<!DOCTYPE contact SYSTEM "http://example.invalid/x.dtd"><contact><name>x</name></contact>',
        "The provided XML is not valid: a DOCTYPE is not allowed",
        id="doctype",
    ),
]


@pytest.mark.parametrize(("body", "message"), ADD_ERRORS)
def test_add_contact_refuses_invalid_bodies(client, body, message):
    before = box_state(client.box)
    assert_error(client.post("/ffws/v1/contacts/admin", body), 400, message)
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    "body",
    [
        "<contact><name>x</contact>",
        "<contact><name>x</name></contact><contact/>",
        "not xml at all",
        "<contact>",
        "<contact><name>&xxe;</name></contact>",
    ],
    ids=["mismatched-tag", "two-roots", "text", "unclosed", "undefined-entity"],
)
def test_add_contact_refuses_malformed_xml(client, body):
    before = box_state(client.box)
    response = client.post("/ffws/v1/contacts/admin", body)
    assert response.status_code == 400
    assert message_of(response).startswith("The provided XML is not valid")
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (contact_body(name=""), "invalid name: empty"),
        (contact_body(name=" "), "invalid name: empty"),
        (contact_body(phone_number="p" * 256), "invalid phone_number: longer than 255 characters"),
        (contact_body(organization="ok", fax_number="f" * 256), "invalid fax_number: longer than 255 characters"),
        ("", "The provided XML is not valid: the document is empty"),
        ("<contact><name>x</name>", None),
        (element("contact_group", name="x"), "invalid root element: expected <contact>, got <contact_group>"),
    ],
    ids=["empty-name", "blank-name", "too-long", "valid-and-invalid", "empty-body", "malformed", "wrong-root"],
)
def test_edit_contact_refuses_invalid_bodies(client, body, message):
    cid = add_contact(client, name="Kept", organization="Kept")
    before = box_state(client.box)
    response = client.put(f"/ffws/v1/contacts/admin/{cid}", body)
    if message is None:
        assert response.status_code == 400
        assert message_of(response).startswith("The provided XML is not valid")
    else:
        assert_error(response, 400, message)
    assert box_state(client.box) == before


# -- list queries: limit, offset, filters, order --------------------------------------------------------------------
PHONE_BOOK = [  # inserted in this order; each field sorts them differently
    {"name": "Carol Smith", "fax_number": "300", "phone_number": "20", "organization": "Acme"},
    {"name": "Alice Smith", "fax_number": "100", "phone_number": "40", "organization": "Delta"},
    {"name": "Bob Jones", "fax_number": "400", "phone_number": "10", "organization": "Acme Corp"},
    {"name": "Dave Brown", "fax_number": "200", "phone_number": "30", "organization": "Beta"},
]


@pytest.fixture
def phone_book(client) -> list[int]:
    """Four admin contacts (IDs in PHONE_BOOK order) and a global one that no admin list must show."""
    ids = [add_contact(client, **fields) for fields in PHONE_BOOK]
    add_contact(client, GLOBAL, name="Global Smith", organization="Acme")
    return ids


def names(response) -> list[str]:
    return [c["name"] for c in contacts_of(response)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),
        ("limit=2", ["Carol Smith", "Alice Smith"]),
        ("limit=0", []),
        ("limit=10", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),
        ("limit=2&offset=1", ["Alice Smith", "Bob Jones"]),
        ("limit=2&offset=3", ["Dave Brown"]),
        ("limit=2&offset=4", []),
        ("offset=2", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),  # offset alone is ignored
        ("offset=abc", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),  # ... even when invalid
        ("limit=&offset=2", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),  # empty limit = none
        ("name=Smith", ["Carol Smith", "Alice Smith"]),
        ("name=smith", ["Carol Smith", "Alice Smith"]),
        ("fax_number=00", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),
        ("fax_number=30", ["Carol Smith"]),
        ("phone_number=4", ["Alice Smith"]),
        ("organization=acme", ["Carol Smith", "Bob Jones"]),
        ("organization=Acme&name=Smith", ["Carol Smith"]),
        ("organization=Acme&name=Brown", []),
        ("name=%25", []),  # a literal %, not a wildcard
        ("name=_", []),  # a literal _, not a wildcard
        ("name=", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),  # empty filter = none
        ("email_address=x", ["Carol Smith", "Alice Smith", "Bob Jones", "Dave Brown"]),  # unknown parameter
        ("order=name", ["Alice Smith", "Bob Jones", "Carol Smith", "Dave Brown"]),
        ("order=fax_number", ["Alice Smith", "Dave Brown", "Carol Smith", "Bob Jones"]),
        ("order=phone_number", ["Bob Jones", "Carol Smith", "Dave Brown", "Alice Smith"]),
        ("order=organization", ["Carol Smith", "Bob Jones", "Dave Brown", "Alice Smith"]),
        ("order=name&limit=2&offset=1", ["Bob Jones", "Carol Smith"]),
        ("order=name&name=Smith&limit=1", ["Alice Smith"]),
    ],
)
def test_view_contacts_query(client, phone_book, query, expected):
    assert names(client.get(f"/ffws/v1/contacts/admin?{query}")) == expected


def test_global_list_query(client, phone_book):
    assert names(client.get(f"/ffws/v1/contacts/{GLOBAL}?organization=acme")) == ["Global Smith"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "invalid limit: not a number"),
        ("limit=1.5", "invalid limit: not a number"),
        ("limit=1_0", "invalid limit: not a number"),
        ("limit=%D9%A1", "invalid limit: not a number"),
        ("limit=-1", "invalid limit: must not be negative"),
        ("limit=2&offset=abc", "invalid offset: not a number"),
        ("limit=2&offset=-3", "invalid offset: must not be negative"),
        ("order=email_address", "invalid order: must be one of name, fax_number, phone_number, organization"),
        ("order=id", "invalid order: must be one of name, fax_number, phone_number, organization"),
        ("order=name;drop", "invalid order: must be one of name, fax_number, phone_number, organization"),
    ],
)
def test_view_contacts_refuses_bad_query(client, phone_book, query, message):
    before = box_state(client.box)
    assert_error(client.get(f"/ffws/v1/contacts/admin?{query}"), 400, message)
    assert box_state(client.box) == before


def test_huge_limit_and_offset_are_not_errors(client, phone_book):
    huge = "9" * 30
    assert len(names(client.get(f"/ffws/v1/contacts/admin?limit={huge}"))) == 4
    assert names(client.get(f"/ffws/v1/contacts/admin?limit=1&offset={huge}")) == []


# -- liberal parsing (13-client-contract R3-R7) --------------------------------------------------------------------
LIBERAL_BODIES = {
    "double-quoted-declaration": '<?xml version="1.0" encoding="UTF-8"?>\n<contact><name>L</name></contact>\n',
    "single-quoted-declaration": "<?xml version='1.0' encoding='UTF-8'?><contact><name>L</name></contact>",
    "no-declaration": "<contact><name>L</name></contact>",
    "crlf-and-indent": "<?xml version='1.0'?>\r\n<contact>\r\n    <name>L</name>\r\n</contact>\r\n",
    "leading-blank-lines": "\r\n\n  <contact><name>L</name></contact>",
    "any-order": "<contact><organization>O</organization><fax_number>F</fax_number><name>L</name></contact>",
    "unknown-children": "<contact><comment>c</comment><name>L</name><extra><deep>1</deep></extra></contact>",
    "self-closed-empties": "<contact><name>L</name><fax_number/><phone_number></phone_number></contact>",
    "first-name-empty": "<contact><name></name><name>L</name></contact>",
    "first-name-self-closed": "<contact><name/><name>L</name></contact>",
    "comments": "<!-- a --><contact><!-- b --><name>L</name></contact>",
    "namespace": '<contact xmlns="urn:x"><name>L</name></contact>',
    "utf8-bom": "\ufeff<contact><name>L</name></contact>",
}


@pytest.mark.parametrize("body", LIBERAL_BODIES.values(), ids=LIBERAL_BODIES.keys())
@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", None])
def test_liberal_request_bodies_are_accepted(client, body, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/ffws/v1/contacts/admin", body, headers=headers)
    assert response.status_code == 200, response.text
    stored = contacts_of(client.get("/ffws/v1/contacts/admin"))
    assert [c["name"] for c in stored] == ["L"]


def test_latin1_declared_body_is_decoded(client):
    body = b"<?xml version='1.0' encoding='ISO-8859-1'?><contact><name>Caf\xe9</name></contact>"
    assert client.post("/ffws/v1/contacts/admin", body).status_code == 200
    assert names(client.get("/ffws/v1/contacts/admin")) == ["Café"]


def test_invalid_utf8_is_400(client):
    before = box_state(client.box)
    response = client.post("/ffws/v1/contacts/admin", b"<contact><name>Caf\xe9</name></contact>")
    assert response.status_code == 400
    assert message_of(response).startswith("The provided XML is not valid: Invalid bytes in character encoding")
    assert box_state(client.box) == before


def test_liberal_edit_any_order_and_unknown_children(client):
    cid = add_contact(client, name="N", fax_number="F")
    body = "<?xml version='1.0'?>\r\n<contact><zzz/><fax_number>G</fax_number><name/><name>M</name></contact>"
    assert client.put(f"/ffws/v1/contacts/admin/{cid}", body, headers={"content-type": "text/xml"}).status_code == 200
    contact = contacts_of(client.get(f"/ffws/v1/contacts/admin/{cid}"))[0]
    assert (contact["name"], contact["fax_number"]) == ("M", "G")


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", None])
def test_get_and_delete_may_carry_a_content_type_and_no_body(client, content_type):
    cid = add_contact(client, name="N")
    headers = {"content-type": content_type, "accept": "*/*"} if content_type else {}
    assert client.get("/ffws/v1/contacts/admin", headers=headers).status_code == 200
    assert client.get("/ffws/v1/contact_oids/admin", headers=headers).status_code == 200
    assert client.delete(f"/ffws/v1/contacts/admin/{cid}", headers=headers).status_code == 200
