"""Received faxes (12.2, 12.3, 12.6): a call arrives through /_emulator/inbound, takes a line, is routed, shows in
inbound_status while it lasts and lands in inbound_log with its PDF; with every line busy only the call log knows."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import assert_error, assert_golden, box_state
from tests.ffws.clients import (
    advance,
    b64,
    create_user,
    element,
    fax_to,
    image_bytes,
    party,
    pdf_bytes,
    schedule,
)

FF840 = {"model": "FF840", "lines": 2}
IP = {"model": "FF240-IP", "lines": 2}
MODELS = pytest.mark.parametrize("settings_overrides", [FF840, IP], ids=["FF840", "FF240-IP"])
ANALOG_ENTRY = ["state", "start_time", "line_number", "extension", "recipient", "remote_id", "current_page"]
IP_ENTRY = ["state", "start_time", "channel", "extension", "recipient", "remote_id", "pages_recd"]
NOT_FOUND = "Received fax not found."
DENIED = "Authenticated user does not have permission to view this fax."


def refused(client, status: int, message: str, path: str, method: str = "GET", body=None, **kwargs) -> None:
    """A refused request: its status, its message, and not a row written."""
    before = box_state(client.box)
    assert_error(client.request(method, path, body, **kwargs), status, message)
    assert box_state(client.box) == before


def receive(client, **fields: object) -> dict:
    response = client.post("/_emulator/inbound", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def receiving(client, auth=("admin", "admin")) -> list[dict[str, str]]:
    response = client.get("/ffws/v1/inbound_status", auth=auth)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert root.findtext("message") == "Success"
    expected = IP_ENTRY if client.box.profile.is_ip else ANALOG_ENTRY
    entries = root.findall("inbound_entry")
    assert all([child.tag for child in e] == expected for e in entries)
    return [{child.tag: child.text or "" for child in e} for e in entries]


def line_state(client, number: int = 1) -> dict[str, str]:
    tag = "channel_status" if client.box.profile.is_ip else "modem_status"
    (line,) = etree.fromstring(client.get(f"/ffws/v1/{tag}/{number}").content).findall(tag)
    return {child.tag: child.text or "" for child in line}


def inbound_log(client, auth=("admin", "admin")) -> list[dict[str, str]]:
    response = client.get("/ffws/v1/inbound_log", auth=auth)
    assert response.status_code == 200, response.text
    return [{c.tag: c.text or "" for c in e} for e in etree.fromstring(response.content).findall("inbound_log_entry")]


def calls(client) -> list[dict[str, str]]:
    response = client.get("/ffws/v1/call_log?order=asc")
    assert response.status_code == 200, response.text
    return [{c.tag: c.text or "" for c in e} for e in etree.fromstring(response.content).findall("call")]


def count(client, auth=("admin", "admin")) -> str:
    return etree.fromstring(client.get("/ffws/v1/log_count/inbound", auth=auth).content).findtext("count")


def pdf_pages(client, fax_id: int, auth=("admin", "admin")) -> list[str]:
    """The text of every page of a received fax."""
    response = client.get(f"/ffws/v1/data/inbound/{fax_id}.pdf", auth=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def add_route(client, kind: str, *users: str, **fields: object) -> None:
    destinations = [element("destination", party(type="user", value=u)) for u in users]
    body = element("inbound_route", party(type=kind, **fields) + destinations)
    response = client.put("/ffws/v1/inbound_routes", body)
    assert response.status_code == 200, response.text


# -- a fax coming in ---------------------------------------------------------------------------------------------
@MODELS
def test_a_received_fax_shows_while_it_lasts_then_lands_in_the_log(client):
    is_ip = client.box.profile.is_ip
    answer = receive(client, remote_id="REMOTE CSID", caller_id="218-555-0100", extension="42", pages=3)
    assert answer == {"id": 1, "line": 1, "busy": False, "call_id": None}
    # 15 s of handshake, then a page every 30 s: (second, page on the wire, pages complete)
    now = 0
    for second, page, complete in [(0, "0", "0"), (15, "1", "0"), (45, "2", "1"), (75, "3", "2"), (104, "3", "2")]:
        advance(client, second - now)
        now = second
        (entry,) = receiving(client)
        assert entry["state"] == "Receiving"
        assert entry["start_time"] == "2026-01-01T00:00:00"
        assert (entry["channel"] if is_ip else entry["line_number"]) == "1"
        assert (entry["extension"], entry["recipient"], entry["remote_id"]) == ("42", "admin", "REMOTE CSID")
        assert (entry["pages_recd"] if is_ip else entry["current_page"]) == (complete if is_ip else page), second
        line = line_state(client)
        assert line["state"] == ("Negotiating" if second < 15 else "Receiving Page")
        assert (line["fax_number"], line["remote_id"]) == ("218-555-0100", "" if second < 15 else "REMOTE CSID")
    status = etree.fromstring(client.get("/ffws/v1/status").content)
    assert status.findtext("status/*/number_inbound") == "1"
    advance(client, 1)
    assert receiving(client) == []
    assert line_state(client)["state"] == ("Waiting for Ring" if is_ip else "Waiting For Ring")
    (record,) = inbound_log(client)
    assert record["id"] == "1"
    assert (record["pages"], record["duration"], record["result"]) == ("3", "105", "success")
    assert (record["result_message"], record["caller_id"]) == ("Fax received", "218-555-0100")
    assert record["end_time"] == "2026-01-01T00:01:45"
    assert record["fax_url"] == "https://faxfinder.test/ffws/v1/data/inbound/1.pdf"
    assert len(pdf_pages(client, 1)) == 3
    assert [(c["direction"], c["number"], c["result"], c["duration"]) for c in calls(client)] == [
        ("inbound", "218-555-0100", "fax", "105")
    ]


def test_inbound_status_is_success_and_empty_when_nothing_comes_in(client):
    assert receiving(client) == []


@pytest.mark.parametrize(
    ("outcome", "sent", "received", "duration", "call_result"),
    [
        ("success", 4, 4, 135, "fax"),
        ("partial", 4, 2, 75, "fax"),
        ("failure", 4, 0, 15, "failed"),
    ],
)
def test_each_outcome_with_a_generated_document(client, outcome, sent, received, duration, call_result):
    receive(client, pages=sent, outcome=outcome)
    advance(client, 600)
    (record,) = inbound_log(client)
    assert (record["result"], record["pages"], record["duration"]) == (outcome, str(received), str(duration))
    assert calls(client)[0]["result"] == call_result
    if received:
        assert record["fax_url"].endswith("/data/inbound/1.pdf")
        assert len(pdf_pages(client, 1)) == received
    else:
        assert record["fax_url"] == ""
        refused(client, 404, NOT_FOUND, "/ffws/v1/data/inbound/1.pdf")


def test_a_one_page_partial_fax_keeps_no_document(client):
    receive(client, pages=1, outcome="partial")
    advance(client, 600)
    (record,) = inbound_log(client)
    assert (record["result"], record["pages"], record["fax_url"]) == ("partial", "0", "")
    refused(client, 404, NOT_FOUND, "/ffws/v1/data/inbound/1.pdf")


@pytest.mark.parametrize(
    ("document", "outcome", "expected"),
    [
        (pdf_bytes(3, "Sheet"), "success", ["Sheet 1", "Sheet 2", "Sheet 3"]),
        (pdf_bytes(4, "Sheet"), "partial", ["Sheet 1", "Sheet 2"]),
        (image_bytes("TIFF", frames=2), "success", ["", ""]),
    ],
    ids=["pdf", "pdf-partial", "tiff"],
)
def test_the_senders_document_is_what_is_stored(client, document, outcome, expected):
    answer = receive(client, document_base64=b64(document), pages=9, outcome=outcome)  # the document wins over pages
    refused(client, 404, NOT_FOUND, f"/ffws/v1/data/inbound/{answer['id']}.pdf")  # still receiving
    advance(client, 600)
    (record,) = inbound_log(client)
    assert record["pages"] == str(len(expected))
    assert [text.strip() for text in pdf_pages(client, answer["id"])] == expected


# -- routing (12.3) ----------------------------------------------------------------------------------------------
@pytest.fixture
def users(client) -> dict[str, tuple[str, str]]:
    return {name: create_user(client, name) for name in ("alice", "bob", "carol")}


@MODELS
def test_routing_recipient_route_then_line_route_then_admin(client, users):
    add_route(client, "line", "bob", line_number=2)
    add_route(client, "recipient", "alice", extension="123")
    arrivals = [
        ({"extension": "123", "line": 2}, "alice"),  # the dialled digits win over the line
        ({"extension": "999", "line": 2}, "bob"),  # no recipient route for 999: the line's route
        ({"extension": "123", "line": 1}, "alice"),
        ({"line": 1}, "admin"),  # nothing matches
    ]
    for fields, recipient in arrivals:
        receive(client, pages=1, **fields)
        (entry,) = receiving(client)
        assert entry["recipient"] == recipient, fields
        advance(client, 600)
    assert [r["recipient"] for r in reversed(inbound_log(client))] == ["alice", "bob", "alice", "admin"]


def test_a_global_route_wins_over_everything(client, users):
    add_route(client, "recipient", "alice", extension="123")
    add_route(client, "line", "bob", line_number=1)
    add_route(client, "global", "carol", "bob")
    receive(client, pages=1, extension="123", line=1)
    assert receiving(client)[0]["recipient"] == "carol,bob"
    advance(client, 600)
    assert inbound_log(client)[0]["recipient"] == "carol,bob"
    assert len(inbound_log(client, auth=users["bob"])) == 1
    assert inbound_log(client, auth=users["alice"]) == []


def test_a_user_sees_only_the_faxes_routed_to_it(client, users):
    add_route(client, "recipient", "alice", extension="1")
    add_route(client, "recipient", "bob", extension="2")
    for extension in ("1", "2", "3"):
        receive(client, pages=1, extension=extension)
        advance(client, 600)
    alice, bob = users["alice"], users["bob"]
    assert [(r["id"], r["recipient"]) for r in inbound_log(client, auth=alice)] == [("1", "alice")]
    assert [(r["id"], r["recipient"]) for r in inbound_log(client, auth=bob)] == [("2", "bob")]
    assert (count(client, auth=alice), count(client, auth=bob), count(client)) == ("1", "1", "3")
    assert len(pdf_pages(client, 1, auth=alice)) == 1
    refused(client, 403, DENIED, "/ffws/v1/data/inbound/2.pdf", auth=alice)
    refused(client, 403, DENIED, "/ffws/v1/data/inbound/3.pdf", auth=alice)
    assert len(pdf_pages(client, 3)) == 1  # the admin sees every fax


# -- every line busy ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings_overrides", [{"model": "FF240", "lines": 1}, {"model": "FF240-IP", "lines": 1}])
def test_with_the_only_line_sending_the_caller_hears_busy(client):
    schedule(client, fax_to("555-0100", pages=1))
    advance(client, 5)  # preprocessed and dialling
    answer = receive(client, remote_id="R", caller_id="218-555-0199", pages=2)
    assert answer == {"id": None, "line": None, "busy": True, "call_id": 1}
    assert receiving(client) == []
    advance(client, 600)
    assert inbound_log(client) == []
    assert count(client) == "0"
    sent, busy = calls(client)  # oldest first: the outbound call started at 3 s, the busy one at 5 s
    assert (busy["direction"], busy["number"], busy["result"]) == ("inbound", "218-555-0199", "busy")
    assert (busy["start_time"], busy["duration"]) == ("2026-01-01T00:00:05", "0")
    assert (sent["direction"], sent["result"]) == ("outbound", "fax")


@pytest.mark.parametrize("settings_overrides", [FF840])
def test_asking_for_a_busy_line_is_busy_even_with_another_line_free(client):
    first = receive(client, pages=2, line=1)
    assert (first["line"], first["busy"]) == (1, False)
    assert receive(client, pages=1, line=1) == {"id": None, "line": 1, "busy": True, "call_id": 1}
    assert receive(client, pages=1)["line"] == 2  # no line asked: the first free one
    assert [e["line_number"] for e in receiving(client)] == ["1", "2"]
    assert receive(client, pages=1)["busy"] is True


@pytest.mark.parametrize("settings_overrides", [{"model": "FF240", "lines": 1}])
def test_a_pending_fax_waits_while_the_line_receives(client):
    receive(client, pages=2)  # the line is taken from 0 to 75 s
    schedule(client, fax_to("555-0100", pages=1))
    advance(client, 74)
    states = etree.fromstring(client.get("/ffws/v1/outbound_status").content).findall("fax_entry/state")
    assert [s.text for s in states] == ["pending"]
    advance(client, 1)  # the fax is received: the line is free for the pending one
    states = etree.fromstring(client.get("/ffws/v1/outbound_status").content).findall("fax_entry/state")
    assert [s.text for s in states] == ["sending"]
    assert [(c["direction"], c["result"]) for c in calls(client)] == [("inbound", "fax")]


# -- golden files ------------------------------------------------------------------------------------------------
@MODELS
def test_inbound_goldens(client, users):
    add_route(client, "recipient", "alice", extension="123")
    receive(client, remote_id="REMOTE CSID", caller_id="218-555-0100", extension="123", pages=2)
    advance(client, 45)
    suffix = "ff240ip" if client.box.profile.is_ip else "ff840"
    assert_golden(f"inbound_status_{suffix}", client.get("/ffws/v1/inbound_status"))
    advance(client, 600)
    assert_golden(f"inbound_log_{suffix}", client.get("/ffws/v1/inbound_log"))
