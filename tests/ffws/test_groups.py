"""Group functions (03-contacts-groups §3.6–3.10): groups of contacts, members given as contact URLs."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state, message_of
from tests.ffws.clients import BASE, create_user
from tests.ffws.helpers import GLOBAL, NO_USER, add_contact, element, oids_of

NO_GROUP = "No group found with that username."
NO_GROUP_FOR = "No group found for that username."


def group_body(*members: str, **fields: object) -> str:
    """A ``<contact_group>`` with the given fields followed by one ``<contact>`` per member URL."""
    children = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    children += "".join(f"<contact>{url}</contact>" for url in members)
    return f"<contact_group>{children}</contact_group>"


def curl(owner: str, contact_id: int) -> str:
    return f"{BASE}/contacts/{owner}/{contact_id}"


def add_group(client, owner: str = "admin", *members: str, auth=("admin", "admin"), **fields: object) -> int:
    fields.setdefault("name", "Group")
    response = client.post(f"/ffws/v1/contact_groups/{owner}", group_body(*members, **fields), auth=auth)
    assert response.status_code == 200, response.text
    url = etree.fromstring(response.content).findtext("contact_group/contact_group_url")
    assert url.startswith(f"{BASE}/contact_groups/{owner}/")
    return int(url.rsplit("/", 1)[1])


def groups_of(response) -> list[dict]:
    """Every ``<contact_group>`` as {url, name, description, members}, asserting the device's child order."""
    assert response.status_code == 200, response.text
    groups = []
    for group in etree.fromstring(response.content).findall("contact_group"):
        tags = [child.tag for child in group]
        assert tags[:3] == ["contact_group_url", "name", "description"]
        assert set(tags[3:]) <= {"contact"}
        groups.append(
            {
                "url": group.findtext("contact_group_url"),
                "name": group.findtext("name"),
                "description": group.findtext("description"),
                "members": [c.text for c in group.findall("contact")],
            }
        )
    return groups


def group(client, owner: str, group_id: int, auth=("admin", "admin")) -> dict:
    response = client.get(f"/ffws/v1/contact_groups/{owner}/{group_id}", auth=auth)
    assert message_of(response) == "Success"
    [only] = groups_of(response)
    return only


# -- create, view, edit, delete -------------------------------------------------------------------------------------
def test_add_group_answers_200_created_with_members_in_request_order(client):
    first, second = add_contact(client, name="A"), add_contact(client, name="B")
    body = group_body(
        curl("admin", first),
        curl("admin", second),
        name="New Group from API",
        description="Can I create one from the API",
    )
    response = client.post("/ffws/v1/contact_groups/admin", body)
    assert response.status_code == 200
    assert_golden("group_created", response)


def test_view_groups_lists_groups_with_their_members(client):
    """The guide's example (§3.6): members are the owner's contacts and global ones."""
    own1, own2 = add_contact(client, name="1"), add_contact(client, name="2")
    glob3, glob4 = add_contact(client, GLOBAL, name="3"), add_contact(client, GLOBAL, name="4")
    members = [curl("admin", own1), curl("admin", own2), curl(GLOBAL, glob3)]
    add_group(client, "admin", *members, name="g one", description="g one")
    add_group(client, "admin", curl("admin", own2), curl(GLOBAL, glob4), name="g two", description="g two org")
    response = client.get("/ffws/v1/contact_groups/admin")
    assert response.status_code == 200
    assert_golden("group_list", response)


def test_members_are_echoed_in_request_order(client):
    a, b, c = (add_contact(client, name=n) for n in "abc")
    g = add_contact(client, GLOBAL, name="g")
    order = [curl("admin", c), curl(GLOBAL, g), curl("admin", a), curl("admin", b)]
    gid = add_group(client, "admin", *order)
    assert group(client, "admin", gid)["members"] == order
    assert groups_of(client.get("/ffws/v1/contact_groups/admin"))[0]["members"] == order


def test_group_without_members(client):
    gid = add_group(client, "admin", name="Empty", description="none")
    assert group(client, "admin", gid) == {
        "url": f"{BASE}/contact_groups/admin/{gid}",
        "name": "Empty",
        "description": "none",
        "members": [],
    }


@pytest.mark.parametrize("owner", ["admin", "user1", GLOBAL])
def test_group_life_cycle(client, owner):
    """Admin creates, reads, edits and deletes groups of itself, of another user and of the global list."""
    create_user(client, "user1")
    c1, c2 = add_contact(client, owner, name="c1"), add_contact(client, owner, name="c2")
    gid = add_group(client, owner, curl(owner, c1), name="G", description="D")
    assert group(client, owner, gid) == {
        "url": f"{BASE}/contact_groups/{owner}/{gid}",
        "name": "G",
        "description": "D",
        "members": [curl(owner, c1)],
    }
    response = client.put(f"/ffws/v1/contact_groups/{owner}/{gid}", group_body(curl(owner, c2), curl(owner, c1)))
    assert response.status_code == 200
    assert_golden("modified", response)
    assert group(client, owner, gid)["members"] == [curl(owner, c2), curl(owner, c1)]

    response = client.delete(f"/ffws/v1/contact_groups/{owner}/{gid}")
    assert response.status_code == 200
    assert_golden("deleted", response)
    assert_error(client.get(f"/ffws/v1/contact_groups/{owner}/{gid}"), 404, NO_GROUP)
    assert groups_of(client.get(f"/ffws/v1/contact_groups/{owner}")) == []
    # Deleting a group keeps its contacts.
    assert oids_of(client.get(f"/ffws/v1/contact_oids/{owner}")) == f"{c1},{c2}"


def test_user_manages_its_own_groups_with_own_and_global_members(client):
    create_user(client, "user1", "pw1")
    auth = ("user1", "pw1")
    own = add_contact(client, "user1", name="own", auth=auth)
    shared = add_contact(client, GLOBAL, name="shared")
    gid = add_group(client, "user1", curl("user1", own), curl(GLOBAL, shared), auth=auth, name="Mine")
    assert group(client, "user1", gid, auth=auth)["members"] == [curl("user1", own), curl(GLOBAL, shared)]
    assert client.put(f"/ffws/v1/contact_groups/user1/{gid}", group_body(name="Renamed"), auth=auth).status_code == 200
    assert group(client, "user1", gid, auth=auth)["name"] == "Renamed"
    assert oids_of(client.get("/ffws/v1/contact_group_oids/user1", auth=auth)) == str(gid)
    assert client.delete(f"/ffws/v1/contact_groups/user1/{gid}", auth=auth).status_code == 200
    assert oids_of(client.get("/ffws/v1/contact_group_oids/user1", auth=auth)) == ""


def test_edit_without_contacts_keeps_the_members(client):
    a, b = add_contact(client, name="a"), add_contact(client, name="b")
    gid = add_group(client, "admin", curl("admin", a), curl("admin", b), name="N", description="D")
    assert client.put(f"/ffws/v1/contact_groups/admin/{gid}", group_body(description="New")).status_code == 200
    assert group(client, "admin", gid) == {
        "url": f"{BASE}/contact_groups/admin/{gid}",
        "name": "N",
        "description": "New",
        "members": [curl("admin", a), curl("admin", b)],
    }


def test_edit_with_contacts_replaces_the_members_and_keeps_the_fields(client):
    a, b, c = (add_contact(client, name=n) for n in "abc")
    gid = add_group(client, "admin", curl("admin", a), curl("admin", b), name="N", description="D")
    assert client.put(f"/ffws/v1/contact_groups/admin/{gid}", group_body(curl("admin", c))).status_code == 200
    assert group(client, "admin", gid) == {
        "url": f"{BASE}/contact_groups/admin/{gid}",
        "name": "N",
        "description": "D",
        "members": [curl("admin", c)],
    }


def test_edit_ignores_a_contact_group_url_pointing_elsewhere(client):
    """The guide's PUT example carries the URL of another group: the path names the group (Q-GRP-2)."""
    a = add_contact(client, name="a")
    first = add_group(client, "admin", name="first")
    second = add_group(client, "admin", name="second")
    body = group_body(
        curl("admin", a), contact_group_url=f"{BASE}/contact_groups/admin/{first}", name="changed", description="x"
    )
    assert client.put(f"/ffws/v1/contact_groups/admin/{second}", body).status_code == 200
    assert group(client, "admin", first) == {
        "url": f"{BASE}/contact_groups/admin/{first}",
        "name": "first",
        "description": "",
        "members": [],
    }
    assert group(client, "admin", second)["name"] == "changed"
    assert group(client, "admin", second)["members"] == [curl("admin", a)]


def test_add_group_ignores_a_contact_group_url_in_the_body(client):
    gid = add_group(client, "admin", contact_group_url=f"{BASE}/contact_groups/admin/77", name="N")
    assert gid != 77
    assert groups_of(client.get("/ffws/v1/contact_groups/admin"))[0]["url"] == f"{BASE}/contact_groups/admin/{gid}"


def test_member_urls_are_matched_by_path_and_echoed_with_this_host(client):
    a, b = add_contact(client, name="a"), add_contact(client, name="b")
    gid = add_group(
        client,
        "admin",
        f"https://172.16.128.5/ffws/v1/contacts/admin/{a}",
        f"http://dot3/ffws/v1/contacts/admin/{b}/",
        name="hosts",
    )
    assert group(client, "admin", gid)["members"] == [curl("admin", a), curl("admin", b)]


def test_deleting_a_contact_removes_it_from_every_group(client):
    create_user(client, "user1", "pw1")
    own, keep = add_contact(client, name="own"), add_contact(client, name="keep")
    shared = add_contact(client, GLOBAL, name="shared")
    mine = add_group(client, "admin", curl("admin", own), curl(GLOBAL, shared), curl("admin", keep), name="mine")
    theirs = add_group(client, "user1", curl(GLOBAL, shared), name="theirs")
    glob = add_group(client, GLOBAL, curl(GLOBAL, shared), name="global")

    assert client.delete(f"/ffws/v1/contacts/{GLOBAL}/{shared}").status_code == 200
    assert group(client, "admin", mine)["members"] == [curl("admin", own), curl("admin", keep)]
    assert group(client, "user1", theirs)["members"] == []
    assert group(client, GLOBAL, glob)["members"] == []

    assert client.delete(f"/ffws/v1/contacts/admin/{own}").status_code == 200
    assert group(client, "admin", mine)["members"] == [curl("admin", keep)]


# -- contact_group_oids ---------------------------------------------------------------------------------------------
def test_group_oids_is_one_comma_separated_list(client):
    ids = [add_group(client, "admin", name=f"g{i}") for i in range(3)]
    add_group(client, GLOBAL, name="global")
    response = client.get("/ffws/v1/contact_group_oids/admin")
    assert oids_of(response) == ",".join(str(i) for i in ids)
    assert_golden("group_oids", response)


def test_group_oids_of_the_global_list_and_of_none(client):
    response = client.get(f"/ffws/v1/contact_group_oids/{GLOBAL}")
    assert oids_of(response) == ""
    assert_golden("oids_empty", response)
    gid = add_group(client, GLOBAL, name="g")
    assert oids_of(client.get(f"/ffws/v1/contact_group_oids/{GLOBAL}")) == str(gid)


# -- 404 ------------------------------------------------------------------------------------------------------------
NOT_FOUND = [
    pytest.param("GET", "/contact_groups/nobody", NO_USER, id="list-unknown-user"),
    pytest.param("GET", "/contact_groups/nobody/1", NO_USER, id="view-unknown-user"),
    pytest.param("POST", "/contact_groups/nobody", NO_USER, id="add-unknown-user"),
    pytest.param("PUT", "/contact_groups/nobody/1", NO_USER, id="edit-unknown-user"),
    pytest.param("DELETE", "/contact_groups/nobody/1", NO_GROUP, id="delete-unknown-user"),
    pytest.param("GET", "/contact_group_oids/nobody", NO_GROUP_FOR, id="oids-unknown-user"),
    pytest.param("GET", "/contact_groups/admin/999", NO_GROUP, id="view-unknown-id"),
    pytest.param("PUT", "/contact_groups/admin/999", NO_GROUP, id="edit-unknown-id"),
    pytest.param("DELETE", "/contact_groups/admin/999", NO_GROUP, id="delete-unknown-id"),
    pytest.param("GET", f"/contact_groups/{GLOBAL}/1", NO_GROUP, id="admin-group-under-global"),
    pytest.param("DELETE", f"/contact_groups/{GLOBAL}/1", NO_GROUP, id="delete-admin-group-under-global"),
]
BAD_IDS = ["abc", "1.0", "-1", "%D9%A1", "%C2%B2", "99999999999999999999999"]


@pytest.mark.parametrize(("method", "path", "message"), NOT_FOUND)
def test_unknown_owner_or_group_is_404(client, method, path, message):
    assert add_group(client, "admin", name="Exists") == 1
    before = box_state(client.box)
    body = group_body(name="x") if method in ("POST", "PUT") else None
    assert_error(client.request(method, f"/ffws/v1{path}", body), 404, message)
    assert box_state(client.box) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("raw_id", BAD_IDS)
def test_non_numeric_or_huge_group_id_is_404(client, method, raw_id):
    assert add_group(client, "admin", name="Exists") == 1
    before = box_state(client.box)
    body = group_body(name="x") if method == "PUT" else None
    assert_error(client.request(method, f"/ffws/v1/contact_groups/admin/{raw_id}", body), 404, NO_GROUP)
    assert box_state(client.box) == before


# -- 400 ------------------------------------------------------------------------------------------------------------
def bad_member_cases(client) -> dict[str, str]:
    """Member URLs that name no contact the admin's group may hold (another user's, unknown, malformed...)."""
    create_user(client, "user1")
    theirs = add_contact(client, "user1", name="theirs")
    own = add_contact(client, "admin", name="own")
    return {
        "other-users-contact": curl("user1", theirs),
        "other-users-contact-under-my-name": curl("admin", theirs),
        "own-contact-under-global-name": curl(GLOBAL, own),
        "unknown-contact": curl("admin", 999),
        "unknown-owner": curl("nobody", own),
        "not-a-url": "not a url",
        "group-url": f"{BASE}/contact_groups/admin/1",
        "non-numeric-id": f"{BASE}/contacts/admin/abc",
        "unicode-digit-id": f"{BASE}/contacts/admin/\u0661",
        "huge-id": f"{BASE}/contacts/admin/{'9' * 30}",
        "missing-id": f"{BASE}/contacts/admin",
    }


BAD_MEMBERS = [
    "other-users-contact",
    "other-users-contact-under-my-name",
    "own-contact-under-global-name",
    "unknown-contact",
    "unknown-owner",
    "not-a-url",
    "group-url",
    "non-numeric-id",
    "unicode-digit-id",
    "huge-id",
    "missing-id",
]


@pytest.mark.parametrize("case", BAD_MEMBERS)
def test_add_group_refuses_a_member_that_names_no_usable_contact(client, case):
    url = bad_member_cases(client)[case]
    good = add_contact(client, "admin", name="good")
    before = box_state(client.box)
    response = client.post("/ffws/v1/contact_groups/admin", group_body(curl("admin", good), url, name="G"))
    assert_error(response, 400, f"invalid contact: {url} names no contact of admin or of the global list")
    assert box_state(client.box) == before  # neither the group nor its first, valid member


@pytest.mark.parametrize("case", BAD_MEMBERS)
def test_edit_group_refuses_a_member_that_names_no_usable_contact(client, case):
    url = bad_member_cases(client)[case]
    good = add_contact(client, "admin", name="good")
    gid = add_group(client, "admin", curl("admin", good), name="G")
    before = box_state(client.box)
    response = client.put(f"/ffws/v1/contact_groups/admin/{gid}", group_body(url, name="Changed"))
    assert_error(response, 400, f"invalid contact: {url} names no contact of admin or of the global list")
    assert box_state(client.box) == before
    assert group(client, "admin", gid)["members"] == [curl("admin", good)]


def test_global_group_may_not_hold_personal_contacts(client):
    own = add_contact(client, "admin", name="own")
    before = box_state(client.box)
    response = client.post(f"/ffws/v1/contact_groups/{GLOBAL}", group_body(curl("admin", own), name="G"))
    assert_error(
        response, 400, f"invalid contact: {curl('admin', own)} names no contact of {GLOBAL} or of the global list"
    )
    assert box_state(client.box) == before


ADD_ERRORS = [
    pytest.param(group_body(description="d"), "invalid name: empty", id="no-name"),
    pytest.param(group_body(name=""), "invalid name: empty", id="empty-name"),
    pytest.param("<contact_group><name/><description>d</description></contact_group>", "invalid name: empty", id="sc"),
    pytest.param(group_body(name="n" * 256), "invalid name: longer than 255 characters", id="name-too-long"),
    pytest.param(
        group_body(name="n", description="d" * 256), "invalid description: longer than 255 characters", id="desc-long"
    ),
    pytest.param("", "The provided XML is not valid: the document is empty", id="empty-body"),
    pytest.param(
        element("contact", name="x"), "invalid root element: expected <contact_group>, got <contact>", id="wrong-root"
    ),
    pytest.param(
        "<!DOCTYPE contact_group><contact_group><name>x</name></contact_group>",
        "The provided XML is not valid: a DOCTYPE is not allowed",
        id="doctype",
    ),
]


@pytest.mark.parametrize(("body", "message"), ADD_ERRORS)
def test_add_group_refuses_invalid_bodies(client, body, message):
    before = box_state(client.box)
    assert_error(client.post("/ffws/v1/contact_groups/admin", body), 400, message)
    assert box_state(client.box) == before


def test_add_group_refuses_malformed_xml(client):
    before = box_state(client.box)
    response = client.post("/ffws/v1/contact_groups/admin", "<contact_group><name>x</name><contact>")
    assert response.status_code == 400
    assert message_of(response).startswith("The provided XML is not valid")
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (group_body(name=""), "invalid name: empty"),
        (group_body(name="ok", description="d" * 256), "invalid description: longer than 255 characters"),
        ("", "The provided XML is not valid: the document is empty"),
        (element("contact", name="x"), "invalid root element: expected <contact_group>, got <contact>"),
    ],
    ids=["empty-name", "too-long", "empty-body", "wrong-root"],
)
def test_edit_group_refuses_invalid_bodies(client, body, message):
    a = add_contact(client, name="a")
    gid = add_group(client, "admin", curl("admin", a), name="Kept", description="Kept")
    before = box_state(client.box)
    assert_error(client.put(f"/ffws/v1/contact_groups/admin/{gid}", body), 400, message)
    assert box_state(client.box) == before


# -- list queries ---------------------------------------------------------------------------------------------------
GROUPS = [
    {"name": "Sales West", "description": "b regional"},
    {"name": "Accounts", "description": "c finance"},
    {"name": "Sales East", "description": "a regional"},
]


@pytest.fixture
def some_groups(client) -> None:
    for fields in GROUPS:
        add_group(client, "admin", **fields)
    add_group(client, GLOBAL, name="Sales Global", description="regional")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Sales West", "Accounts", "Sales East"]),
        ("limit=1", ["Sales West"]),
        ("limit=2&offset=1", ["Accounts", "Sales East"]),
        ("offset=1", ["Sales West", "Accounts", "Sales East"]),  # offset alone is ignored
        ("name=sales", ["Sales West", "Sales East"]),
        ("description=regional", ["Sales West", "Sales East"]),
        ("name=Sales&description=a%20reg", ["Sales East"]),
        ("name=Accounts&description=regional", []),
        ("order=name", ["Accounts", "Sales East", "Sales West"]),
        ("order=description", ["Sales East", "Sales West", "Accounts"]),
        ("order=name&limit=1&offset=2", ["Sales West"]),
        ("fax_number=1", ["Sales West", "Accounts", "Sales East"]),  # not a group filter: ignored
    ],
)
def test_view_groups_query(client, some_groups, query, expected):
    assert [g["name"] for g in groups_of(client.get(f"/ffws/v1/contact_groups/admin?{query}"))] == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=x", "invalid limit: not a number"),
        ("limit=-2", "invalid limit: must not be negative"),
        ("limit=1&offset=1e3", "invalid offset: not a number"),
        ("order=fax_number", "invalid order: must be one of name, description"),
    ],
)
def test_view_groups_refuses_bad_query(client, some_groups, query, message):
    before = box_state(client.box)
    assert_error(client.get(f"/ffws/v1/contact_groups/admin?{query}"), 400, message)
    assert box_state(client.box) == before


# -- liberal parsing ------------------------------------------------------------------------------------------------
def test_liberal_group_body(client):
    a, b = add_contact(client, name="a"), add_contact(client, name="b")
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\r\n<contact_group>\r\n"
        f"  <contact>{curl('admin', b)}</contact>\r\n  <note>ignored</note>\r\n"
        f"  <name/>\r\n  <contact>\r\n    {curl('admin', a)}\r\n  </contact>\r\n  <name>Liberal</name>\r\n"
        "  <description/>\r\n</contact_group>\r\n"
    )
    response = client.post("/ffws/v1/contact_groups/admin", body, headers={"content-type": "text/xml"})
    assert response.status_code == 200, response.text
    [stored] = groups_of(client.get("/ffws/v1/contact_groups/admin"))
    assert (stored["name"], stored["description"]) == ("Liberal", "")
    assert stored["members"] == [curl("admin", b), curl("admin", a)]
