"""How the device answers what it cannot serve: unknown paths (404), wrong methods (405), bad input (400), all as
XML ``<response><message>``; never a 5xx for a bad request. Plus the control plane's health check."""

from __future__ import annotations

import pytest

from emulator import __version__
from tests.conftest import assert_error, assert_golden, box_state, message_of
from tests.ffws.helpers import GLOBAL


# -- goldens of each error kind ----------------------------------------------------------------------------------
def test_400_golden(client):
    before = box_state(client.box)
    response = client.post("/ffws/v1/contacts/admin", "<contact><fax_number>1</fax_number></contact>")
    assert_error(response, 400, "invalid name: empty")
    assert_golden("error_400", response)
    assert box_state(client.box) == before


def test_400_golden_for_invalid_xml(client):
    before = box_state(client.box)
    response = client.post("/ffws/v1/contacts/admin", "")
    assert_error(response, 400, "The provided XML is not valid: the document is empty")
    assert_golden("error_400_xml", response)
    assert box_state(client.box) == before


def test_404_golden(client):
    response = client.get("/ffws/v1/users/nobody")
    assert_error(response, 404, "No user found with that username.")
    assert_golden("error_404", response)


def test_404_golden_for_an_unknown_path(client):
    response = client.get("/ffws/v1/no_such_resource")
    assert_error(response, 404, "Not Found")
    assert_golden("error_404_path", response)


def test_405_golden(client):
    before = box_state(client.box)
    response = client.delete("/ffws/v1/users/admin")
    assert_error(response, 405, "Method Not Allowed")
    assert "GET" in response.headers["allow"]
    assert_golden("error_405", response)
    assert box_state(client.box) == before


# -- unknown paths -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/ffws/v1/no_such_resource",
        "/ffws/v1/",
        "/ffws/v1",
        "/ffws/v1/users/admin/extra",
        "/ffws/v1/contacts",
        "/ffws/v1/contacts/admin/1/extra",
        "/ffws/v1/contact_groups",
        "/ffws/v1/contact_oids",
        "/ffws/v1/contact_oids/admin/1",
        "/ffws/v1/contacts/admin/https://host/ffws/v1/contacts/admin/1",
        "/ffws/v2/users/admin",  # ("/" is the web interface: tests/ui)
        "/elsewhere",
        "/ffws",
    ],
)
@pytest.mark.parametrize("auth", [("admin", "admin"), None], ids=["admin", "anonymous"])
def test_unknown_path_is_an_xml_404(client, path, auth):
    before = box_state(client.box)
    assert_error(client.get(path, auth=auth), 404, "Not Found")
    assert box_state(client.box) == before


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_unknown_path_is_404_for_every_method(client, method):
    before = box_state(client.box)
    assert_error(client.request(method, "/ffws/v1/nothing/here", "<contact/>"), 404, "Not Found")
    assert box_state(client.box) == before


# -- wrong methods -------------------------------------------------------------------------------------------------
WRONG_METHODS = [
    ("DELETE", "/ffws/v1/users/admin", "GET"),  # no user delete (Q-USR-2)
    ("POST", "/ffws/v1/users/admin", "GET"),
    ("GET", "/ffws/v1/users", "POST"),  # no user listing (Q-USR-2)
    ("PUT", "/ffws/v1/users", "POST"),
    ("POST", "/ffws/v1/verify", "GET"),
    ("DELETE", "/ffws/v1/contacts/admin", "GET"),
    ("PUT", "/ffws/v1/contacts/admin", "GET"),
    ("POST", "/ffws/v1/contacts/admin/1", "GET"),  # the FFx30 "POST to modify" is not an FF240-IP request
    ("DELETE", "/ffws/v1/contact_groups/admin", "GET"),
    ("POST", "/ffws/v1/contact_oids/admin", "GET"),
    ("DELETE", f"/ffws/v1/contact_group_oids/{GLOBAL}", "GET"),
]


@pytest.mark.parametrize(("method", "path", "allowed"), WRONG_METHODS, ids=[f"{m} {p}" for m, p, _ in WRONG_METHODS])
def test_wrong_method_is_an_xml_405_with_allow(client, method, path, allowed):
    before = box_state(client.box)
    response = client.request(method, path, "<contact><name>x</name></contact>")
    assert_error(response, 405, "Method Not Allowed")
    assert allowed in [m.strip() for m in response.headers["allow"].split(",")]
    assert box_state(client.box) == before


# -- query parameters never cause a 5xx ------------------------------------------------------------------------------
ODD_QUERIES = [
    "limit=%00",
    "limit=%EF%BC%91",  # full-width digit one
    "limit=%20%205%20",
    "limit=0x10",
    "limit=1e3",
    "limit=" + "9" * 40,
    "limit=-" + "9" * 40,
    "limit=1&offset=" + "9" * 40,
    "limit=1&limit=x",
    "offset=-1",
    "order=",
    "order=%00",
    "order=name%20desc",
    "order=NAME",
    "name=%00",
    "name=%5C",
    "name=%25%5F%5C",
    "name=" + "x" * 5000,
    "description=%27%3B--",
    "%FF=%FF",
    "limit",
    "&&&",
]


@pytest.mark.parametrize("resource", ["contacts", "contact_groups"])
@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_query_parameters_are_answered_200_or_400(client, resource, query):
    client.post("/ffws/v1/contacts/admin", "<contact><name>x</name></contact>")
    client.post("/ffws/v1/contact_groups/admin", "<contact_group><name>x</name></contact_group>")
    before = box_state(client.box)
    response = client.get(f"/ffws/v1/{resource}/admin?{query}")
    assert response.status_code in (200, 400), response.text
    assert response.headers["content-type"] == "application/xml"
    if response.status_code == 400:
        assert message_of(response).startswith("invalid ")
    else:
        assert message_of(response) == "Success"
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    "path",
    ["/ffws/v1/users/admin?limit=x", "/ffws/v1/verify?order=nope", "/ffws/v1/contact_oids/admin?limit=-1"],
)
def test_query_parameters_of_resources_without_a_list_query_are_ignored(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert message_of(response) in ("Success", "Verified")


# -- the control plane ---------------------------------------------------------------------------------------------
def test_health_answers_json(client):
    response = client.get("/_emulator/health", auth=None)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = {"status": "ok", "model": "FF240-IP", "version": __version__}
    if client.box.cluster is not None:  # (PostgreSQL: which of the box's workers answered, and whether it leads)
        expected |= {"worker": response.json()["worker"], "leader": response.json()["leader"]}
        assert response.json()["worker"] in {b.cluster.worker for b in (client.box, *client.box.siblings)}
    assert response.json() == expected


@pytest.mark.parametrize(
    "path",
    [
        "/ffws/v1/ofax/FFFFFFFF",
        "/ffws/v1/ofax/80000000/0000",
        "/ffws/v1/contacts/admin/2147483648",
        "/ffws/v1/contact_groups/admin/999999999999999999",
        "/ffws/v1/inbound_routes/2147483648",
    ],
)
def test_an_id_beyond_any_table_names_nothing(client, path):
    """On every database: PostgreSQL's INTEGER cannot even compare a bigger number, so it is never asked to."""
    assert client.get(path).status_code == 404
