"""Every route answers with a trailing slash as without one (never a redirect), and HEAD wherever GET is served:
the GET's status and headers, no body, nothing written."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error, box_state
from tests.ffws.clients import OFAX, create_user, schedule, schedule_body

CONTACT = "<contact><name>Slash</name><fax_number>555-0100</fax_number></contact>"


def test_a_trailing_slash_is_the_same_route_for_every_method(client):
    schedule(client, schedule_body())  # fax 00000001
    created = client.post("/ffws/v1/contacts/admin/", CONTACT)
    assert created.status_code == 200, created.text
    assert "<contact_url>https://faxfinder.test/ffws/v1/contacts/admin/1</contact_url>" in created.text
    edited = client.put("/ffws/v1/contacts/admin/1/", CONTACT.replace("Slash", "Slashed"))
    assert (edited.status_code, "<message>Modified</message>" in edited.text) == (200, True)
    assert "<name>Slashed</name>" in client.get("/ffws/v1/contacts/admin/1/").text
    assert client.delete("/ffws/v1/contacts/admin/1/").status_code == 200
    assert client.get("/ffws/v1/verify/").status_code == 200
    assert client.get(OFAX + "/00000001/0000/").status_code == 200
    assert client.delete(OFAX + "/00000001/0000/").status_code == 202
    assert client.post("/_emulator/clock/advance/", json={"seconds": 1}).status_code == 200
    assert client.get("/_emulator/health/").json()["status"] == "ok"


def test_the_control_planes_pages_take_a_slash_and_head_too(client):
    assert client.get("/_emulator/docs/").status_code == 200
    assert client.get("/_emulator/openapi.json/").json()["info"]["title"] == "faxfinder-emulator control plane"
    assert client.request("HEAD", "/_emulator/openapi.json").status_code == 200


def test_a_fault_matches_the_request_as_sent_or_as_served(client):
    for spec in (
        {"method": "HEAD", "path": "/ffws/v1/verify/", "status": 503, "times": 1},
        {"method": "GET", "path": "/ffws/v1/verify", "status": 502, "times": 1},
    ):
        assert client.post("/_emulator/faults", json=spec).status_code == 201
    assert client.request("HEAD", "/ffws/v1/verify/").status_code == 503  # as the journal shows it
    assert client.request("HEAD", "/ffws/v1/verify/").status_code == 502  # as it is served: a GET of /verify
    assert client.request("HEAD", "/ffws/v1/verify/").status_code == 200


def test_the_journal_keeps_the_path_as_sent(client):
    client.get("/ffws/v1/verify/")
    entry = client.get("/_emulator/journal").json()["entries"][-1]
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/ffws/v1/verify/", 200)


def test_an_unknown_path_with_a_slash_is_still_unknown(client):
    response = client.get("/ffws/v1/nothing/")
    assert_error(response, 404, "Not Found")
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "path",
    ["/ffws/v1/verify", "/ffws/v1/ofax", "/ffws/v1/ofax/00000001/0000", "/ffws/v1/users/admin", "/ffws/v1/status"],
)
def test_head_is_a_get_without_the_body(client, path):
    schedule(client, schedule_body())
    before = box_state(client.box)
    got = client.get(path)
    head = client.request("HEAD", path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"] == "application/xml"
    assert head.headers["content-length"] == str(len(got.content))
    assert box_state(client.box) == before
    entry = client.get("/_emulator/journal").json()["entries"][-1]
    assert (entry["method"], entry["path"], entry["response_body"]) == ("HEAD", path, "")


def test_head_follows_the_rules_of_its_get(client):
    create_user(client, "bob", "pw")
    refused = client.request("HEAD", "/ffws/v1/users/admin", auth=("bob", "pw"))
    assert refused.status_code == 403 and refused.content == b""
    assert client.request("HEAD", "/ffws/v1/verify", auth=("admin", "wrong")).status_code == 401
    assert client.request("HEAD", OFAX + "/0000FFFF").status_code == 404


def test_head_where_no_get_is_served_is_405_naming_the_methods(client):
    response = client.request("HEAD", "/_emulator/reset")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert client.request("OPTIONS", "/ffws/v1/verify").headers["allow"] == "GET, HEAD"


def test_head_on_the_control_plane(client):
    got = client.get("/_emulator/clock")
    head = client.request("HEAD", "/_emulator/clock")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(got.content))
