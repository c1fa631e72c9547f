"""Event streams never hold the server: they end when it stops (a real `serve` process and the pytest plugin's
server), and they may take only part of its connections."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.conftest import real_server
from tests.observe.sse import EventReader
from tests.process import ServerProcess


def test_a_serve_process_with_a_stream_open_stops_at_once_on_sigterm(tmp_path: Path):
    server = ServerProcess(tmp_path / "data").start()
    stream = EventReader(server.base_url + "/_emulator/events")
    try:
        assert stream.status == 200
        # Without the hub ending its streams, uvicorn waits for this one for ever ("Waiting for connections to close").
        assert server.stop(signal.SIGTERM, timeout=15) == 0
        assert stream.ended(5)  # properly ended by the server, not cut off when the process went
    finally:
        stream.close()
        server.kill()


def test_the_plugins_server_stops_with_a_stream_open(tmp_path: Path):
    emulator = real_server(tmp_path / "data")
    emulator.start()
    stream = EventReader(emulator.base_url + "/_emulator/events")
    assert stream.status == 200
    emulator.stop()  # raises if its thread is still there 10 s later
    assert stream.ended(5)
    assert not emulator._thread.is_alive()  # noqa: SLF001


def test_streams_take_at_most_half_of_the_connections(tmp_path: Path):
    emulator = real_server(tmp_path / "data", max_connections=8)
    emulator.start()
    streams = []
    try:
        streams = [EventReader(emulator.base_url + "/_emulator/events") for _ in range(4)]
        assert [s.status for s in streams] == [200] * 4
        refused = httpx.get(emulator.base_url + "/_emulator/events")
        assert refused.status_code == 503
        assert refused.json() == {"error": "too many event streams open (at most 4): close one, or try again later"}
        # The connections the streams leave are the API's: a client is answered while they stay open.
        for _ in range(3):
            assert httpx.get(emulator.base_url + "/ffws/v1/verify", auth=("admin", "admin")).status_code == 200
        pages = httpx.get(emulator.base_url + "/events", cookies=_login(emulator.base_url))
        assert pages.status_code == 503 and "too many event streams open" in pages.text
        hub = emulator.app.state.box.live
        gone = streams.pop()
        gone.close()
        httpx.post(emulator.base_url + "/_emulator/clock/advance", json={"seconds": 1})  # an event wakes its reader
        assert hub.wait_until(lambda listeners: len(listeners) == 3, timeout=10)
        streams.append(EventReader(emulator.base_url + "/_emulator/events"))
        assert streams[-1].status == 200
    finally:
        for stream in streams:
            stream.close()
        emulator.stop()


def _login(base_url: str) -> httpx.Cookies:
    from tests.ui.pages import logged_in

    return logged_in(base_url).cookies
