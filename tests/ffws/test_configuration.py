"""FaxFinder configuration (12.3-12.4): inbound routes and the device settings, admin-only (any user may read
global_contacts_status), and what the settings change: the line pool and the global phone book."""

from __future__ import annotations

import pytest
from lxml import etree

from emulator.device import config
from tests.conftest import assert_error, assert_golden, box_state, message_of
from tests.ffws.clients import advance, create_user, element, fax_to, party, schedule

BASE = "https://faxfinder.test/ffws/v1"
ROUTES = "/ffws/v1/inbound_routes"
ROUTE_NOT_FOUND = "Inbound route not found."
VIEW_DENIED = "Authenticated user does not have permission to view data."
CHANGE_DENIED = "Authenticated user does not have permission to change data."
CONTACTS_DENIED = "Authenticated user does not have permission to change data associated with username."
ROUTE_FIELDS = ["inbound_route_url", "type", "line_number", "extension", "name"]
FF240 = {"model": "FF240", "lines": 2}
FF840 = {"model": "FF840"}
IP = {"model": "FF240-IP", "lines": 2}


def refused(client, status: int, message: str, path: str, method: str = "GET", body=None, **kwargs) -> None:
    """A refused request: its status, its message, and not a row written."""
    before = box_state(client.box)
    assert_error(client.request(method, path, body, **kwargs), status, message)
    assert box_state(client.box) == before


def route_body(*destinations: tuple[str, str], **fields: object) -> str:
    children = [element("destination", party(type=t, value=v)) for t, v in destinations]
    return element("inbound_route", party(**fields) + children)


def routes_of(response) -> list[dict]:
    """Every inbound_route as {child: text, "destinations": [(type, value)]}, checking the child order."""
    assert response.status_code == 200, response.text
    found = []
    for route in etree.fromstring(response.content).findall("inbound_route"):
        tags = [child.tag for child in route]
        assert tags[:5] == ROUTE_FIELDS and set(tags[5:]) <= {"destination"}
        item = {child.tag: child.text or "" for child in route if child.tag != "destination"}
        item["destinations"] = [(d.findtext("type"), d.findtext("value") or "") for d in route.findall("destination")]
        found.append(item)
    return found


def create_route(client, *destinations: tuple[str, str], **fields: object) -> dict:
    response = client.put(ROUTES, route_body(*destinations, **fields))
    assert message_of(response) == "Created"
    (route,) = routes_of(response)
    return route


def setting(client, name: str, auth=("admin", "admin")) -> dict[str, str]:
    response = client.get(f"/ffws/v1/{name}", auth=auth)
    assert response.status_code == 200, response.text
    (element_,) = etree.fromstring(response.content).findall(name)
    return {child.tag: child.text or "" for child in element_}


def put_setting(client, name: str, path: str | None = None, **fields: object) -> None:
    response = client.put(f"/ffws/v1/{path or name}", element(name, party(**fields)))
    assert response.status_code == 200, response.text
    assert message_of(response) == "Modified"


# -- inbound routes ----------------------------------------------------------------------------------------------
def test_inbound_route_life_cycle(client):
    create_user(client, "alice")
    assert routes_of(client.get(ROUTES)) == []
    every_kind = [
        ("user", "alice"),
        ("email", "fax@example.test"),
        ("printer", "HP"),
        ("share", "scans"),
        ("trash", ""),
    ]
    route = create_route(client, *every_kind, type="recipient", extension="0042", name="Sales")
    assert route == {
        "inbound_route_url": f"{BASE}/inbound_routes/1",
        "type": "recipient",
        "line_number": "",
        "extension": "0042",
        "name": "Sales",
        "destinations": every_kind,
    }
    assert routes_of(client.get(f"{ROUTES}/1")) == [route] == routes_of(client.get(ROUTES))
    # Only the fields sent change; a URL in the body names nothing: the path's ID wins.
    other = create_route(client, type="global", name="Everything")
    body = route_body(("email", "new@example.test"), inbound_route_url=f"{BASE}/inbound_routes/2", name="Renamed")
    response = client.put(f"{ROUTES}/1", body)
    assert (response.status_code, message_of(response)) == (200, "Modified")
    (changed,) = routes_of(client.get(f"{ROUTES}/1"))
    assert changed == {**route, "name": "Renamed", "destinations": [("email", "new@example.test")]}
    assert routes_of(client.get(f"{ROUTES}/2")) == [other]
    client.put(f"{ROUTES}/1", route_body(extension="7"))  # no destination sent: they stay
    assert routes_of(client.get(f"{ROUTES}/1"))[0]["destinations"] == [("email", "new@example.test")]
    client.put(f"{ROUTES}/2", route_body(type="line", line_number=2))  # a global route becomes a line route
    assert routes_of(client.get(f"{ROUTES}/2"))[0] | {"destinations": []} == {
        **other,
        "type": "line",
        "line_number": "2",
    }
    response = client.delete(f"{ROUTES}/1")
    assert (response.status_code, message_of(response)) == (200, "Deleted")
    refused(client, 404, ROUTE_NOT_FOUND, f"{ROUTES}/1")
    refused(client, 404, ROUTE_NOT_FOUND, f"{ROUTES}/1", "DELETE")
    assert [r["inbound_route_url"] for r in routes_of(client.get(ROUTES))] == [f"{BASE}/inbound_routes/2"]


@pytest.mark.parametrize("settings_overrides", [IP, FF840])
def test_a_line_route_names_a_line_of_this_box(client):
    lines = client.box.settings.line_count
    assert create_route(client, type="line", line_number=lines)["line_number"] == str(lines)
    before = box_state(client.box)
    response = client.put(ROUTES, route_body(type="line", line_number=lines + 1))
    assert_error(response, 400, f"invalid line_number: out of range (1-{lines})")
    assert box_state(client.box) == before


@pytest.mark.parametrize("raw_id", ["99", "x", "0", "\u00b2", "99999999999999999999999"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_route_is_404(client, method, raw_id):
    create_route(client, type="global")
    before = box_state(client.box)
    body = route_body(name="x") if method == "PUT" else None
    assert_error(client.request(method, f"{ROUTES}/{raw_id}", body), 404, ROUTE_NOT_FOUND)
    assert box_state(client.box) == before


INVALID_ROUTES = [
    (route_body(type="dial"), "invalid type: must be one of global, line, recipient"),
    (route_body(type="line"), "invalid line_number: out of range (1-2)"),
    (route_body(type="line", line_number=25), "invalid line_number: out of range (1-24)"),
    (route_body(type="recipient"), "invalid extension: 1 to 15 digits"),
    (route_body(type="recipient", extension="12a"), "invalid extension: 1 to 15 digits"),
    (route_body(type="recipient", extension="\u00b2"), "invalid extension: 1 to 15 digits"),  # "²".isdigit()
    (route_body(type="recipient", extension="1" * 16), "invalid extension: longer than 15 characters"),
    (route_body(("user", "zed"), type="global"), "invalid destination value: no user named zed"),
    (route_body(("email", "nobody"), type="global"), "invalid destination value: not an e-mail address: nobody"),
    (route_body(("printer", ""), type="global"), "invalid destination value: empty"),
    (route_body(("fax", "1"), type="global"),
     "invalid destination type: must be one of user, email, printer, share, trash"),
    (route_body(("email", "a@b.test"), ("user", "zed"), type="global"),
     "invalid destination value: no user named zed"),  # the second destination spoils all
    ("<route><type>global</type></route>", "invalid root element: expected <inbound_route>, got <route>"),
    ("", "The provided XML is not valid: the document is empty"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), INVALID_ROUTES)
@pytest.mark.parametrize("path", ["", "/1"], ids=["create", "edit"])
def test_an_invalid_route_is_400_and_nothing_changes(client, path, body, message):
    create_route(client, ("email", "keep@example.test"), type="global", name="Keep")
    before = box_state(client.box)
    assert_error(client.put(ROUTES + path, body), 400, message)
    assert box_state(client.box) == before


def test_a_new_route_needs_a_type(client):
    before = box_state(client.box)
    assert_error(client.put(ROUTES, route_body(name="no type")), 400, "invalid type: empty")
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", ROUTES, VIEW_DENIED),
        ("GET", f"{ROUTES}/1", VIEW_DENIED),
        ("PUT", ROUTES, CHANGE_DENIED),
        ("PUT", f"{ROUTES}/1", CHANGE_DENIED),
        ("DELETE", f"{ROUTES}/1", CHANGE_DENIED),
    ],
)
def test_inbound_routes_are_admin_only(client, method, path, message):
    alice = create_user(client, "alice")
    create_route(client, type="global")
    before = box_state(client.box)
    body = route_body(type="recipient", extension="1") if method == "PUT" else None
    assert_error(client.request(method, path, body, auth=alice), 403, message)
    assert box_state(client.box) == before


# -- device settings ---------------------------------------------------------------------------------------------
SINGLETONS = {
    # name: (model, a valid change)
    "t37_settings": ("FF840", {"enabled": "true", "port": "995", "default_cover_page_name": "default.pdf"}),
    "sip_settings": ("FF240-IP", {"registrar": "sip.example.test", "transport": "tcp", "channels": "1"}),
    "t38_settings": ("FF240-IP", {"max_bit_rate": "9600", "ecm": "false", "udptl_redundancy": "0"}),
    "global_contacts_status": ("FF840", {"non_admin_can_add": "true"}),
}


@pytest.mark.parametrize(
    ("settings_overrides", "name"), [({"model": model}, name) for name, (model, _) in SINGLETONS.items()]
)
def test_a_setting_changes_only_the_fields_sent_and_persists(client, name):
    change = SINGLETONS[name][1]
    before = setting(client, name)
    assert_golden(name, client.get(f"/ffws/v1/{name}"))
    put_setting(client, name, **change)
    assert setting(client, name) == {**before, **change}
    put_setting(client, name)  # an empty element changes nothing
    assert setting(client, name) == {**before, **change}


@pytest.mark.parametrize(("settings_overrides", "name"), [(FF840, "t37_settings"), (IP, "sip_settings")])
def test_a_password_is_write_only(client, name):
    put_setting(client, name, username="fax", password="s3cret")
    assert (setting(client, name)["username"], setting(client, name)["password"]) == ("fax", "")
    with client.box.db.read() as session:
        stored = config.read_setting(session, name)["password"]
    assert stored.startswith("$argon2") and client.box.auth.passwords.verify("s3cret", stored)  # kept, as a hash


INVALID_SETTINGS = [
    (FF840, "t37_settings", {"port": "0"}, "invalid port: out of range (1-65535)"),
    (FF840, "t37_settings", {"enabled": "on", "port": "25"}, "invalid enabled: must be true or false"),
    (FF840, "t37_settings", {"port": "25", "poll_interval": "x"}, "invalid poll_interval: not a number"),
    (FF840, "t37_settings", {"default_cover_page_name": "no.pdf"},
     "invalid default_cover_page_name: no cover page named no.pdf"),
    (IP, "sip_settings", {"transport": "sctp"}, "invalid transport: must be one of udp, tcp"),
    (IP, "sip_settings", {"port": "5070", "channels": "3"}, "invalid channels: at most 2 channels are licensed"),
    (IP, "sip_settings", {"register_interval": "10"}, "invalid register_interval: out of range (60-86400)"),
    (IP, "t38_settings", {"max_bit_rate": "5000"},
     "invalid max_bit_rate: must be one of 2400, 4800, 7200, 9600, 12000, 14400"),
    (IP, "t38_settings", {"udptl_redundancy": "6"}, "invalid udptl_redundancy: out of range (0-5)"),
    (FF840, "global_contacts_status", {"non_admin_can_add": "maybe"},
     "invalid non_admin_can_add: must be true or false"),
]  # fmt: skip


@pytest.mark.parametrize(("settings_overrides", "name", "fields", "message"), INVALID_SETTINGS)
def test_an_invalid_setting_is_400_naming_the_field_and_nothing_changes(client, name, fields, message):
    before = box_state(client.box)
    assert_error(client.put(f"/ffws/v1/{name}", element(name, party(**fields))), 400, message)
    assert box_state(client.box) == before


@pytest.mark.parametrize(
    ("settings_overrides", "name"),
    [(FF840, "t37_settings"), (FF840, "modem_settings"), (FF840, "modem_settings/1"), (FF840, "modem_settings/99"),
     (IP, "sip_settings"), (IP, "t38_settings"), (FF840, "global_contacts_status")],
)  # fmt: skip
def test_settings_are_admin_only_except_reading_global_contacts_status(client, name):
    alice = create_user(client, "alice")
    before = box_state(client.box)
    body = element(name.split("/")[0], party(enabled="false"))
    assert_error(client.put(f"/ffws/v1/{name}", body, auth=alice), 403, CHANGE_DENIED)
    if name == "global_contacts_status":
        assert setting(client, name, auth=alice) == {"non_admin_can_add": "false"}
    else:
        assert_error(client.get(f"/ffws/v1/{name}", auth=alice), 403, VIEW_DENIED)
    assert box_state(client.box) == before


# -- modem settings ----------------------------------------------------------------------------------------------


def modems(client, path: str = "modem_settings") -> list[dict[str, str]]:
    response = client.get(f"/ffws/v1/{path}")
    assert response.status_code == 200, response.text
    return [{c.tag: c.text or "" for c in m} for m in etree.fromstring(response.content).findall("modem_settings")]


@pytest.mark.parametrize("settings_overrides", [FF240])
def test_modem_settings_one_modem_at_a_time(client):
    assert_golden("modem_settings_ff240", client.get("/ffws/v1/modem_settings"))
    first, second = modems(client)
    assert modems(client, "modem_settings/2") == [second]
    put_setting(client, "modem_settings", "modem_settings/2", answer_on=3, routing="dtmf_digits", modem_number=1)
    assert modems(client) == [first, {**second, "answer_on": "3", "routing": "dtmf_digits"}]  # the path wins
    put_setting(client, "modem_settings", modem_number=1, station_id="+1 218 555 0100")
    assert modems(client)[0] == {**first, "station_id": "+1 218 555 0100"}


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        ("modem_settings/3", {"answer_on": 2}, "invalid modem_number: out of range (1-2)"),
        ("modem_settings/\u00b2", {"answer_on": 2}, "invalid modem_number: out of range (1-2)"),
        ("modem_settings", {"answer_on": 2}, "invalid modem_number: out of range (1-2)"),
        ("modem_settings/1", {"answer_on": 0}, "invalid answer_on: out of range (1-9)"),
        (
            "modem_settings/1",
            {"answer_on": 2, "routing": "isdn"},
            "invalid routing: must be one of pots_line, dtmf_digits, pbx_mode_code",
        ),
        ("modem_settings/1", {"max_extension_digits": 16}, "invalid max_extension_digits: out of range (1-15)"),
        ("modem_settings/1", {"country_code": ""}, "invalid country_code: empty"),
        ("modem_settings/1", {"station_id": "1" * 21}, "invalid station_id: longer than 20 characters"),
    ],
)
@pytest.mark.parametrize("settings_overrides", [FF240])
def test_an_invalid_modem_setting_is_400_and_nothing_changes(client, path, fields, message):
    before = box_state(client.box)
    assert_error(client.put(f"/ffws/v1/{path}", element("modem_settings", party(**fields))), 400, message)
    assert box_state(client.box) == before
    refused(client, 400, "invalid modem_number: out of range (1-2)", "/ffws/v1/modem_settings/3")


# -- what the settings change --------------------------------------------------------------------------------------
def line_states(client) -> list[str]:
    tag = "channel_status" if client.box.profile.is_ip else "modem_status"
    return [s.text for s in etree.fromstring(client.get(f"/ffws/v1/{tag}").content).findall(f"{tag}/state")]


def entry_states(client) -> list[str]:
    return [s.text for s in etree.fromstring(client.get("/ffws/v1/ofax").content).findall("fax_entry/state")]


@pytest.mark.parametrize(
    ("settings_overrides", "path", "out_of_service", "back", "states", "out_line"),
    [
        (FF240, "modem_settings/1", {"enabled": "false"}, {"enabled": "true"}, ["Modem Busy", "Waiting For Ring"], 1),
        (IP, "sip_settings", {"channels": "1"}, {"channels": "0"}, ["Waiting for Ring", "Disabled"], 2),
    ],
    ids=["modem disabled", "one SIP channel"],
)
def test_a_line_taken_out_of_service_leaves_the_pool(client, path, out_of_service, back, states, out_line):
    name = path.split("/")[0]
    put_setting(client, name, path, **out_of_service)
    assert line_states(client) == states
    counts = etree.fromstring(client.get("/ffws/v1/status").content).find("status")[0]
    assert [c.text for c in counts] == ["0", "0", "1"]  # inbound, outbound, idle
    schedule(client, fax_to("555-0100"))
    schedule(client, fax_to("555-0200"))
    advance(client, 10)
    assert entry_states(client) == ["sending", "pending"]  # the second fax waits instead of using the idle line
    assert client.post("/_emulator/inbound", json={"pages": 1, "line": out_line}).json()["busy"] is True
    put_setting(client, name, path, **back)
    advance(client, 0)
    assert entry_states(client) == ["sending", "sending"]


@pytest.mark.parametrize("settings_overrides", [IP])
def test_sip_disabled_takes_every_channel_out(client):
    put_setting(client, "sip_settings", enabled="false")
    assert line_states(client) == ["Disabled", "Disabled"]
    schedule(client, fax_to("555-0100"))
    advance(client, 600)
    assert entry_states(client) == ["pending"]
    assert client.post("/_emulator/inbound", json={"pages": 1}).json() == {
        "id": None, "line": None, "busy": True, "call_id": 1
    }  # fmt: skip


def test_global_contacts_status_decides_whether_a_user_may_add_global_contacts(client):
    alice = create_user(client, "alice")
    contact = element("contact", party(name="Shared", fax_number="555-0100"))
    path = "/ffws/v1/contacts/global_contact_list"
    before = box_state(client.box)
    assert_error(client.post(path, contact, auth=alice), 403, CONTACTS_DENIED)
    assert box_state(client.box) == before
    put_setting(client, "global_contacts_status", non_admin_can_add="true")
    assert setting(client, "global_contacts_status", auth=alice) == {"non_admin_can_add": "true"}
    response = client.post(path, contact, auth=alice)
    assert (response.status_code, message_of(response)) == (200, "Created")
    put_setting(client, "global_contacts_status", non_admin_can_add="false")
    refused(client, 403, CONTACTS_DENIED, path, "POST", contact, auth=alice)


def test_inbound_route_golden(client):
    create_user(client, "alice")
    create_route(client, ("user", "alice"), ("trash", ""), type="recipient", extension="123", name="Alice")
    assert_golden("inbound_route", client.get(f"{ROUTES}/1"))
