"""Concurrency on SQLite (WAL, busy timeout, short transactions): 8 clients × 50 schedules plus readers at the same
time against a real server; every answer is a success, every key distinct, every entry present."""

import re
import threading

import httpx
import pytest

from tests.process import ServerProcess

ADMIN = ("admin", "admin")
CLIENTS, FAXES = 8, 50
FAX = (
    "<schedule_fax><cover_page><enabled>false</enabled></cover_page>"
    "<recipient><name>{name}</name><fax_number>555-7{n:03d}</fax_number></recipient>"
    "<attachment><location>inline</location><name>a.txt</name><content_type>text/plain</content_type>"
    "<content>aGVsbG8=</content></attachment></schedule_fax>"
)


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path / "data", "--manual-clock").start()
    yield process
    process.kill()


def test_concurrent_schedules_and_reads(server):
    keys: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=server.base_url, auth=ADMIN, timeout=60) as http:
            for n in range(FAXES):
                response = http.post("/ffws/v1/ofax", content=FAX.format(name=f"w{worker}", n=n))
                with lock:
                    if response.status_code != 201:
                        failures.append(f"{response.status_code} {response.text}")
                    keys.extend(re.findall(r"/ofax/([0-9A-F]{8}/[0-9A-F]{4})</fax_entry_url>", response.text))

    def reader() -> None:
        with httpx.Client(base_url=server.base_url, auth=ADMIN, timeout=60) as http:
            while not done.is_set():
                for path in ("/ffws/v1/ofax", "/ffws/v1/status", "/ffws/v1/contacts/admin"):
                    response = http.get(path)
                    if response.status_code != 200:
                        with lock:
                            failures.append(f"{path}: {response.status_code} {response.text}")

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(CLIENTS)]
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in writers + readers:
        thread.start()
    for thread in writers:
        thread.join(300)
    done.set()
    for thread in readers:
        thread.join(60)

    assert failures == []
    assert len(keys) == CLIENTS * FAXES
    assert len(set(keys)) == len(keys)
    with httpx.Client(base_url=server.base_url, auth=ADMIN, timeout=60) as http:
        listed = http.get("/ffws/v1/ofax", params={"class": "pending"}).text
    assert sorted(re.findall(r"/ofax/([0-9A-F]{8}/[0-9A-F]{4})</fax_entry_url>", listed)) == sorted(keys)
    assert "database is locked" not in "".join(server.output)
