"""Fax status (05-status): the summary and its sections, the lines while a fax goes out under the manual clock, and
the outbound queue (outbound_status)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state
from tests.ffws.clients import advance, attachment, cover, create_user, recipient, schedule, schedule_body, text_bytes

FF840 = {"model": "FF840", "lines": 3}
IP = {"model": "FF240-IP", "lines": 2}
NUMBER = "+1 218-555-3335"  # as scheduled: spaces and dashes are kept on the line
REMOTE_ID = "12185553335"  # the far end announces its digits
MODEM_FIELDS = [
    "modem_number", "state", "page", "vertical_resolution", "baud_rate", "width", "height", "connect_time",
    "elasped_time", "fax_number", "remote_id",
]  # fmt: skip
CHANNEL_FIELDS = [
    "channel_number", "state", "pages_sent_recd", "baud_rate", "fax_number", "ecm", "line_encoding", "resolution",
    "remote_id", "modulation",
]  # fmt: skip
NO_OUTBOUND = "No current outbound faxes."


def refused(client, status: int, message: str, path: str, method: str = "GET", body=None, **kwargs) -> None:
    """A refused request: its status, its message, and not a row written."""
    before = box_state(client.box)
    assert_error(client.request(method, path, body, **kwargs), status, message)
    assert box_state(client.box) == before


def elements(response, tag: str, fields: list[str] | None = None) -> list[dict[str, str]]:
    """Every ``tag`` child of a Success answer as {child: text}, checking the child order when ``fields`` is given."""
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert root.findtext("message") == "Success"
    found = root.findall(tag)
    if fields is not None:
        assert all([child.tag for child in e] == fields for e in found)
    return [{child.tag: child.text or "" for child in e} for e in found]


def lines(client) -> list[dict[str, str]]:
    if client.box.profile.is_ip:
        return elements(client.get("/ffws/v1/channel_status"), "channel_status", CHANNEL_FIELDS)
    return elements(client.get("/ffws/v1/modem_status"), "modem_status", MODEM_FIELDS)


def counts(client) -> dict[str, str]:
    root = etree.fromstring(client.get("/ffws/v1/status").content)
    (first,) = root.find("status").findall("channel" if client.box.profile.is_ip else "modem")
    return {child.tag: child.text for child in first}


def two_page_fax(client, number: str = NUMBER, **auth) -> str:
    """Cover page + a one-page text: 3 s preprocessing, 15 s dialling, 2 pages of 30 s. Returns FAXKEY/ENTRYKEY."""
    body = schedule_body(recipients=[recipient(number)], attachments=[attachment(text_bytes(3))], cover_page=cover())
    (entry,) = schedule(client, body, **auth)
    return "/".join(entry.findtext("fax_entry_url").rsplit("/", 2)[-2:])


# -- the summary -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings_overrides", "section", "tag"),
    [
        (FF840, "system", "system"),
        (FF840, "SYSTEM", "system"),
        (FF840, "Printer", "printer"),
        (FF840, "SHARE", "network_share"),
        (FF840, "MODEM", "modem"),
        (FF840, "Modem", "modem"),
        (IP, "CHANNEL", "channel"),
        (IP, "channel", "channel"),
        (IP, "sYsTeM", "system"),
    ],
)
def test_a_section_in_any_case_answers_only_that_child(client, section, tag):
    response = client.get(f"/ffws/v1/status/{section}")
    assert response.status_code == 200, response.text
    (status,) = etree.fromstring(response.content).findall("status")
    assert [child.tag for child in status] == [tag]


def test_system_section_shows_the_emulated_clock(client):
    advance(client, 3725)
    system = etree.fromstring(client.get("/ffws/v1/status/SYSTEM").content).find("status/system")
    assert {child.tag: child.text for child in system} == {
        "uptime": "0 days, 01:02:05",
        "current_time": "2026-01-01T01:02:05",
        "time_server": None,
    }


@pytest.mark.parametrize(
    ("settings_overrides", "section", "status", "message"),
    [
        (FF840, "CHANNEL", 404, "Not Found"),
        (FF840, "nonsense", 400, "invalid section: must be one of MODEM, SYSTEM, PRINTER, SHARE"),
        (FF840, "network_share", 400, "invalid section: must be one of MODEM, SYSTEM, PRINTER, SHARE"),
        (IP, "MODEM", 404, "Not Found"),
        (IP, "modem", 404, "Not Found"),
        (IP, "nonsense", 400, "invalid section: must be one of CHANNEL, SYSTEM, PRINTER, SHARE"),
    ],
)
def test_unknown_or_foreign_section_is_refused(client, section, status, message):
    refused(client, status, message, f"/ffws/v1/status/{section}")


# -- one line ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings_overrides", "path", "message"),
    [
        ({"model": "FF840"}, "modem_status/9", "invalid modem_number: out of range (1-8)"),
        ({"model": "FF840"}, "modem_status/0", "invalid modem_number: out of range (1-8)"),
        ({"model": "FF840"}, "modem_status/x", "invalid modem_number: out of range (1-8)"),
        ({"model": "FF840"}, "modem_status/-1", "invalid modem_number: out of range (1-8)"),
        ({"model": "FF840"}, "modem_status/\u00b2", "invalid modem_number: out of range (1-8)"),  # "²".isdigit()
        ({"model": "FF840"}, "modem_status/99999999999999999999", "invalid modem_number: out of range (1-8)"),
        ({"model": "FF240"}, "modem_status/3", "invalid modem_number: out of range (1-2)"),
        (IP, "channel_status/3", "invalid channel_number: out of range (1-2)"),
        (IP, "channel_status/0", "invalid channel_number: out of range (1-2)"),
    ],
)
def test_a_line_number_out_of_range_is_400(client, path, message):
    refused(client, 400, message, f"/ffws/v1/{path}")


@pytest.mark.parametrize(
    ("settings_overrides", "path", "tag", "fields"),
    [
        (FF840, "modem_status/3", "modem_status", MODEM_FIELDS),
        (IP, "channel_status/2", "channel_status", CHANNEL_FIELDS),
    ],
)
def test_one_line_answers_only_that_line(client, path, tag, fields):
    (line,) = elements(client.get(f"/ffws/v1/{path}"), tag, fields)
    assert line[fields[0]] == path.rsplit("/", 1)[1]


# -- a fax going out, second by second ---------------------------------------------------------------------------
CONNECT = "2026-01-01T00:00:18"
# (emulated second, state, modem page, channel pages done, connect_time, elasped_time)
TIMELINE = [
    (2, None, "0", "0", "", ""),  # still preprocessing: the line is idle
    (3, "Dialing", "0", "0", "", ""),
    (17, "Dialing", "0", "0", "", ""),
    (18, "Sending Page", "1", "0", CONNECT, "0"),
    (47, "Sending Page", "1", "0", CONNECT, "29"),
    (48, "Sending Page", "2", "1", CONNECT, "30"),
    (77, "Sending Page", "2", "1", CONNECT, "59"),
    (78, None, "0", "0", "", ""),  # sent: idle again
]


@pytest.mark.parametrize("settings_overrides", [FF840, IP], ids=["FF840", "FF240-IP"])
def test_line_status_follows_a_fax_mid_send(client):
    is_ip = client.box.profile.is_ip
    idle = "Waiting for Ring" if is_ip else "Waiting For Ring"
    two_page_fax(client)
    now = 0
    for second, state, page, pages_done, connect_time, elapsed in TIMELINE:
        advance(client, second - now)
        now = second
        first, *others = lines(client)
        busy = state is not None
        assert first["state"] == (state or idle), second
        assert first["fax_number"] == (NUMBER if busy else "")
        connected = connect_time != ""
        assert first["remote_id"] == (REMOTE_ID if connected else "")
        assert first["baud_rate"] == ("14400" if connected else "")
        if is_ip:
            assert first["pages_sent_recd"] == pages_done, second
            assert first["modulation"] == ("V.17" if connected else "")
        else:
            assert (first["page"], first["connect_time"], first["elasped_time"]) == (page, connect_time, elapsed)
            assert first["width"] == ("1728" if connected else "")
        assert [line["state"] for line in others] == [idle] * len(others)
        assert counts(client) == {
            "number_inbound": "0",
            "number_outbound": "1" if busy else "0",
            "number_idle": str(len(others) + (0 if busy else 1)),
        }


@pytest.mark.parametrize("settings_overrides", [FF840], ids=["FF840"])
def test_status_goldens_mid_send(client):
    two_page_fax(client)
    advance(client, 48)
    assert_golden("status_ff840_sending", client.get("/ffws/v1/status"))
    assert_golden("modem_status_ff840_sending", client.get("/ffws/v1/modem_status"))
    assert_golden("outbound_status_sending", client.get("/ffws/v1/outbound_status"))


@pytest.mark.parametrize("settings_overrides", [IP], ids=["FF240-IP"])
def test_channel_status_goldens(client):
    assert_golden("status_ff240ip_idle", client.get("/ffws/v1/status"))
    two_page_fax(client)
    advance(client, 48)
    assert_golden("channel_status_ff240ip_sending", client.get("/ffws/v1/channel_status"))


# -- outbound_status -----------------------------------------------------------------------------------------------
def states(response) -> list[tuple[str, str]]:
    return [(e["fax_number"], e["state"]) for e in outbound(response)]


def outbound(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return [
        {"fax_number": e.findtext("recipient/fax_number"), "state": e.findtext("state"), "pages": e.findtext("pages")}
        for e in etree.fromstring(response.content).findall("fax_entry")
    ]


def test_outbound_status_is_404_with_an_empty_queue(client):
    before = box_state(client.box)
    assert_error(client.get("/ffws/v1/outbound_status"), 404, NO_OUTBOUND)
    assert_error(client.get("/ffws/v1/outbound_status?class=pending"), 404, NO_OUTBOUND)
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [{"model": "FF840", "lines": 1}])
def test_outbound_status_lists_what_is_sending_then_what_is_pending(client):
    two_page_fax(client, "555-0100")
    two_page_fax(client, "555-0200")
    assert states(client.get("/ffws/v1/outbound_status")) == [
        ("555-0100", "preprocessing"),
        ("555-0200", "preprocessing"),
    ]
    advance(client, 3)  # one line: the first goes out, the second waits
    both = [("555-0100", "sending"), ("555-0200", "pending")]
    assert states(client.get("/ffws/v1/outbound_status")) == both
    assert outbound(client.get("/ffws/v1/outbound_status"))[0]["pages"] == "2"
    assert states(client.get("/ffws/v1/outbound_status?class=sending")) == both[:1]
    assert states(client.get("/ffws/v1/outbound_status?class=pending")) == both[1:]
    assert states(client.get("/ffws/v1/outbound_status?sending_limit=0")) == both[1:]
    assert states(client.get("/ffws/v1/outbound_status?pending_limit=0")) == both[:1]
    assert states(client.get("/ffws/v1/outbound_status?pending_limit=99999999999999999999")) == both
    refused(client, 404, NO_OUTBOUND, "/ffws/v1/outbound_status?class=pending&pending_limit=0")
    advance(client, 75)  # the first is sent, the second takes the line
    assert states(client.get("/ffws/v1/outbound_status")) == [("555-0200", "sending")]
    advance(client, 75)
    refused(client, 404, NO_OUTBOUND, "/ffws/v1/outbound_status")
    assert [line["state"] for line in lines(client)] == ["Waiting For Ring"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("class=complete", "invalid class: must be pending or sending"),
        ("pending_limit=x", "invalid pending_limit: not a number"),
        ("sending_limit=-1", "invalid sending_limit: must not be negative"),
        ("pending_limit=\u00b2", "invalid pending_limit: not a number"),
    ],
)
def test_outbound_status_refuses_a_bad_query(client, query, message):
    two_page_fax(client)
    before = box_state(client.box)
    assert_error(client.get(f"/ffws/v1/outbound_status?{query}"), 400, message)
    assert box_state(client.box) == before


def test_a_user_sees_only_its_own_outbound_faxes(client):
    alice = create_user(client, "alice")
    two_page_fax(client, "555-0100")
    refused(client, 404, NO_OUTBOUND, "/ffws/v1/outbound_status", auth=alice)
    two_page_fax(client, "555-0200", auth=alice)
    assert states(client.get("/ffws/v1/outbound_status", auth=alice)) == [("555-0200", "preprocessing")]
    assert len(outbound(client.get("/ffws/v1/outbound_status"))) == 2
