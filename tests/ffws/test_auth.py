"""Authentication (401 with a Basic challenge) and the permission rules (403) of users, contacts and groups."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state
from tests.ffws.clients import BASE, create_user
from tests.ffws.helpers import CHANGE_DENIED, EDIT_DENIED, GLOBAL, VIEW_DENIED, element

USER1 = ("user1", "pw1")
CONTACT = element("contact", name="Intruder")
GROUP = element("contact_group", name="Intruder")
USER = element("user", name="Intruder", username="intruder", password="x")


def created_id(response) -> int:
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    url = root.findtext("contact/contact_url") or root.findtext("contact_group/contact_group_url")
    return int(url.rsplit("/", 1)[1])


@pytest.fixture
def box_with_data(client):
    """admin, user1 (the caller under test) and user2, each phone book with one contact and one group (ID 1 of each
    kind belongs to user2, ID 2 to the global list, ID 3 to user1)."""
    create_user(client, "user1", "pw1")
    create_user(client, "user2", "pw2")
    for owner in ("user2", GLOBAL, "user1"):
        cid = created_id(client.post(f"/ffws/v1/contacts/{owner}", element("contact", name=f"{owner}'s")))
        body = f"<contact_group><name>{owner}'s</name><contact>{BASE}/contacts/{owner}/{cid}</contact></contact_group>"
        created_id(client.post(f"/ffws/v1/contact_groups/{owner}", body))
    return client


# -- 401 ------------------------------------------------------------------------------------------------------------
EVERY_ENDPOINT = [
    ("GET", "/verify", None),
    ("GET", "/users/admin", None),
    ("POST", "/users", USER),
    ("PUT", "/users/user1", element("user", name="x")),
    ("GET", "/contacts/admin", None),
    ("GET", "/contacts/user1/3", None),
    ("POST", "/contacts/admin", CONTACT),
    ("PUT", "/contacts/user1/3", CONTACT),
    ("DELETE", "/contacts/user1/3", None),
    ("GET", "/contact_oids/admin", None),
    ("GET", f"/contacts/{GLOBAL}", None),
    ("POST", f"/contacts/{GLOBAL}", CONTACT),
    ("GET", "/contact_groups/admin", None),
    ("GET", "/contact_groups/user1/3", None),
    ("POST", "/contact_groups/admin", GROUP),
    ("PUT", "/contact_groups/user1/3", GROUP),
    ("DELETE", "/contact_groups/user1/3", None),
    ("GET", "/contact_group_oids/admin", None),
    ("GET", "/contacts/nobody/1", None),  # 401 comes before 404
    ("POST", "/users", "<not xml"),  # ... and before 400
]
BAD_CREDENTIALS = {
    "none": {"auth": None},
    "wrong-password": {"auth": ("user1", "wrong")},
    "unknown-user": {"auth": ("nobody", "pw1")},
    "empty": {"auth": ("", "")},
    "case-of-username": {"auth": ("USER1", "pw1")},
    "not-base64": {"auth": None, "headers": {"authorization": "Basic !!!not-base64!!!"}},
    "no-colon": {"auth": None, "headers": {"authorization": "Basic " + base64.b64encode(b"user1pw1").decode()}},
    "other-scheme": {"auth": None, "headers": {"authorization": "Bearer dXNlcjE6cHcx"}},
    "scheme-only": {"auth": None, "headers": {"authorization": "Basic"}},
    "not-utf8": {"auth": None, "headers": {"authorization": "Basic " + base64.b64encode(b"user1:\xff").decode()}},
}


def assert_refused_401(client, method: str, path: str, body: str | None, credentials: dict) -> None:
    before = box_state(client.box)
    response = client.request(method, f"/ffws/v1{path}", body, **credentials)
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="FaxFinder"'
    assert box_state(client.box) == before


@pytest.mark.parametrize("credentials", ["none", "wrong-password"])
@pytest.mark.parametrize(("method", "path", "body"), EVERY_ENDPOINT, ids=[f"{m} {p}" for m, p, _ in EVERY_ENDPOINT])
def test_every_endpoint_needs_valid_credentials(box_with_data, method, path, body, credentials):
    assert_refused_401(box_with_data, method, path, body, BAD_CREDENTIALS[credentials])


@pytest.mark.parametrize("credentials", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
@pytest.mark.parametrize(
    ("method", "path", "body"), [("GET", "/verify", None), ("DELETE", "/contacts/user1/3", None)], ids=["read", "write"]
)
def test_every_kind_of_bad_credentials_is_401(box_with_data, method, path, body, credentials):
    assert_refused_401(box_with_data, method, path, body, credentials)


def test_401_golden(client):
    assert_golden("error_401", client.get("/ffws/v1/users/admin", auth=("admin", "wrong")))


def test_basic_scheme_is_case_insensitive_and_password_may_hold_colons(client):
    create_user(client, "colon", "a:b:c")
    header = "basic " + base64.b64encode(b"colon:a:b:c").decode()
    assert client.get("/ffws/v1/verify", auth=None, headers={"authorization": header}).status_code == 200
    assert client.get("/ffws/v1/verify", auth=("colon", "a")).status_code == 401


def test_a_refused_challenge_can_be_answered(client):
    """Clients built on commons-httpclient and .NET send no credentials first and retry after the 401 (R2)."""
    body = element("contact", name="Retried")
    first = client.post("/ffws/v1/contacts/admin", body, auth=None)
    assert first.status_code == 401
    assert first.headers["www-authenticate"].startswith("Basic realm=")
    assert client.post("/ffws/v1/contacts/admin", body).status_code == 200


# -- 403: another user's data --------------------------------------------------------------------------------------
def others(target: str) -> list[tuple[str, str, str | None, str]]:
    """Every request that touches ``target``'s data, with the message of its 403."""
    return [
        ("GET", f"/users/{target}", None, VIEW_DENIED),
        ("PUT", f"/users/{target}", element("user", password="hijack"), EDIT_DENIED),
        ("GET", f"/contacts/{target}", None, VIEW_DENIED),
        ("GET", f"/contacts/{target}/1", None, VIEW_DENIED),
        ("GET", f"/contacts/{target}/999", None, VIEW_DENIED),
        ("POST", f"/contacts/{target}", CONTACT, CHANGE_DENIED),
        ("PUT", f"/contacts/{target}/1", CONTACT, CHANGE_DENIED),
        ("DELETE", f"/contacts/{target}/1", None, CHANGE_DENIED),
        ("GET", f"/contact_oids/{target}", None, VIEW_DENIED),
        ("GET", f"/contact_groups/{target}", None, VIEW_DENIED),
        ("GET", f"/contact_groups/{target}/1", None, VIEW_DENIED),
        ("POST", f"/contact_groups/{target}", GROUP, CHANGE_DENIED),
        ("PUT", f"/contact_groups/{target}/1", GROUP, CHANGE_DENIED),
        ("DELETE", f"/contact_groups/{target}/1", None, CHANGE_DENIED),
        ("GET", f"/contact_group_oids/{target}", None, VIEW_DENIED),
    ]


FORBIDDEN = [
    pytest.param(*case, id=f"{case[0]} {case[1]}") for target in ("user2", "admin", "nobody") for case in others(target)
]


@pytest.mark.parametrize(("method", "path", "body", "message"), FORBIDDEN)
def test_user_may_not_touch_another_users_data(box_with_data, method, path, body, message):
    """Whether or not that user (or the record) exists: the permission is checked first."""
    client = box_with_data
    before = box_state(client.box)
    assert_error(client.request(method, f"/ffws/v1{path}", body, auth=USER1), 403, message)
    assert box_state(client.box) == before


def test_user_may_not_add_users(box_with_data):
    client = box_with_data
    before = box_state(client.box)
    assert_error(client.post("/ffws/v1/users", USER, auth=USER1), 403, CHANGE_DENIED)
    assert box_state(client.box) == before


def test_403_golden(client):
    create_user(client, "user1", "pw1")
    assert_golden("error_403", client.get("/ffws/v1/contacts/admin", auth=USER1))


# -- the global phone book: everyone reads, only admin writes --------------------------------------------------------
GLOBAL_READS = [
    f"/contacts/{GLOBAL}",
    f"/contacts/{GLOBAL}/2",
    f"/contact_oids/{GLOBAL}",
    f"/contact_groups/{GLOBAL}",
    f"/contact_groups/{GLOBAL}/2",
    f"/contact_group_oids/{GLOBAL}",
]
GLOBAL_WRITES = [
    ("POST", f"/contacts/{GLOBAL}", CONTACT),
    ("PUT", f"/contacts/{GLOBAL}/2", CONTACT),
    ("DELETE", f"/contacts/{GLOBAL}/2", None),
    ("POST", f"/contact_groups/{GLOBAL}", GROUP),
    ("PUT", f"/contact_groups/{GLOBAL}/2", GROUP),
    ("DELETE", f"/contact_groups/{GLOBAL}/2", None),
    ("PUT", f"/contacts/{GLOBAL}/999", CONTACT),  # 403 before 404
]


@pytest.mark.parametrize("path", GLOBAL_READS)
def test_user_reads_the_global_list(box_with_data, path):
    response = box_with_data.get(f"/ffws/v1{path}", auth=USER1)
    assert response.status_code == 200, response.text
    # Exactly the global records: ID 2 of each kind.
    text = response.text
    assert f"/{GLOBAL}/2<" in text or "<oids>2</oids>" in text
    assert "/user2/" not in text and "/user1/" not in text and "<oids>1" not in text


@pytest.mark.parametrize(("method", "path", "body"), GLOBAL_WRITES, ids=[f"{m} {p}" for m, p, _ in GLOBAL_WRITES])
def test_user_may_not_write_the_global_list(box_with_data, method, path, body):
    client = box_with_data
    before = box_state(client.box)
    assert_error(client.request(method, f"/ffws/v1{path}", body, auth=USER1), 403, CHANGE_DENIED)
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    ("method", "path", "body"), GLOBAL_WRITES[:-1], ids=[f"{m} {p}" for m, p, _ in GLOBAL_WRITES[:-1]]
)
def test_admin_writes_the_global_list(box_with_data, method, path, body):
    assert box_with_data.request(method, f"/ffws/v1{path}", body).status_code == 200


# -- what a user may do -----------------------------------------------------------------------------------------------
OWN = [
    ("GET", "/users/user1", None, "Success"),
    ("GET", "/contacts/user1", None, "Success"),
    ("GET", "/contacts/user1/3", None, "Success"),
    ("GET", "/contact_oids/user1", None, "Success"),
    ("GET", "/contact_groups/user1", None, "Success"),
    ("GET", "/contact_groups/user1/3", None, "Success"),
    ("GET", "/contact_group_oids/user1", None, "Success"),
    ("POST", "/contacts/user1", CONTACT, "Created"),
    ("PUT", "/contacts/user1/3", CONTACT, "Modified"),
    ("POST", "/contact_groups/user1", GROUP, "Created"),
    ("PUT", "/contact_groups/user1/3", GROUP, "Modified"),
    ("DELETE", "/contact_groups/user1/3", None, "Deleted"),
    ("DELETE", "/contacts/user1/3", None, "Deleted"),
    ("PUT", "/users/user1", element("user", name="Me"), "Modified"),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), OWN, ids=[f"{m} {p}" for m, p, _, _ in OWN])
def test_user_acts_on_its_own_data(box_with_data, method, path, body, message):
    response = box_with_data.request(method, f"/ffws/v1{path}", body, auth=USER1)
    assert response.status_code == 200, response.text
    assert etree.fromstring(response.content).findtext("message") == message


@pytest.mark.parametrize(("method", "path", "body", "message"), OWN, ids=[f"{m} {p}" for m, p, _, _ in OWN])
def test_admin_acts_on_any_users_data(box_with_data, method, path, body, message):
    response = box_with_data.request(method, f"/ffws/v1{path}", body)
    assert response.status_code == 200, response.text
    assert etree.fromstring(response.content).findtext("message") == message


def test_user_may_not_put_another_users_contact_in_its_group(box_with_data):
    client = box_with_data
    before = box_state(client.box)
    url = f"{BASE}/contacts/user2/1"
    body = f"<contact_group><name>Mine</name><contact>{url}</contact></contact_group>"
    response = client.post("/ffws/v1/contact_groups/user1", body, auth=USER1)
    assert_error(response, 400, f"invalid contact: {url} names no contact of user1 or of the global list")
    assert box_state(client.box) == before
