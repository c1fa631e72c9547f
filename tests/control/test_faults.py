"""Faults on demand (/_emulator/faults): HTTP faults on /ffws/v1 requests and fax faults that force an outcome."""

from __future__ import annotations

import httpx
import pytest

from emulator.middleware import ConnectionDropped
from emulator.testing.server import EmulatorServer
from tests.conftest import ADMIN, assert_error, box_state
from tests.ffws.clients import advance, fax_to, schedule, view

FAULTS = "/_emulator/faults"
VERIFY = "/ffws/v1/verify"


def add(client, **spec: object) -> int:  # noqa: ANN001
    response = client.post(FAULTS, json=spec)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"id"}
    return response.json()["id"]


def listed(client) -> list[dict]:  # noqa: ANN001
    response = client.get(FAULTS)
    assert response.status_code == 200
    return response.json()["faults"]


# -- the collection -------------------------------------------------------------------------------------------------
def test_add_list_remove_and_clear(client):
    first = add(client, path=VERIFY, status=503, times=2)
    second = add(client, kind="fax", fax_number="*1234", outcome="busy")
    assert (first, second) == (1, 2)
    assert [(f["id"], f["kind"], f["matched"], f["remaining"]) for f in listed(client)] == [
        (1, "http", 0, 2),
        (2, "fax", 0, None),
    ]
    assert client.delete(f"{FAULTS}/{first}").json() == {"status": "removed"}
    assert [f["id"] for f in listed(client)] == [second]
    response = client.delete(f"{FAULTS}/{first}")
    assert response.status_code == 404
    assert response.json() == {"error": f"no fault {first}"}
    add(client, path=VERIFY, delay_ms=1)
    assert client.delete(FAULTS).json() == {"status": "cleared"}
    assert listed(client) == []
    assert client.get(VERIFY).status_code == 200
    assert add(client, path=VERIFY, delay_ms=1) == 1  # numbered from 1 again, as after a reset
    assert client.post("/_emulator/reset").status_code == 200
    assert add(client, path=VERIFY, delay_ms=1) == 1


def test_matched_and_remaining_count_down_and_an_exhausted_fault_stops(client):
    add(client, path=VERIFY, status=503, times=2)
    assert_error(client.get(VERIFY), 503, "Service Unavailable")
    assert (listed(client)[0]["matched"], listed(client)[0]["remaining"]) == (1, 1)
    assert_error(client.get(VERIFY), 503, "Service Unavailable")
    assert client.get(VERIFY).status_code == 200
    assert (listed(client)[0]["matched"], listed(client)[0]["remaining"]) == (2, 0)


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"kind": "fax", "fax_number": "*1"}, "a fax fault needs an outcome: busy, no_answer, voice, line_drop"),
        ({"kind": "fax", "outcome": "sent"}, "a fax fault needs an outcome: "),
        ({"kind": "http", "path": VERIFY}, "an http fault needs status, delay_ms or drop_connection"),
        ({"status": 200}, "invalid status: Input should be greater than or equal to 400"),
        ({"status": 503, "probability": 2}, "invalid probability: Input should be less than or equal to 1"),
        ({"kind": "smtp", "status": 503}, "invalid kind: Input should be 'http' or 'fax'"),
        ({"fax_number": "*1"}, "a fax fault needs an outcome: busy, no_answer, voice, line_drop"),
        ({"path": VERIFY}, "an http fault needs status, delay_ms or drop_connection"),
        ({}, "an http fault needs status, delay_ms or drop_connection"),
        (
            {"status": 503, "path": VERIFY, "outcome": "busy"},
            "give kind: path, status belong to an http fault and outcome to a fax fault",
        ),
    ],
)
def test_invalid_specs_are_refused(client, spec, error):
    response = client.post(FAULTS, json=spec)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"].startswith(error)
    assert listed(client) == []


def test_the_kind_is_inferred_from_the_fields_given(client):
    add(client, fax_number="*1234", outcome="busy")
    add(client, outcome="voice")
    add(client, path=VERIFY, status=503)
    add(client, kind="fax", fax_number="*9", outcome="busy", path="*")  # an explicit kind settles it
    assert [f["kind"] for f in listed(client)] == ["fax", "fax", "http", "fax"]
    assert_error(client.get(VERIFY), 503, "Service Unavailable")


# -- HTTP faults ----------------------------------------------------------------------------------------------------
def test_http_fault_matches_method_and_path_glob(client):
    add(client, method="post", path="/ffws/v1/contacts/*", status=500, message="disk full")
    assert client.get("/ffws/v1/contacts/admin").status_code == 200  # another method
    assert client.post("/ffws/v1/users", "<user/>").status_code == 400  # another path: the device's own answer
    response = client.post("/ffws/v1/contacts/admin", "<contact><name>A</name></contact>")
    assert_error(response, 500, "disk full")
    assert box_state(client.box).rows["contacts"] == []  # the fault answered instead of the device: nothing written


def test_http_fault_status_defaults_to_the_reason_phrase_and_is_journaled(client):
    fault = add(client, path=VERIFY, status=429)
    assert_error(client.get(VERIFY), 429, "Too Many Requests")
    (entry,) = client.get("/_emulator/journal").json()["entries"]
    assert (entry["status"], entry["reason"], entry["fault"]) == (429, "Too Many Requests", fault)


def test_delay_is_real_latency_seen_in_the_journal(client):
    add(client, path=VERIFY, delay_ms=50, times=1)
    assert client.get(VERIFY).status_code == 200  # a delay alone still lets the request through
    (entry,) = client.get("/_emulator/journal").json()["entries"]
    assert entry["duration_ms"] >= 50


def test_probability_with_a_seed_fires_the_same_way_every_time(client):
    def pattern() -> list[int]:
        fault = add(client, path=VERIFY, status=503, probability=0.5, seed=1234)
        statuses = [client.get(VERIFY).status_code for _ in range(24)]
        assert listed(client)[0]["matched"] == statuses.count(503)
        assert client.delete(f"{FAULTS}/{fault}").status_code == 200
        return statuses

    first = pattern()
    assert set(first) == {200, 503}
    assert pattern() == first


def test_probability_without_a_seed_repeats_after_a_reset(client):
    """Such a fault draws from the box's one random source (FFEMU_SEED), which a reset puts back to its start."""

    def pattern() -> list[int]:
        add(client, path=VERIFY, status=503, probability=0.5)
        return [client.get(VERIFY).status_code for _ in range(24)]

    first = pattern()
    assert set(first) == {200, 503}
    assert client.post("/_emulator/reset").status_code == 200
    assert pattern() == first


def test_drop_connection_on_a_real_server(tmp_path):
    server = EmulatorServer(tmp_path / "data")
    server.start()
    try:
        handle = server.handle()
        fault = handle.fault(kind="http", path=VERIFY, drop_connection=True, times=1)
        with httpx.Client(base_url=server.base_url, auth=ADMIN, timeout=10) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                http.get(VERIFY)
            assert http.get(VERIFY).status_code == 200
        dropped, answered = handle.journal()
        assert (dropped["status"], dropped["fault"], answered["status"]) == (None, fault, 200)
        handle.close()
    finally:
        server.stop()


def test_drop_connection_in_process_raises_for_the_client(client):
    add(client, path=VERIFY, drop_connection=True, times=1)
    with pytest.raises(ConnectionDropped):  # no socket to close: the in-process client sees an error, not an answer
        client.get(VERIFY)
    assert client.get(VERIFY).status_code == 200


# -- fax faults -----------------------------------------------------------------------------------------------------
# (outcome, schedule options, final state, schedule_message, stime: seconds after the start)
OUTCOMES = [
    ("busy", {"max_tries": 1}, "failed", "Line busy", 7),
    ("no_answer", {"max_tries": 1}, "failed", "No answer", 47),
    ("voice", {"max_tries": 1}, "failed", "No fax tone (answered by a voice)", 17),
    ("line_drop", {"max_tries": 1}, "failed", "Line dropped during transmission", 62),
    ("busy_then_sent", {"max_tries": 2, "try_interval": 30}, "sent", "Successfully sent fax", 82),
    ("not_in_service", {"max_tries": 3}, "dead", "Number not in service", 7),
    ("slow", {}, "sent", "Successfully sent fax", 317),
]


@pytest.mark.parametrize(("outcome", "options", "state", "message", "stime"), OUTCOMES, ids=[o[0] for o in OUTCOMES])
def test_fax_fault_forces_each_outcome(client, outcome, options, state, message, stime):
    add(client, kind="fax", fax_number="*7777", outcome=outcome)
    schedule(client, fax_to("218-555-7777", **options))
    advance(client, 3600)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["schedule_message"]) == (state, message)
    assert entry["stime"] == f"2026-01-01T00:{stime // 60:02d}:{stime % 60:02d}"


@pytest.mark.parametrize("pattern", ["218-555-77*", "2185557777", "*55577*"], ids=["as-sent", "digits", "digits-glob"])
def test_fax_fault_matches_the_number_as_sent_or_its_digits(client, pattern):
    add(client, kind="fax", fax_number=pattern, outcome="busy")
    schedule(client, fax_to("218-555-7777", max_tries=1))
    schedule(client, fax_to("218-555-8888", max_tries=1))
    advance(client, 3600)
    assert view(client, "00000001/0000")["state"] == "failed"
    assert view(client, "00000002/0000")["state"] == "sent"


def test_fax_fault_applies_to_entries_scheduled_after_it_and_times_limits_it(client):
    schedule(client, fax_to("218-555-7777", max_tries=1))  # before the fault: the outcome rules decide
    add(client, kind="fax", fax_number="*7777", outcome="no_answer", times=1)
    schedule(client, fax_to("218-555-7777", max_tries=1))
    schedule(client, fax_to("218-555-7777", max_tries=1))  # the fault is spent
    advance(client, 3600)
    states = [view(client, f"0000000{n}/0000")["state"] for n in (1, 2, 3)]
    assert states == ["sent", "failed", "sent"]
    assert listed(client)[0]["remaining"] == 0
