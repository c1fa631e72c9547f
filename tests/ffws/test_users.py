"""User functions (02-users): view, add, edit, through HTTP as a client would."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state, message_of
from tests.ffws.clients import BASE, create_user
from tests.ffws.helpers import CHANGE_DENIED, EDIT_DENIED, VIEW_DENIED, element

USER_FIELDS_IN_ORDER = [
    "user_url",
    "name",
    "username",
    "email_address",
    "phone_number",
    "fax_number",
    "organization",
    "default_cover_page_enabled",
    "default_cover_page_name",
    "priority",
    "max_attempts",
    "interval",
    "receipt",
    "receipt_attachment",
]
GUIDE_EXAMPLE = {  # 02-users §2.3, the body the guide sends
    "name": "New User 1",
    "username": "user1",
    "password": "user1",
    "phone_number": "218-555-3333",
    "fax_number": "218-555-3334",
    "organization": "Example Org",
    "priority": "1",
    "max_attempts": "2",
    "interval": "600",
    "receipt": "never",
    "receipt_attachment": "none",
}


def user_body(**fields: object) -> str:
    return element("user", **fields)


def user_of(response) -> dict[str, str]:
    """The ``<user>`` of a response as {child: text}, asserting the device's child order."""
    user = etree.fromstring(response.content).find("user")
    assert [child.tag for child in user] == USER_FIELDS_IN_ORDER
    return {child.tag: child.text or "" for child in user}


# -- view ----------------------------------------------------------------------------------------------------------
def test_admin_views_itself(client):
    response = client.get("/ffws/v1/users/admin")
    assert response.status_code == 200
    assert_golden("user", response)


def test_admin_views_any_user(client):
    create_user(client, "user1", phone_number="1234")
    response = client.get("/ffws/v1/users/user1")
    assert response.status_code == 200
    assert user_of(response)["phone_number"] == "1234"


def test_user_views_itself(client):
    create_user(client, "user1", "pw1")
    response = client.get("/ffws/v1/users/user1", auth=("user1", "pw1"))
    assert response.status_code == 200
    assert user_of(response)["user_url"] == f"{BASE}/users/user1"


def test_view_unknown_user_is_404(client):
    assert_error(client.get("/ffws/v1/users/nobody"), 404, "No user found with that username.")


@pytest.mark.parametrize("target", ["admin", "user2", "nobody"])
def test_user_may_not_view_another_user(client, target):
    create_user(client, "user1", "pw1")
    create_user(client, "user2", "pw2")
    response = client.get(f"/ffws/v1/users/{target}", auth=("user1", "pw1"))
    assert_error(response, 403, VIEW_DENIED)


# -- add -----------------------------------------------------------------------------------------------------------
def test_add_user_answers_200_created_with_the_stored_user(client):
    response = client.post("/ffws/v1/users", user_body(**GUIDE_EXAMPLE))
    assert response.status_code == 200
    assert_golden("user_created", response)
    stored = client.get("/ffws/v1/users/user1")
    assert user_of(stored) == user_of(response)


def test_created_user_gets_the_defaults(client):
    response = client.post("/ffws/v1/users", user_body(name="Min", username="min", password="pw"))
    assert response.status_code == 200
    assert user_of(response) == {
        "user_url": f"{BASE}/users/min",
        "name": "Min",
        "username": "min",
        "email_address": "",
        "phone_number": "",
        "fax_number": "",
        "organization": "",
        "default_cover_page_enabled": "false",
        "default_cover_page_name": "",
        "priority": "3",
        "max_attempts": "3",
        "interval": "300",
        "receipt": "never",
        "receipt_attachment": "none",
    }


def test_created_user_can_authenticate_and_is_not_admin(client):
    create_user(client, "user1", "pw1")
    assert client.get("/ffws/v1/verify", auth=("user1", "pw1")).status_code == 200
    assert client.get("/ffws/v1/verify", auth=("user1", "wrong")).status_code == 401
    assert_error(client.get("/ffws/v1/users/admin", auth=("user1", "pw1")), 403, VIEW_DENIED)


def test_add_user_with_every_field(client):
    body = user_body(
        name="Full",
        username="full",
        password="pw",
        email_address="full@example.org",
        phone_number="1",
        fax_number="2",
        organization="Org",
        default_cover_page_enabled="true",
        default_cover_page_name="mts_template3.pdf",
        priority="0",
        max_attempts="17",
        interval="23",
        receipt="always",
        receipt_attachment="pdf",
    )
    user = user_of(client.post("/ffws/v1/users", body))
    assert user["email_address"] == "full@example.org"
    assert user["default_cover_page_enabled"] == "true"
    assert user["default_cover_page_name"] == "mts_template3.pdf"
    assert (user["priority"], user["max_attempts"], user["interval"]) == ("0", "17", "23")
    assert (user["receipt"], user["receipt_attachment"]) == ("always", "pdf")


def test_password_is_never_returned(client):
    created = client.post("/ffws/v1/users", user_body(**GUIDE_EXAMPLE))
    viewed = client.get("/ffws/v1/users/user1")
    for response in (created, viewed):
        assert b"password" not in response.content
        assert b"user1</password" not in response.content


def test_non_admin_may_not_add_users(client):
    create_user(client, "user1", "pw1")
    before = box_state(client.box)
    response = client.post("/ffws/v1/users", user_body(name="X", username="x", password="x"), auth=("user1", "pw1"))
    assert_error(response, 403, CHANGE_DENIED)
    assert box_state(client.box) == before


ADD_ERRORS = [
    pytest.param({"username": "u", "password": "p"}, "invalid name: empty", id="no-name"),
    pytest.param({"name": " ", "username": "u", "password": "p"}, "invalid name: empty", id="blank-name"),
    pytest.param({"name": "N", "password": "p"}, "invalid username: empty", id="no-username"),
    pytest.param({"name": "N", "username": "u"}, "invalid password: empty", id="no-password"),
    pytest.param({"name": "N", "username": "u", "password": ""}, "invalid password: empty", id="empty-password"),
    pytest.param(
        {"name": "N", "username": "a b", "password": "p"},
        "invalid username: only letters, digits and _ . @ - are allowed, starting with a letter or digit",
        id="username-with-space",
    ),
    pytest.param(
        {"name": "N", "username": "-x", "password": "p"},
        "invalid username: only letters, digits and _ . @ - are allowed, starting with a letter or digit",
        id="username-leading-dash",
    ),
    pytest.param(
        {"name": "N", "username": "global_contact_list", "password": "p"},
        "invalid username: only letters, digits and _ . @ - are allowed, starting with a letter or digit",
        id="username-global-list",
    ),
    pytest.param(
        {"name": "N", "username": "u" * 65, "password": "p"},
        "invalid username: longer than 64 characters",
        id="username-too-long",
    ),
    pytest.param(
        {"name": "N" * 256, "username": "u", "password": "p"},
        "invalid name: longer than 255 characters",
        id="name-too-long",
    ),
    pytest.param({"name": "N", "username": "admin", "password": "p"}, "invalid username: already exists", id="dup"),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "priority": "high"},
        "invalid priority: not a number",
        id="priority-not-number",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "priority": "10"},
        "invalid priority: out of range (0-9)",
        id="priority-out-of-range",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "max_attempts": "0"},
        "invalid max_attempts: out of range (1-99)",
        id="max-attempts-zero",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "interval": "-1"},
        "invalid interval: out of range (0-86400)",
        id="interval-negative",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "receipt": "sometimes"},
        "invalid receipt: must be one of never, failure, success, always",
        id="bad-receipt",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "receipt_attachment": "doc"},
        "invalid receipt_attachment: must be one of none, pdf, tif, tiff",
        id="bad-receipt-attachment",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "default_cover_page_enabled": "maybe"},
        "invalid default_cover_page_enabled: must be true or false",
        id="bad-boolean",
    ),
    pytest.param(
        {"name": "N", "username": "u", "password": "p", "default_cover_page_name": "nope.pdf"},
        "invalid default_cover_page_name: no cover page named nope.pdf",
        id="unknown-cover-page",
    ),
]


@pytest.mark.parametrize(("fields", "message"), ADD_ERRORS)
def test_add_user_refuses_invalid_values(client, fields, message):
    before = box_state(client.box)
    assert_error(client.post("/ffws/v1/users", user_body(**fields)), 400, message)
    assert box_state(client.box) == before


def test_duplicate_username_is_400_and_keeps_the_first(client):
    create_user(client, "user1", "pw1", phone_number="first")
    before = box_state(client.box)
    response = client.post("/ffws/v1/users", user_body(name="Other", username="user1", password="pw2"))
    assert_error(response, 400, "invalid username: already exists")
    assert box_state(client.box) == before
    assert client.get("/ffws/v1/verify", auth=("user1", "pw2")).status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "The provided XML is not valid: the document is empty"),
        ("<contact><name>x</name></contact>", "invalid root element: expected <user>, got <contact>"),
        (
            '<!DOCTYPE user [<!ENTITY n "x">]>' + user_body(name="&n;", username="u", password="p"),
            "The provided XML is not valid: a DOCTYPE is not allowed",
        ),
    ],
    ids=["empty", "wrong-root", "doctype"],
)
def test_add_user_refuses_bad_xml(client, body, message):
    before = box_state(client.box)
    assert_error(client.post("/ffws/v1/users", body), 400, message)
    assert box_state(client.box) == before


def test_add_user_refuses_malformed_xml(client):
    before = box_state(client.box)
    response = client.post("/ffws/v1/users", "<user><name>x</name><username>u</username><password>p</password>")
    assert response.status_code == 400
    assert message_of(response).startswith("The provided XML is not valid: Premature end of data in tag user")
    assert box_state(client.box) == before


def test_empty_numbers_mean_default_on_create(client):
    body = "<user><name>N</name><username>u</username><password>p</password><priority/><interval></interval></user>"
    user = user_of(client.post("/ffws/v1/users", body))
    assert (user["priority"], user["interval"]) == ("3", "300")


def test_add_user_ignores_a_user_url_in_the_body(client):
    body = user_body(user_url=f"{BASE}/users/someone", name="N", username="u", password="p")
    assert user_of(client.post("/ffws/v1/users", body))["user_url"] == f"{BASE}/users/u"


# -- edit ----------------------------------------------------------------------------------------------------------
def test_edit_user_changes_only_the_fields_sent(client):
    client.post("/ffws/v1/users", user_body(**GUIDE_EXAMPLE))
    before = user_of(client.get("/ffws/v1/users/user1"))
    response = client.put("/ffws/v1/users/user1", user_body(phone_number="999", priority="5"))
    assert response.status_code == 200
    assert_golden("modified", response)
    after = user_of(client.get("/ffws/v1/users/user1"))
    assert after == {**before, "phone_number": "999", "priority": "5"}


def test_edit_user_with_every_field(client):
    create_user(client, "user1", "pw1")
    body = user_body(
        name="Renamed",
        username="user1",
        email_address="e@x",
        phone_number="p",
        fax_number="f",
        organization="o",
        default_cover_page_enabled="true",
        default_cover_page_name="default.pdf",
        priority="9",
        max_attempts="99",
        interval="86400",
        receipt="failure",
        receipt_attachment="tiff",
    )
    assert client.put("/ffws/v1/users/user1", body).status_code == 200
    assert user_of(client.get("/ffws/v1/users/user1")) == {
        "user_url": f"{BASE}/users/user1",
        "name": "Renamed",
        "username": "user1",
        "email_address": "e@x",
        "phone_number": "p",
        "fax_number": "f",
        "organization": "o",
        "default_cover_page_enabled": "true",
        "default_cover_page_name": "default.pdf",
        "priority": "9",
        "max_attempts": "99",
        "interval": "86400",
        "receipt": "failure",
        "receipt_attachment": "tiff",
    }


def test_edit_user_empty_elements_keep_numbers_and_clear_text(client):
    create_user(client, "user1", "pw1", priority="1", organization="Org")
    assert client.put("/ffws/v1/users/user1", "<user><priority/><organization/></user>").status_code == 200
    user = user_of(client.get("/ffws/v1/users/user1"))
    assert (user["priority"], user["organization"]) == ("1", "")


def test_cover_page_can_be_set_and_cleared(client):
    create_user(client, "user1")
    put = client.put("/ffws/v1/users/user1", user_body(default_cover_page_name="mts_template2.pdf"))
    assert put.status_code == 200
    assert user_of(client.get("/ffws/v1/users/user1"))["default_cover_page_name"] == "mts_template2.pdf"
    assert client.put("/ffws/v1/users/user1", user_body(default_cover_page_name="")).status_code == 200
    assert user_of(client.get("/ffws/v1/users/user1"))["default_cover_page_name"] == ""


def test_user_edits_itself(client):
    create_user(client, "user1", "pw1")
    response = client.put("/ffws/v1/users/user1", user_body(fax_number="42"), auth=("user1", "pw1"))
    assert response.status_code == 200
    assert user_of(client.get("/ffws/v1/users/user1"))["fax_number"] == "42"


def test_admin_edits_another_user(client):
    create_user(client, "user1", "pw1")
    assert client.put("/ffws/v1/users/user1", user_body(organization="By admin")).status_code == 200
    assert user_of(client.get("/ffws/v1/users/user1", auth=("user1", "pw1")))["organization"] == "By admin"


def test_edit_password_replaces_the_old_one(client):
    create_user(client, "user1", "old")
    assert client.put("/ffws/v1/users/user1", user_body(password="new")).status_code == 200
    assert_error(client.get("/ffws/v1/verify", auth=("user1", "old")), 401, "Unauthorized")
    assert client.get("/ffws/v1/verify", auth=("user1", "new")).status_code == 200


def test_edit_password_also_drops_credentials_cached_by_earlier_requests(client):
    create_user(client, "user1", "old")
    # Both requests succeed with the old password, so it is now remembered by the authentication cache.
    assert client.get("/ffws/v1/verify", auth=("user1", "old")).status_code == 200
    assert client.get("/ffws/v1/users/user1", auth=("user1", "old")).status_code == 200
    response = client.put("/ffws/v1/users/user1", user_body(password="new"), auth=("user1", "old"))
    assert response.status_code == 200
    assert_error(client.get("/ffws/v1/verify", auth=("user1", "old")), 401, "Unauthorized")
    assert_error(client.get("/ffws/v1/users/user1", auth=("user1", "old")), 401, "Unauthorized")
    assert client.get("/ffws/v1/users/user1", auth=("user1", "new")).status_code == 200


def test_admin_changing_a_password_drops_that_users_cached_credentials(client):
    create_user(client, "user1", "old")
    assert client.get("/ffws/v1/verify", auth=("user1", "old")).status_code == 200
    assert client.put("/ffws/v1/users/user1", user_body(password="new")).status_code == 200
    assert client.get("/ffws/v1/verify", auth=("user1", "old")).status_code == 401
    assert client.get("/ffws/v1/verify").status_code == 200  # the admin's own credentials stay valid


def test_edit_without_password_keeps_it(client):
    create_user(client, "user1", "pw1")
    assert client.put("/ffws/v1/users/user1", user_body(name="Still")).status_code == 200
    assert client.get("/ffws/v1/verify", auth=("user1", "pw1")).status_code == 200


def test_edit_may_repeat_the_same_username(client):
    create_user(client, "user1")
    assert client.put("/ffws/v1/users/user1", user_body(username="user1", name="Same")).status_code == 200
    assert user_of(client.get("/ffws/v1/users/user1"))["name"] == "Same"


def test_edit_unknown_user_is_404(client):
    before = box_state(client.box)
    assert_error(client.put("/ffws/v1/users/nobody", user_body(name="x")), 404, "User not found.")
    assert box_state(client.box) == before


@pytest.mark.parametrize("target", ["admin", "user2", "nobody"])
def test_user_may_not_edit_another_user(client, target):
    create_user(client, "user1", "pw1")
    create_user(client, "user2", "pw2")
    before = box_state(client.box)
    response = client.put(f"/ffws/v1/users/{target}", user_body(password="hijack"), auth=("user1", "pw1"))
    assert_error(response, 403, EDIT_DENIED)
    assert box_state(client.box) == before


EDIT_ERRORS = [
    pytest.param({"username": "other"}, "invalid username: cannot be changed", id="rename"),
    pytest.param({"name": ""}, "invalid name: empty", id="empty-name"),
    pytest.param({"password": ""}, "invalid password: empty", id="empty-password"),
    pytest.param({"priority": "x"}, "invalid priority: not a number", id="priority-not-number"),
    pytest.param({"priority": "-1"}, "invalid priority: out of range (0-9)", id="priority-negative"),
    pytest.param({"receipt": "daily"}, "invalid receipt: must be one of never, failure, success, always", id="receipt"),
    pytest.param(
        {"default_cover_page_enabled": "on"},
        "invalid default_cover_page_enabled: must be true or false",
        id="bad-boolean",
    ),
    pytest.param(
        {"default_cover_page_name": "x.pdf"},
        "invalid default_cover_page_name: no cover page named x.pdf",
        id="unknown-cover-page",
    ),
    pytest.param({"organization": "o" * 256}, "invalid organization: longer than 255 characters", id="too-long"),
    # A valid field next to an invalid one is not stored either.
    pytest.param({"phone_number": "1", "max_attempts": "100"}, "invalid max_attempts: out of range (1-99)", id="mix"),
]


@pytest.mark.parametrize(("fields", "message"), EDIT_ERRORS)
def test_edit_user_refuses_invalid_values(client, fields, message):
    create_user(client, "user1", "pw1")
    before = box_state(client.box)
    assert_error(client.put("/ffws/v1/users/user1", user_body(**fields)), 400, message)
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    "body",
    ["<user><name>x</name></use>", "   ", "<contact><name>x</name></contact>"],
    ids=["malformed", "blank", "wrong-root"],
)
def test_edit_user_refuses_bad_xml(client, body):
    before = box_state(client.box)
    response = client.put("/ffws/v1/users/admin", body)
    assert response.status_code == 400
    assert message_of(response).startswith(("The provided XML is not valid", "invalid root element"))
    assert box_state(client.box) == before


# -- liberal parsing (13-client-contract R3-R7) --------------------------------------------------------------------
def test_user_body_in_any_order_with_unknown_children_and_booleans_in_either_form(client):
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\r\n<user>\r\n"
        "  <receipt>FAILURE</receipt><favourite_colour>blue</favourite_colour>\r\n"
        "  <password>pw</password><default_cover_page_enabled>TRUE</default_cover_page_enabled>\r\n"
        "  <username>liberal</username><name></name><name>Second Wins</name>\r\n"
        "</user>\r\n"
    )
    user = user_of(client.post("/ffws/v1/users", body, headers={"content-type": "text/xml"}))
    assert user["name"] == "Second Wins"
    assert user["receipt"] == "failure"
    assert user["default_cover_page_enabled"] == "true"
    assert client.get("/ffws/v1/verify", auth=("liberal", "pw")).status_code == 200
