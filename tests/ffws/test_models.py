"""Model differences (10-model-differences): every device endpoint of the catalogue answers on the models it names
and is an XML 404 on the others; and the wire differs where the models differ."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from emulator.catalogue import ANALOG, IP, all_endpoints
from emulator.settings import MODELS
from tests.conftest import assert_error, box_state
from tests.ffws.clients import advance, element, fax_to, party, schedule

DEVICE = [e for e in all_endpoints() if e.path.startswith("/ffws/v1/")]
PER_MODEL = pytest.mark.parametrize("settings_overrides", [{"model": m} for m in MODELS], ids=list(MODELS))


def test_the_catalogue_names_the_model_specific_endpoints():
    models = {(e.method, e.path): e.models for e in DEVICE}
    for path in ("/modem_status", "/modem_status/{modem}", "/modem_settings", "/modem_settings/{modem}"):
        assert models[("GET", f"/ffws/v1{path}")] == ANALOG
    for path in ("/channel_status", "/channel_status/{channel}", "/sip_settings", "/t38_settings"):
        assert models[("GET", f"/ffws/v1{path}")] == IP
    assert models[("GET", "/ffws/v1/status")] == models[("GET", "/ffws/v1/about")] == MODELS


def created_id(response) -> str:
    assert response.status_code == 200, response.text
    return re.search(r"<\w+_url>[^<]*/(\d+)</", response.text).group(1)


@pytest.fixture
def furnished(client) -> dict[str, str]:
    """A box with a fax sent (its preview), a fax received, an inbound route, a contact and a group; the values
    that fill every path parameter of the catalogue with something that exists."""
    schedule(client, fax_to("555-0100"))
    client.post("/_emulator/inbound", json={"pages": 1})
    client.put("/ffws/v1/inbound_routes", element("inbound_route", party(type="global")))
    advance(client, 600)
    return {
        "contact_id": created_id(client.post("/ffws/v1/contacts/admin", element("contact", party(name="C")))),
        "group_id": created_id(client.post("/ffws/v1/contact_groups/admin", element("contact_group", party(name="G")))),
        "owner": "admin",
        "username": "admin",
        "faxkey": "00000001",
        "entrykey": "0000",
        "route_id": "1",
        "modem": "1",
        "channel": "1",
        "section": "system",
        "kind": "inbound",
    }


def fill(path: str, values: dict[str, str]) -> str:
    names = {"preview": "00000001-0000.pdf", "cover_pages": "default.pdf", "inbound": "1.pdf"}
    values = {**values, "name": next((v for k, v in names.items() if f"/{k}/" in path), "")}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


@PER_MODEL
def test_every_device_endpoint_answers_on_its_models_and_is_404_elsewhere(client, furnished):
    model = client.box.settings.model
    mine = [e for e in DEVICE if model in e.models]
    foreign = [e for e in DEVICE if model not in e.models]
    assert len(foreign) == 6  # the six endpoints of the other family (modems or SIP channels)
    before = box_state(client.box)
    for endpoint in foreign:
        assert_error(client.request(endpoint.method, fill(endpoint.path, furnished)), 404, "Not Found")
    assert box_state(client.box) == before
    wrong = []
    for endpoint in sorted(mine, key=lambda e: e.method == "DELETE"):  # deletes last: they remove what others use
        path = fill(endpoint.path, furnished)
        response = client.request(endpoint.method, path)
        if response.status_code == 404:
            wrong.append(f"{endpoint.method} {path}: 404 {response.text}")
    assert wrong == []


def _tags(client, path: str, child: str) -> list[str]:
    root = etree.fromstring(client.get(path).content)
    return [e.tag for e in root.find(child)] if root.find(child) is not None else []


@PER_MODEL
def test_the_wire_follows_the_model(client):
    is_ip = client.box.settings.model == "FF240-IP"
    line_tag = "channel" if is_ip else "line_number"
    assert _tags(client, "/ffws/v1/status", "status") == ["channel" if is_ip else "modem", "system", "printer",
                                                          "network_share"]  # fmt: skip
    states = etree.fromstring(client.get("/ffws/v1/channel_status" if is_ip else "/ffws/v1/modem_status").content)
    assert {s.text for s in states.iter("state")} == {"Waiting for Ring" if is_ip else "Waiting For Ring"}
    assert len(states.findall("channel_status" if is_ip else "modem_status")) == client.box.settings.line_count
    client.post("/_emulator/inbound", json={"pages": 2})
    page_tag = "pages_recd" if is_ip else "current_page"
    assert _tags(client, "/ffws/v1/inbound_status", "inbound_entry") == [
        "state", "start_time", line_tag, "extension", "recipient", "remote_id", page_tag,
    ]  # fmt: skip
    schedule(client, fax_to("555-0100"))
    advance(client, 600)
    assert _tags(client, "/ffws/v1/inbound_log", "inbound_log_entry")[3] == line_tag
    assert _tags(client, "/ffws/v1/outbound_log", "outbound_log_entry")[7] == line_tag
    assert _tags(client, "/ffws/v1/call_log", "call")[4] == line_tag
    assert _tags(client, "/ffws/v1/about", "about")[6] == ("channels" if is_ip else "modems")
    forbidden = ("modem", "line_number", "modems", "current_page") if is_ip else ("channel", "channels", "pages_recd")
    for path in ("/ffws/v1/status", "/ffws/v1/inbound_log", "/ffws/v1/call_log", "/ffws/v1/about"):
        assert not set(forbidden) & {e.tag for e in etree.fromstring(client.get(path).content).iter()}, path
