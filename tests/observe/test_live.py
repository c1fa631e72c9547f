"""GET /_emulator/events: the domain events as server-sent events, against a real server (a stream never ends, so
only a real connection shows it as a client sees it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from emulator.events import EntryStateChanged
from emulator.observe.live import Message
from emulator.testing.server import EmulatorHandle, EmulatorServer
from tests.ffws.clients import fax_to
from tests.observe.sse import EventReader

TOKEN = "live-token"


@pytest.fixture(scope="module")
def server_settings() -> dict:
    return {"control_token": TOKEN}


@pytest.fixture
def events(server: EmulatorServer) -> Iterator[callable]:
    readers: list[EventReader] = []

    def open_stream(query: str = "", token: str | None = TOKEN) -> EventReader:
        headers = {"X-Emulator-Token": token} if token else {}
        reader = EventReader(f"{server.base_url}/_emulator/events{query}", headers)
        readers.append(reader)
        return reader

    yield open_stream
    for reader in readers:
        reader.close()


def _schedule(box: EmulatorHandle, number: str) -> None:
    response = httpx.post(box.url + "/ofax", content=fax_to(number), auth=box.auth)
    assert response.status_code == 201, response.text


def test_a_fax_is_followed_from_scheduled_to_sent_with_its_line(box, events):
    stream = events()
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    _schedule(box, "218-555-1234")
    scheduled = stream.next("entry", state="preprocessing")
    assert scheduled.data | {"time": None} == {
        "time": None, "fax_key": "00000001", "entry_key": "0000", "state": "preprocessing", "previous": "",
        "owner": "admin", "fax_number": "218-555-1234", "pages": 0, "try_number": 1, "message": "New fax entry",
        "line": None, "agent": "FFWS",
    }  # fmt: skip
    journal = stream.next("journal", path="/ffws/v1/ofax")
    assert (journal.data["method"], journal.data["status"], journal.data["user"]) == ("POST", 201, "admin")
    box.advance(10)  # converted at 2 s, dialling from then until it connects at 17 s
    sending_entry, dialling = stream.next_each(
        ("entry", {"state": "sending"}), ("line", {"line": 1, "state": "Dialing"})
    )
    assert sending_entry.data["line"] == 1
    assert dialling.data["fax_number"] == "218-555-1234" and dialling.data["busy"] is True
    box.advance(10)
    sending = stream.next("line", line=1, state="Sending Page")
    assert (sending.data["page"], sending.data["pages"], sending.data["baud_rate"]) == (1, 1, 14400)
    assert sending.data["remote_id"] == "2185551234"
    box.advance(60)
    sent, idle = stream.next_each(("entry", {"state": "sent"}), ("line", {"line": 1, "state": "Waiting for Ring"}))
    assert sent.data["previous"] == "sending"
    assert idle.data["busy"] is False
    box.advance(1)
    assert stream.next("clock").data | {"time": None} == {"time": None, "manual": True, "time_scale": 20.0}


def test_ids_increase_and_events_are_filtered_by_kind_and_fax(box, events):
    entries_of_two = events("?types=entry&fax=00000002")
    inbound_only = events("?types=inbound,reset")
    _schedule(box, "218-555-1111")
    _schedule(box, "218-555-2222")
    box.inbound(remote_id="SUPPLIER", pages=2)
    box.advance(300)
    seen = [entries_of_two.next()]
    while seen[-1].data["state"] != "sent":  # every event up to the last of fax 2, none of fax 1's among them
        seen.append(entries_of_two.next())
    assert {(e.kind, e.data["fax_key"]) for e in seen} == {("entry", "00000002")}
    assert [e.data["state"] for e in seen] == ["preprocessing", "pending", "sending", "sent"]
    assert [e.id for e in seen] == sorted(e.id for e in seen)
    arriving = inbound_only.next("inbound", state="arriving")
    assert (arriving.data["id"], arriving.data["line"], arriving.data["remote_id"]) == (1, 1, "SUPPLIER")
    received = inbound_only.next("inbound", state="received")
    assert (received.data["pages"], received.data["result"]) == (2, "success")
    box.reset()
    assert inbound_only.next("reset").data["how"] == "reset"
    assert {e.kind for e in inbound_only.drain()} <= {"inbound"}


def test_the_stream_needs_the_token_and_known_kinds(server, events):
    assert events(token=None).status == 401
    assert events(token="wrong").status == 401
    response = httpx.get(f"{server.base_url}/_emulator/events?types=entry,bogus", headers={"X-Emulator-Token": TOKEN})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid types: bogus; known: entry, line, inbound, journal, clock, reset"}


def test_a_listener_that_goes_away_is_forgotten(server, box, events):
    hub = server.app.state.box.live
    before = hub.listeners()
    stream = events()
    _schedule(box, "218-555-3333")
    stream.next("entry")
    mine = hub.listeners() - before  # (other tests' streams may come and go meanwhile)
    assert len(mine) == 1
    stream.close()
    box.advance(1)  # an event wakes the reader that hung up; the server then learns that it went away
    assert hub.wait_until(lambda listeners: not mine & listeners, timeout=10)
    _schedule(box, "218-555-4444")  # events that reach no one fail nothing


def test_the_stream_is_documented_in_the_control_openapi(server):
    schema = httpx.get(server.base_url + "/_emulator/openapi.json").json()
    operation = schema["paths"]["/_emulator/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} == {"types", "fax"}
    assert "`line`" in operation["responses"]["200"]["description"]


def test_what_another_worker_of_the_box_did_reaches_the_stream(client):
    """Several workers serve one box (PostgreSQL): each tells the others its domain events, and a stream open on any
    of them shows them (emulator.cluster)."""
    hub = client.box.live

    async def heard() -> Message | None:
        listener = hub.open(frozenset({"entry"}))
        try:
            client.box.bus.publish_remote([EntryStateChanged(7, 0, "sent", "sending", owner="admin")])
            return await listener.next(5)
        finally:
            hub.close_listener(listener)

    message = asyncio.run(heard())
    assert message is not None and (message.data["fax_key"], message.data["state"]) == ("00000007", "sent")
