"""Several workers, one box, for real: `serve --workers 3`, and three `serve` processes on one PostgreSQL database
and data dir, taken for one FaxFinder by clients that reach any of them. (The black-box suite runs against three
workers too: `pytest --database postgresql --workers 3`.)"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests import backends
from tests.observe.sse import EventReader
from tests.process import ServerProcess
from tests.ui.pages import csrf_of, logged_in

ADMIN = ("admin", "admin")
KEY = re.compile(r"<fax_entry_url>[^<]*/ofax/([0-9A-F]{8})/0000</fax_entry_url>")
FAX = (
    "<schedule_fax><recipient><name>R {n}</name><fax_number>{number}</fax_number></recipient>"
    "<attachment><name>a.txt</name><content_type>text/plain</content_type><content>aGk=</content></attachment>"
    "<cover_page><enabled>false</enabled></cover_page></schedule_fax>"
)
XML = {"content-type": "application/xml"}


@pytest.fixture
def database() -> str:
    if backends.CURRENT.name != "postgresql":
        pytest.skip("several workers serve one box on PostgreSQL only: run with --database postgresql")
    return backends.CURRENT.new_database(copy_of_template=False)


def schedule(base_url: str, n: int, number: str = "218-555-1234") -> str:
    # A connection of its own for every fax: the kernel hands each to whichever worker accepts first.
    response = httpx.post(f"{base_url}/ffws/v1/ofax", content=FAX.format(n=n, number=number), auth=ADMIN,
                          headers=XML, timeout=60)  # fmt: skip
    assert response.status_code == 201, response.text
    return KEY.search(response.text).group(1)


def entries(base_url: str) -> list[tuple[str, str]]:
    query = {"all_users": "true", "complete_limit": 100000}
    text = httpx.get(f"{base_url}/ffws/v1/ofax", params=query, auth=ADMIN, timeout=60).text
    return re.findall(r"/ofax/([0-9A-F]{8})/0000</fax_entry_url>.*?<state>([a-z_]+)</state>", text, re.S)


def test_three_workers_behind_one_port_are_one_box(tmp_path: Path, database: str):
    server = ServerProcess(tmp_path / "data", "--database-url", database, "--workers", "3", "--manual-clock",
                           "--lines", "24", "--journal-size", "1000")  # fmt: skip
    server.start(timeout=60)
    try:
        served_by = {httpx.get(server.base_url + "/_emulator/health").json()["worker"] for _ in range(30)}
        assert len(served_by) > 1, "every request went to one worker"
        with ThreadPoolExecutor(8) as pool:  # 8 clients × 50 faxes, all at once
            keys = list(pool.map(lambda n: schedule(server.base_url, n), range(400)))
        assert len(set(keys)) == 400, Counter(keys).most_common(3)
        assert sorted(int(k, 16) for k in keys) == list(range(1, 401))  # one box-wide counter
        for _ in range(60):
            httpx.post(server.base_url + "/_emulator/clock/advance", json={"seconds": 600}, timeout=120)
            states = Counter(state for _key, state in entries(server.base_url))
            if states == {"sent": 400}:
                break
        assert states == {"sent": 400}, states
        log = httpx.get(server.base_url + "/ffws/v1/outbound_log", params={"limit": 100000}, auth=ADMIN,
                        timeout=60).text  # fmt: skip
        tries = Counter(re.findall(r"/ofax/([0-9A-F]{8})/0000</fax_entry_url>", log))
        assert len(tries) == 400 and set(tries.values()) == {1}  # every fax sent exactly once
        journal = httpx.get(server.base_url + "/_emulator/journal", params={"method": "POST", "limit": 500}).json()
        assert len(journal["entries"]) == 400  # the journal of every worker is the box's
    finally:
        server.stop()


def _leader(servers: list[ServerProcess]) -> ServerProcess | None:
    leaders = [s for s in servers if httpx.get(s.base_url + "/_emulator/health").json().get("leader")]
    assert len(leaders) <= 1, "two workers lead"
    return leaders[0] if leaders else None


def _wait_for(condition, timeout: float, step: float = 0.2):  # noqa: ANN001, ANN202
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        pause.wait(step)
    return condition()


def test_the_queue_carries_on_when_its_leader_is_killed_mid_send(tmp_path: Path, database: str):
    data = tmp_path / "data"
    # Scaled time: the leader runs the queue in the background. "0009" numbers send at a tenth of the speed
    # (300 emulated seconds a page, 6 s of wall time at x50): the faxes are still sending when the leader dies.
    args = ("--database-url", database, "--time-scale", "50", "--lines", "4")
    servers = [ServerProcess(data, *args).start(timeout=60) for _ in range(3)]
    try:
        leader = _wait_for(lambda: _leader(servers), 10)
        assert leader is not None
        keys = [schedule(servers[n % 3].base_url, n, number="218-555-0009") for n in range(4)]
        assert _wait_for(lambda: {s for _k, s in entries(servers[0].base_url)} == {"sending"}, 30)
        leader.stop(signal.SIGKILL)
        others = [s for s in servers if s is not leader]
        assert _wait_for(lambda: _leader(others), 10), "no worker took the lead"
        assert _wait_for(lambda: dict(entries(others[0].base_url)) == dict.fromkeys(keys, "sent"), 90)
        log = httpx.get(others[1].base_url + "/ffws/v1/outbound_log", auth=ADMIN).text
        tries = Counter(re.findall(r"/ofax/([0-9A-F]{8})/0000</fax_entry_url>", log))
        assert tries == dict.fromkeys(keys, 1)  # each sent once: the call the leader was making went on
    finally:
        for server in servers:
            server.kill()


def test_a_live_stream_on_one_worker_shows_what_the_others_did(tmp_path: Path, database: str):
    data = tmp_path / "data"
    args = ("--database-url", database, "--manual-clock", "--lines", "2")
    servers = [ServerProcess(data, *args).start(timeout=60) for _ in range(3)]
    try:
        watched, other = servers[0], servers[1]
        stream = EventReader(watched.base_url + "/_emulator/events?types=journal,entry,line,clock")
        try:
            key = schedule(other.base_url, 1)
            assert stream.next("journal", method="POST", path="/ffws/v1/ofax", status=201).data["user"] == "admin"
            httpx.post(servers[2].base_url + "/_emulator/clock/advance", json={"seconds": 5})
            clock, line = stream.next_each(("clock", {}), ("line", {"direction": "outbound"}))
            assert clock.data["manual"] is True and line.data["fax_number"] == "218-555-1234"
            httpx.post(other.base_url + "/_emulator/clock/advance", json={"seconds": 600})
            assert stream.next("entry", fax_key=key, state="sent").data["previous"] == "sending"
        finally:
            stream.close()
    finally:
        for server in servers:
            server.stop()


def test_a_browser_logged_in_through_one_worker_is_logged_in_through_every_other(tmp_path: Path, database: str):
    data = tmp_path / "data"
    servers = [ServerProcess(data, "--database-url", database).start(timeout=60) for _ in range(3)]
    try:
        browser = logged_in(servers[0].base_url)
        cookies = dict(browser.cookies)
        for server in servers[1:]:  # the cookie signed by one worker holds at the others
            page = httpx.get(server.base_url + "/fax-status", cookies=cookies)
            assert page.status_code == 200 and csrf_of(page.text) == browser.csrf
        stream = EventReader(servers[2].base_url + "/events", cookies=cookies)
        logout = httpx.post(servers[1].base_url + "/logout", data={"csrf": browser.csrf}, cookies=cookies)
        assert logout.status_code == 303
        # ended everywhere: the saved cookie opens nothing at any worker, and its stream at another worker ended
        servers.append(ServerProcess(data, "--database-url", database).start(timeout=60))  # (one started later)
        for server in servers:
            page = httpx.get(server.base_url + "/fax-status", cookies=cookies)
            assert (page.status_code, page.headers["location"].split("?")[0]) == (303, "/login"), server.base_url
        assert stream.ended(10)
    finally:
        for server in servers:
            server.stop()


def test_sqlite_is_one_process(tmp_path: Path):
    sqlite = ("--database-url", f"sqlite:///{tmp_path / 'data' / 'faxfinder.sqlite3'}")
    refused = ServerProcess(tmp_path / "data", *sqlite, "--workers", "2")
    with pytest.raises(AssertionError, match="--workers 2 needs a PostgreSQL --database-url"):
        refused.start(timeout=15)
    first = ServerProcess(tmp_path / "data", *sqlite).start()
    try:
        second = ServerProcess(tmp_path / "data", *sqlite)
        with pytest.raises(AssertionError, match="already serves"):
            second.start(timeout=15)
    finally:
        first.stop()
