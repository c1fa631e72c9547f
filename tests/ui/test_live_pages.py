"""The pages' own event stream (/events) against a real server: what a user may see of it, and that it lasts only as
long as the login it was opened with."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulator.testing.server import EmulatorHandle, EmulatorServer
from tests.ffws.clients import fax_to
from tests.observe.sse import EventReader
from tests.ui.pages import logged_in

ADMIN = ("admin", "admin")


@pytest.fixture
def api(box: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=box.base_url, auth=ADMIN, timeout=30) as client:
        client.post(
            "/ffws/v1/users", content="<user><username>bob</username><name>Bob</name><password>pw</password></user>"
        )
        yield client


@pytest.fixture
def streams(server: EmulatorServer) -> Iterator[callable]:
    readers: list[EventReader] = []

    def open_stream(browser: httpx.Client) -> EventReader:
        reader = EventReader(f"{server.base_url}/events", cookies=browser.cookies)
        readers.append(reader)
        return reader

    yield open_stream
    for reader in readers:
        reader.close()


def _schedule(api: httpx.Client, number: str, auth: tuple[str, str] = ADMIN) -> None:
    assert api.post("/ffws/v1/ofax", content=fax_to(number), auth=auth).status_code == 201


def test_a_user_sees_its_own_faxes_and_busy_lines_but_not_whom_others_call(box, api, streams):
    bob = streams(logged_in(box.base_url, "bob", "pw"))
    admin = streams(logged_in(box.base_url))
    _schedule(api, "218-555-7777")  # the administrator's
    _schedule(api, "218-555-8888", ("bob", "pw"))
    api.post("/_emulator/inbound", json={"remote_id": "FOR-ADMIN", "caller_id": "5551234", "pages": 1})
    box.advance(20)
    # The administrator's stream sees it all: both faxes, the inbound call, whom each line calls.
    assert admin.next("entry", fax_key="00000001").data["fax_number"] == "218-555-7777"
    assert admin.next("inbound", state="arriving").data["remote_id"] == "FOR-ADMIN"
    box.advance(600)
    admin.next("inbound", state="received")
    seen = bob.drain(1.0)
    entries = [e for e in seen if e.kind == "entry"]
    assert entries and {e.data["fax_key"] for e in entries} == {"00000002"}  # its own fax only
    assert [e for e in seen if e.kind == "inbound"] == []  # routed to admin
    lines = [e for e in seen if e.kind == "line" and e.data["busy"]]
    assert lines and all(e.data["fax_number"] == "" and e.data["remote_id"] == "" for e in lines)
    text = repr([e.data for e in seen])
    assert "218-555-7777" not in text and "FOR-ADMIN" not in text and "5551234" not in text


def test_the_stream_ends_with_the_login_and_does_not_open_again(box, api, streams):
    carol = logged_in(box.base_url, "bob", "pw")
    stream = streams(carol)
    assert stream.status == 200
    api.put("/ffws/v1/users/bob", content="<user><password>new</password></user>")
    assert stream.ended(10)  # the password changed: the stream ended, not just its pages
    again = httpx.get(f"{box.base_url}/events", cookies=carol.cookies)
    assert again.status_code == 303 and again.headers["location"] == "/login"


def test_logging_out_ends_the_stream_of_that_session_only(box, streams):
    first, second = logged_in(box.base_url), logged_in(box.base_url)
    ended, kept = streams(first), streams(second)
    assert first.post("/logout", data={"csrf": first.csrf}).status_code == 303
    assert ended.ended(10)
    box.inbound(remote_id="STILL-HERE", pages=1)
    assert kept.next("inbound").data["remote_id"] == "STILL-HERE"
    assert not kept.ended(0)


def test_a_reset_ends_the_pages_streams_but_not_the_control_planes(box, server, streams):
    page = streams(logged_in(box.base_url))
    control = EventReader(f"{server.base_url}/_emulator/events?types=reset,inbound")
    try:
        box.reset()
        assert page.next("reset").data["how"] == "reset"
        assert page.ended(10)  # opened again by the browser, it is checked against the login afresh
        assert control.next("reset").data["how"] == "reset"
        box.inbound(remote_id="AFTER", pages=1)
        assert control.next("inbound").data["remote_id"] == "AFTER"
    finally:
        control.close()
