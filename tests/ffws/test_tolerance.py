"""What the box tolerates, said out loud: every client mistake a real FaxFinder would silently take is a warning on
its journal entry, and with --strict a 400 naming the first one, before anything is written."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import ADMIN, assert_error, box_state
from tests.ffws.clients import (
    GUIDE_EXAMPLE,
    OFAX,
    SHAPES,
    attachment,
    create_user,
    element,
    recipient,
    schedule,
    schedule_body,
)
from tests.ffws.test_ofax_schedule import R1_SHORT_NAMES

XML = {"content-type": "application/xml"}
MAX_TRYS = "unknown element <max_trys> in <schedule_fax> (did you mean <max_tries>?)"


def last_entry(client) -> dict:  # noqa: ANN001
    return client.get("/_emulator/journal").json()["entries"][-1]


def warnings_of(client, response) -> list[str]:  # noqa: ANN001
    entry = last_entry(client)
    assert entry["status"] == response.status_code
    return entry["warnings"]


def test_a_careful_client_gets_no_warning(client):
    for body in (GUIDE_EXAMPLE, schedule_body()):
        response = client.post(OFAX, body, headers=XML)
        assert response.status_code == 201, response.text
        assert warnings_of(client, response) == []
    response = client.get(OFAX, params={"class": "pending", "include_modem_info": "true"})
    assert warnings_of(client, response) == []
    assert warnings_of(client, client.get("/ffws/v1/contacts/admin", params={"limit": 5, "name": "x"})) == []


# Every shape of a public client (13-client-contract 13.1) still schedules; what a careful client would not send is
# named, and nothing else.
SHAPE_WARNINGS = {
    "R3 no content type": ["no Content-Type on a request with a body (send application/xml)"],
    "R6 unknown children": [
        "unknown element <comment> in <schedule_fax/cover_page> (did you mean <comments>?)",
        "unknown element <attachment_name> in <schedule_fax/attachment>",
        "unknown element <comment> in <schedule_fax>",
    ],
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_public_client_shape_is_served_with_exactly_its_warnings(client, name):
    shape = SHAPES[name]
    response = client.post(shape.path, shape.body, headers=shape.headers)
    assert response.status_code == 201, response.text
    assert warnings_of(client, response) == SHAPE_WARNINGS.get(name, [])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (schedule_body(element("max_trys", 3)), [MAX_TRYS]),
        (
            schedule_body(element("fax_number", "5551234")),
            [
                "element <fax_number> does not belong in <schedule_fax> "
                "(it goes in <schedule_fax/sender>, <schedule_fax/recipient>)"
            ],
        ),
        (
            schedule_body(element("sender", [element("name", "S"), element("PhoneNumber", "555")])),
            ["unknown element <PhoneNumber> in <schedule_fax/sender> (did you mean <phone_number>?)"],
        ),
        (
            schedule_body(element("priority", 2), element("priority", 4)),
            ["element <priority> appears 2 times in <schedule_fax>: the first non-empty one is read"],
        ),
        (
            schedule_body(attachments=[attachment().replace("<content>", '<content encoding="base64">')]),
            ["attribute encoding on <schedule_fax/attachment/content> is ignored"],
        ),
        (
            schedule_body(cover_page="<cover_page>none<enabled>false</enabled></cover_page>"),
            ["text in <schedule_fax/cover_page> is ignored"],
        ),
        (
            schedule_body(recipients=[recipient(name="x").replace("<name>x</name>", "<name><first>x</first></name>")]),
            ["element <first> in <schedule_fax/recipient/name> is ignored: <schedule_fax/recipient/name> holds text"],
        ),
        (schedule_body(receipt="success"), ["receipt 'success' is not an attested value (never, failure, always)"]),
        (
            schedule_body(receipt_attachment="tiff"),
            ["receipt_attachment 'tiff' is not an attested value (none, pdf)"],
        ),
        (
            schedule_body(cover_page=element("cover_page", [element("enabled", "0")])),
            ["enabled '0' is read as false: the guide writes true or false"],
        ),
        (
            schedule_body(cover_page="<cover_page><enabled>false</enabled>off</cover_page>"),
            ["text in <schedule_fax/cover_page> is ignored"],
        ),
        (
            schedule_body(declaration="").replace("<schedule_fax>", "<schedule_fax xmlns='urn:other'>", 1),
            ["namespace urn:other on <schedule_fax> is ignored: the box reads names only"],
        ),
        (schedule_body(receipt="Never"), ["receipt 'Never' is read as 'never'"]),
        (
            schedule_body(schedule_all_at="2030-01-01 10:00:00"),
            ["schedule_all_at '2030-01-01 10:00:00' is read as 2030-01-01T10:00:00 (the guide writes the T)"],
        ),
    ],
    ids=[
        "misspelt",
        "wrong parent",
        "CamelCase",
        "repeated",
        "attribute",
        "text in a container",
        "child in a leaf",
        "receipt",
        "receipt_attachment",
        "boolean",
        "text after a child",
        "namespace",
        "case",
        "space in a time",
    ],
)
def test_body_mistakes_are_warnings_and_the_fax_is_scheduled(client, body, expected):
    response = client.post(OFAX, body, headers=XML)
    assert response.status_code == 201, response.text
    assert warnings_of(client, response) == expected


def test_head_and_query_mistakes(client):
    response = client.get(OFAX, params={"complet_limit": 3, "all_users": "true"})
    assert response.status_code == 200
    assert warnings_of(client, response) == ["unknown query parameter complet_limit (did you mean complete_limit?)"]
    response = client.get("/ffws/v1/verify?debug=1")
    assert warnings_of(client, response) == ["unknown query parameter debug"]
    assert warnings_of(client, client.get("/ffws/v1/verify?=1")) == ["a query parameter without a name"]
    response = client.get(OFAX, params={"include_modem_info": "TRUE"})
    assert warnings_of(client, response) == ["include_modem_info 'TRUE' is read as true"]
    response = client.get("/ffws/v1/contacts/admin?limit=1&limit=2")
    assert warnings_of(client, response) == ["query parameter limit given 2 times: one is read"]
    response = client.post(OFAX, schedule_body(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201
    assert warnings_of(client, response) == [
        "Content-Type application/x-www-form-urlencoded is not XML (send application/xml)"
    ]
    # A content type on a request without a body (R3) is no mistake.
    assert warnings_of(client, client.get("/ffws/v1/verify", headers=XML)) == []
    assert warnings_of(client, client.delete(OFAX + "/00000001/0000", headers=XML)) == []


def test_a_reschedule_without_at_is_the_deprecated_form(client):
    schedule(client, schedule_body())
    assert client.put(OFAX + "/00000001/0000").status_code == 202
    assert last_entry(client)["warnings"] == [
        "no at= on a reschedule: the form without it is deprecated since firmware 2.1 (send at=now)"
    ]
    assert client.put(OFAX + "/00000001/0000", params={"at": "now"}).status_code == 202
    assert last_entry(client)["warnings"] == []


def test_every_resource_names_what_it_ignores(client):
    contact = "<contact><name>A</name><fax>555</fax><contact_url>https://x/1</contact_url></contact>"
    response = client.post("/ffws/v1/contacts/admin", contact, headers=XML)
    assert response.status_code == 200
    assert warnings_of(client, response) == ["unknown element <fax> in <contact>"]
    user = "<user><name>U</name><username>u1</username><password>p</password><mail>u@x</mail></user>"
    response = client.post("/ffws/v1/users", user, headers=XML)
    assert warnings_of(client, response) == ["unknown element <mail> in <user>"]
    group = "<contact_group><name>G</name><member>https://x/ffws/v1/contacts/admin/1</member></contact_group>"
    response = client.post("/ffws/v1/contact_groups/admin", group, headers=XML)
    assert warnings_of(client, response) == ["unknown element <member> in <contact_group>"]
    setting = "<t38_settings><ecm>yes</ecm><bitrate>9600</bitrate></t38_settings>"
    response = client.put("/ffws/v1/t38_settings", setting, headers=XML)
    assert response.status_code == 200
    assert warnings_of(client, response) == [
        "unknown element <bitrate> in <t38_settings>",
        "ecm 'yes' is read as true: the guide writes true or false",
    ]


def test_the_journal_filters_warned_exchanges(client):
    client.post(OFAX, schedule_body(element("max_trys", 3)), headers=XML)
    client.get("/ffws/v1/verify")
    warned = client.get("/_emulator/journal", params={"warned": "true"}).json()["entries"]
    assert [(e["method"], e["path"], e["warnings"]) for e in warned] == [("POST", OFAX, [MAX_TRYS])]
    clean = client.get("/_emulator/journal", params={"warned": "false"}).json()["entries"]
    assert [e["path"] for e in clean] == ["/ffws/v1/verify"]


def test_the_ff240_r1_document_names_its_short_names(client):
    response = client.post(OFAX, R1_SHORT_NAMES, headers=XML)
    assert_error(response, 400, "invalid name: empty")  # the real box's answer, with the reasons in the journal
    assert last_entry(client)["warnings"] == [
        "unknown element <n> in <schedule_fax/sender> (did you mean <name>?)",
        "unknown element <n> in <schedule_fax/recipient> (did you mean <name>?)",
        "unknown element <n> in <schedule_fax/attachment> (did you mean <name>?)",
    ]


# -- strict mode -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings_overrides", [{"strict": True}])
def test_strict_mode_refuses_the_first_mistake_and_writes_nothing(client, settings_overrides):
    before = box_state(client.box)
    body = schedule_body(element("max_trys", 3), element("comment", "x"))
    assert_error(client.post(OFAX, body, headers=XML), 400, "strict mode: " + MAX_TRYS)
    assert box_state(client.box) == before
    entry = last_entry(client)
    assert (entry["status"], entry["reason"], entry["warnings"]) == (400, "strict mode: " + MAX_TRYS, [MAX_TRYS])
    assert_error(client.post(OFAX, schedule_body()), 400, "strict mode: " + SHAPE_WARNINGS["R3 no content type"][0])
    assert_error(client.get("/ffws/v1/verify?debug=1"), 400, "strict mode: unknown query parameter debug")  # a GET too
    create_user(client, "bob", "pw")
    before = box_state(client.box)
    short_name = "strict mode: unknown element <n> in <schedule_fax/sender> (did you mean <name>?)"
    assert_error(client.post(OFAX, R1_SHORT_NAMES, headers=XML), 400, short_name)
    assert box_state(client.box) == before
    assert client.post(OFAX, GUIDE_EXAMPLE, headers=XML).status_code == 201


@pytest.mark.parametrize("settings_overrides", [{"strict": True}])
def test_strict_mode_challenges_a_client_without_credentials_first(client, settings_overrides):
    response = client.post(OFAX, schedule_body(element("max_trys", 3)), auth=None)
    assert response.status_code == 401
    assert "www-authenticate" in response.headers


@pytest.mark.parametrize("settings_overrides", [{"firmware": "guide-1.1", "strict": True}])
def test_a_requests_dialect_and_tolerance_do_not_outlive_it(client, settings_overrides):
    """Several requests in one task (as a test client may send them): the control plane answers in its own format
    whatever the last device request's firmware wrote, and strict mode stays on the device's requests."""

    async def in_one_task() -> tuple[str, str, int]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://faxfinder.test") as http:
            created = await http.post(OFAX, content=schedule_body(), headers=XML, auth=ADMIN)
            clock = await http.get("/_emulator/clock?unread=1")
            return created.text, clock.json()["now"], clock.status_code

    loop = asyncio.new_event_loop()
    try:
        created, now, status = loop.run_until_complete(in_one_task())
    finally:
        loop.close()
    assert "<created>2026-01-01 00:00:00</created>" in created
    assert (now, status) == ("2026-01-01T00:00:00", 200)


def test_every_device_route_notes_a_query_parameter_it_does_not_read(client):
    """The head is checked on every route (it runs where every route authenticates its caller)."""
    from emulator.catalogue import device

    for endpoint in device.for_model(client.box.settings.model):
        path = endpoint.path.replace("{username}", "admin").replace("{owner}", "admin")
        path = path.replace("{", "").replace("}", "")  # any other parameter: a value that names nothing
        response = client.request(endpoint.method, path + "?zz_unread=1")
        assert response.status_code != 500, f"{endpoint.method} {path}: {response.text}"
        entry = last_entry(client)
        assert "unknown query parameter zz_unread" in entry["warnings"], f"{endpoint.method} {path}: {entry}"
