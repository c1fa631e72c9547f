"""The emulated clock over the control plane: read it, switch manual/scaled, change the scale, advance it."""

from __future__ import annotations

import pytest

from tests.conftest import box_state
from tests.ffws.clients import fax_to, schedule, view

CLOCK = "/_emulator/clock"
ADVANCE = "/_emulator/clock/advance"
START = {"now": "2026-01-01T00:00:00", "time_scale": 20.0, "manual": True}


def test_view_clock(client):
    response = client.get(CLOCK)
    assert response.status_code == 200
    assert response.json() == START


def test_switching_to_scaled_time_keeps_the_instant_and_back_freezes_it(client):
    client.post(ADVANCE, json={"seconds": 3600})
    response = client.put(CLOCK, json={"manual": False})
    assert response.status_code == 200
    scaled = response.json()
    assert (scaled["manual"], scaled["time_scale"]) == (False, 20.0)
    assert scaled["now"] >= "2026-01-01T01:00:00"  # no jump back to the start, time runs on from here
    frozen = client.put(CLOCK, json={"manual": True}).json()
    assert frozen["manual"] is True and frozen["now"] >= scaled["now"]
    assert client.get(CLOCK).json() == frozen  # manual: it stays put


def test_changing_the_scale_keeps_the_mode(client):
    assert client.put(CLOCK, json={"time_scale": 2.5}).json() == {**START, "time_scale": 2.5}
    assert client.put(CLOCK, json={}).json() == {**START, "time_scale": 2.5}
    assert client.get(CLOCK).json()["time_scale"] == 2.5


def test_advance_runs_every_transition_due_before_answering(client):
    schedule(client, fax_to("218-555-1234"))  # 1 page: preprocessing 2 s, dialling 15 s, 30 s a page
    response = client.post(ADVANCE, json={"seconds": 46})
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in START} == {**START, "now": "2026-01-01T00:00:46"}
    assert body["transitions"] >= 2  # preprocessed, then dialled
    assert view(client, "00000001/0000")["state"] == "sending"
    body = client.post(ADVANCE, json={"seconds": 1}).json()
    assert body["now"] == "2026-01-01T00:00:47" and body["transitions"] >= 1
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["stime"]) == ("sent", "2026-01-01T00:00:47")
    assert client.post(ADVANCE, json={"seconds": 0}).json()["transitions"] == 0


def test_advance_far_ahead_runs_the_retries_in_order(client):
    schedule(client, fax_to("218-555-0001", max_tries=3, try_interval=600))  # busy on every try
    assert client.post(ADVANCE, json={"seconds": 86400}).json()["now"] == "2026-01-02T00:00:00"
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["try_number"], entry["stime"]) == (
        "failed",
        "3",
        "2026-01-01T00:20:17",
    )  # 7, 612, 1217 s


def test_advance_works_under_scaled_time_too(client):
    client.put(CLOCK, json={"manual": False, "time_scale": 1})
    schedule(client, fax_to("218-555-1234"))
    body = client.post(ADVANCE, json={"seconds": 3600}).json()
    assert body["now"] >= "2026-01-01T01:00:00"
    assert view(client, "00000001/0000")["state"] == "sent"


@pytest.mark.parametrize(
    ("method", "path", "body", "error"),
    [
        ("POST", ADVANCE, {}, "invalid seconds: Field required"),
        ("POST", ADVANCE, {"seconds": -1}, "invalid seconds: Input should be greater than or equal to 0"),
        ("POST", ADVANCE, {"seconds": "soon"}, "invalid seconds: Input should be a valid number"),
        ("POST", ADVANCE, {"seconds": 1e12}, "invalid seconds: Input should be less than or equal to"),
        ("PUT", CLOCK, {"time_scale": 0}, "invalid time_scale: Input should be greater than 0"),
        ("PUT", CLOCK, {"time_scale": 1e9}, "invalid time_scale: Input should be less than or equal to 100000"),
        ("PUT", CLOCK, {"manual": "maybe"}, "invalid manual: Input should be a valid boolean"),
        ("POST", ADVANCE, "not json", "invalid body: not valid JSON"),
    ],
    ids=["missing", "negative", "text", "huge", "scale-zero", "scale-huge", "manual-text", "not-json"],
)
def test_bad_bodies_are_refused(client, method, path, body, error):
    schedule(client, fax_to("218-555-1234"))
    before = box_state(client.box)
    if isinstance(body, str):
        response = client.request(method, path, body, headers={"content-type": "application/json"})
    else:
        response = client.request(method, path, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert error in response.json()["error"]
    assert client.get(CLOCK).json() == START
    assert box_state(client.box) == before


def test_an_advance_past_the_clocks_range_is_refused_and_moves_nothing(client):
    client.box.clock.set(client.box.clock.now().replace(year=8999))
    before = client.get("/_emulator/clock").json()
    answer = client.post("/_emulator/clock/advance", json={"seconds": 10 * 365 * 86400})
    assert answer.status_code == 400
    assert answer.json() == {"error": "the emulated clock cannot go past 9000-01-01T00:00:00"}
    assert client.get("/_emulator/clock").json() == before
    assert client.post("/ffws/v1/ofax", fax_to("555-1234")).status_code == 201  # the box still works
