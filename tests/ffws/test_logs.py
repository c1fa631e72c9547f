"""Logs (12.2, 14): one outbound record per sending attempt with its result, a call record for every call placed or
received, paging and order, counts, and what a non-admin may see."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import assert_error, assert_golden, box_state
from tests.ffws.clients import advance, create_user, fax_to, schedule

OUTBOUND_FIELDS = [
    "id", "fax_entry_url", "username", "recipient_name", "fax_number", "start_time", "end_time", "LINE",
    "try_number", "pages", "duration", "baud_rate", "remote_id", "result", "result_message",
]  # fmt: skip
CALL_FIELDS = ["id", "direction", "start_time", "end_time", "LINE", "number", "remote_id", "duration", "result"]
INBOUND_FIELDS = [
    "id", "start_time", "end_time", "LINE", "remote_id", "caller_id", "extension", "recipient", "pages", "duration",
    "baud_rate", "resolution", "ecm", "result", "result_message", "fax_url",
]  # fmt: skip
TAGS = {"inbound": "inbound_log_entry", "outbound": "outbound_log_entry", "call": "call"}
FIELDS = {"inbound": INBOUND_FIELDS, "outbound": OUTBOUND_FIELDS, "call": CALL_FIELDS}


def records(client, kind: str, query: str = "", auth=("admin", "admin")) -> list[dict[str, str]]:
    """The records of a log, checking their children; the line is called LINE whatever the model calls it."""
    line = "channel" if client.box.profile.is_ip else "line_number"
    tag, fields = TAGS[kind], [line if f == "LINE" else f for f in FIELDS[kind]]
    response = client.get(f"/ffws/v1/{kind}_log?{query}", auth=auth)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert root.findtext("message") == "Success"
    found = root.findall(tag)
    assert all([child.tag for child in e] == fields for e in found)
    return [{("LINE" if child.tag == line else child.tag): child.text or "" for child in e} for e in found]


def count(client, kind: str, auth=("admin", "admin")) -> int:
    response = client.get(f"/ffws/v1/log_count/{kind}", auth=auth)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert [child.tag for child in root] == ["message", "count"]
    return int(root.findtext("count"))


def send(client, number: str, pages: int = 2, **kwargs: object) -> str:
    """Schedule a fax of ``pages`` pages (no cover) to ``number``, 3 tries 30 s apart; its FAXKEY/ENTRYKEY."""
    (entry,) = schedule(client, fax_to(number, pages=pages, max_tries=3, try_interval=30), **kwargs)
    return "/".join(entry.findtext("fax_entry_url").rsplit("/", 2)[-2:])


# -- one record per attempt --------------------------------------------------------------------------------------
OUTCOMES = {
    # number: (entry state, [(outbound result, call result, pages, duration) per try])
    "555-0100": ("sent", [("success", "fax", "2", "75")]),
    "555-0001": ("failed", [("busy", "busy", "0", "5")] * 3),
    "555-0002": ("failed", [("no_answer", "no_answer", "0", "45")] * 3),
    "555-0003": ("failed", [("no_fax_tone", "voice", "0", "15")] * 3),
    "555-0004": ("failed", [("line_drop", "no_carrier", "1", "60")] * 3),
    "555-0005": ("sent", [("busy", "busy", "0", "5"), ("success", "fax", "2", "75")]),
    "555-0006": ("dead", [("not_in_service", "failed", "0", "5")]),
}
MESSAGES = {
    "success": "Successfully sent fax",
    "busy": "Line busy",
    "no_answer": "No answer",
    "no_fax_tone": "No fax tone (answered by a voice)",
    "line_drop": "Line dropped during transmission",
    "not_in_service": "Number not in service",
}


@pytest.mark.parametrize("number", OUTCOMES)
def test_each_outcome_leaves_one_outbound_and_one_call_record_per_try(client, number):
    state, tries = OUTCOMES[number]
    key = send(client, number)
    advance(client, 3600)
    entry = etree.fromstring(client.get(f"/ffws/v1/ofax/{key}").content)
    assert entry.findtext("fax_entry/state") == state
    outbound = records(client, "outbound", "order=asc")
    assert [(r["result"], r["pages"], r["duration"]) for r in outbound] == [(t[0], t[2], t[3]) for t in tries]
    assert [r["result_message"] for r in outbound] == [MESSAGES[t[0]] for t in tries]
    assert [r["try_number"] for r in outbound] == [str(n) for n in range(1, len(tries) + 1)]
    assert {(r["fax_number"], r["username"], r["LINE"]) for r in outbound} == {(number, "admin", "1")}
    assert {r["fax_entry_url"] for r in outbound} == {f"https://faxfinder.test/ffws/v1/ofax/{key}"}
    for record in outbound:
        connected = record["pages"] != "0"
        assert record["baud_rate"] == ("14400" if connected else "")
        assert record["remote_id"] == ("5550" + number[-3:] if connected else "")
    calls = records(client, "call", "order=asc")
    assert [(c["direction"], c["number"], c["result"]) for c in calls] == [("outbound", number, t[1]) for t in tries]
    assert [(c["start_time"], c["end_time"]) for c in calls] == [(r["start_time"], r["end_time"]) for r in outbound]
    assert (count(client, "outbound"), count(client, "call"), count(client, "inbound")) == (len(tries), len(tries), 0)


def test_tries_are_spaced_by_the_try_interval_and_listed_newest_first(client):
    send(client, "555-0001")
    advance(client, 3600)
    newest_first = records(client, "outbound")
    # Preprocessing 2 s, busy after 5 s, 30 s to wait: tries at 2, 37 and 72 s.
    assert [(r["try_number"], r["start_time"], r["end_time"]) for r in newest_first] == [
        ("3", "2026-01-01T00:01:12", "2026-01-01T00:01:17"),
        ("2", "2026-01-01T00:00:37", "2026-01-01T00:00:42"),
        ("1", "2026-01-01T00:00:02", "2026-01-01T00:00:07"),
    ]
    assert records(client, "outbound", "order=desc") == newest_first
    assert records(client, "outbound", "order=ASC") == newest_first[::-1]


def test_nothing_is_logged_while_a_call_is_up(client):
    send(client, "555-0100")
    advance(client, 30)
    assert records(client, "outbound") == records(client, "call") == []
    assert count(client, "outbound") == count(client, "call") == 0


def test_aborting_a_sending_fax_logs_an_aborted_attempt(client):
    key = send(client, "555-0100", pages=3)
    advance(client, 52)  # connected at 17 s; page 2 is on the wire
    response = client.delete(f"/ffws/v1/ofax/{key}")
    assert response.status_code == 202, response.text
    (record,) = records(client, "outbound")
    assert (record["result"], record["result_message"]) == ("aborted", "Fax aborted by user")
    assert (record["pages"], record["end_time"], record["duration"]) == ("1", "2026-01-01T00:00:52", "50")
    (call,) = records(client, "call")
    assert (call["result"], call["end_time"]) == ("failed", "2026-01-01T00:00:52")
    modem = etree.fromstring(client.get("/ffws/v1/status").content).findtext("status/channel/number_outbound")
    assert modem == "0"  # the line hung up at once
    advance(client, 3600)
    assert count(client, "outbound") == 1  # no further try


# -- paging, order, counts ---------------------------------------------------------------------------------------
@pytest.fixture
def many_calls(client) -> int:
    """Both lines receive a long fax while 51 callers hear busy: 51 call records, all at the same second."""
    for line in (1, 2):
        assert client.post("/_emulator/inbound", json={"pages": 50, "line": line}).json()["busy"] is False
    for n in range(51):
        answer = client.post("/_emulator/inbound", json={"caller_id": f"555-{n:04d}", "pages": 1}).json()
        assert answer["busy"] is True
    return 51


def test_limit_defaults_to_50_and_offset_counts_with_limit(client, many_calls):
    default = records(client, "call")
    assert len(default) == 50
    assert [c["id"] for c in default] == [str(n) for n in range(51, 1, -1)]  # same second: the newest id first
    assert count(client, "call") == 51 == len(records(client, "call", "limit=1000"))
    assert [c["id"] for c in records(client, "call", "limit=3&offset=2")] == ["49", "48", "47"]
    assert [c["id"] for c in records(client, "call", "limit=3&offset=2&order=asc")] == ["3", "4", "5"]
    assert records(client, "call", "offset=10") == default  # offset only together with limit
    assert records(client, "call", "limit=0") == []
    assert records(client, "call", "limit=5&offset=51") == []
    assert len(records(client, "call", "limit=99999999999999999999")) == 51
    assert records(client, "call", "limit=") == default  # empty means default


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=x", "invalid limit: not a number"),
        ("limit=-1", "invalid limit: must not be negative"),
        ("limit=\u00b2", "invalid limit: not a number"),
        ("limit=5&offset=x", "invalid offset: not a number"),
        ("limit=5&offset=-3", "invalid offset: must not be negative"),
        ("order=sideways", "invalid order: must be asc or desc"),
    ],
)
@pytest.mark.parametrize("kind", ["inbound", "outbound", "call"])
def test_a_bad_query_is_400(client, kind, query, message):
    send(client, "555-0100")
    advance(client, 3600)
    before = box_state(client.box)
    assert_error(client.get(f"/ffws/v1/{kind}_log?{query}"), 400, message)
    assert box_state(client.box) == before


@pytest.mark.parametrize("kind", ["faxes", "inbound_log", "calls"])
def test_an_unknown_log_count_kind_is_404(client, kind):
    before = box_state(client.box)
    assert_error(client.get(f"/ffws/v1/log_count/{kind}"), 404, "Not Found")
    assert box_state(client.box) == before


def test_log_count_kinds_are_accepted_in_any_case_like_status_sections(client):
    client.post("/_emulator/inbound", json={"pages": 1})
    client.post("/_emulator/clock/advance", json={"seconds": 600})
    for kind in ("inbound", "INBOUND", "Inbound"):
        response = client.get(f"/ffws/v1/log_count/{kind}")
        assert response.status_code == 200
        assert "<count>1</count>" in response.text


def test_log_count_equals_the_listing_for_every_kind(client):
    send(client, "555-0005")
    client.post("/_emulator/inbound", json={"pages": 1})
    advance(client, 3600)
    for kind, expected in (("inbound", 1), ("outbound", 2), ("call", 3)):
        assert count(client, kind) == len(records(client, kind)) == expected


# -- who sees what -----------------------------------------------------------------------------------------------
def test_a_user_sees_only_its_own_records(client):
    alice = create_user(client, "alice")
    send(client, "555-0100")
    send(client, "555-0001", auth=alice)
    client.post("/_emulator/inbound", json={"pages": 1, "line": 2})  # routed to the admin
    advance(client, 3600)
    mine = records(client, "outbound", auth=alice)
    assert {(r["username"], r["fax_number"]) for r in mine} == {("alice", "555-0001")}
    assert len(mine) == 3
    assert {(c["direction"], c["number"]) for c in records(client, "call", auth=alice)} == {("outbound", "555-0001")}
    assert records(client, "inbound", auth=alice) == []
    assert [count(client, kind, auth=alice) for kind in ("outbound", "call", "inbound")] == [3, 3, 0]
    assert [count(client, kind) for kind in ("outbound", "call", "inbound")] == [4, 5, 1]


# -- golden files ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings_overrides", [{"model": "FF840", "lines": 2}, {"model": "FF240-IP", "lines": 2}])
def test_log_goldens(client):
    suffix = "ff240ip" if client.box.profile.is_ip else "ff840"
    send(client, "555-0005")  # busy, then sent on the second try
    client.post("/_emulator/inbound", json={"caller_id": "218-555-0100", "remote_id": "REMOTE", "pages": 1})
    advance(client, 3600)
    assert_golden(f"outbound_log_{suffix}", client.get("/ffws/v1/outbound_log"))
    assert_golden(f"call_log_{suffix}", client.get("/ffws/v1/call_log"))
    assert_golden("log_count", client.get("/ffws/v1/log_count/call"))
