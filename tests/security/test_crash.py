"""Crash safety: a box killed (SIGKILL) while faxes are sending loses nothing; on restart none stays sending and
every fax reaches a final state."""

import re
import signal

import pytest

from tests.process import ServerProcess

ADMIN = ("admin", "admin")
FAX = (
    "<schedule_fax><cover_page><enabled>false</enabled></cover_page>"
    "<recipient><fax_number>555-{n:04d}</fax_number></recipient><recipient><fax_number>555-12{n:02d}</fax_number>"
    "</recipient><attachment><location>inline</location><name>a.txt</name><content_type>text/plain</content_type>"
    "<content>aGVsbG8=</content></attachment></schedule_fax>"
)


def states(http):
    text = http.get("/ffws/v1/ofax", params={"all_users": "true", "complete_limit": "1000"}, auth=ADMIN).text
    return re.findall(r"<fax_entry_url>[^<]*/ofax/(\w+/\w+)</fax_entry_url>.*?<state>(\w+)</state>", text, re.S)


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path / "data", "--manual-clock", "--model", "FF440")
    yield process
    process.kill()


def test_sigkill_while_sending_then_restart(server):
    server.start()
    with server.client() as http:
        for n in range(10, 16):
            assert http.post("/ffws/v1/ofax", content=FAX.format(n=n), auth=ADMIN).status_code == 201
        http.post("/_emulator/clock/advance", json={"seconds": 20}).raise_for_status()
        before = dict(states(http))
    assert list(before.values()).count("sending") == 4  # four modems busy
    server.stop(signal.SIGKILL)

    server.start()
    with server.client() as http:
        after = dict(states(http))
        assert after.keys() == before.keys()  # every fax is still there
        assert "sending" not in after.values()  # interrupted calls went back to the queue
        http.post("/_emulator/clock/advance", json={"seconds": 3600}).raise_for_status()
        final = dict(states(http))
        log = http.get("/ffws/v1/outbound_log", params={"limit": "100"}, auth=ADMIN).text
    assert set(final.values()) == {"sent"}  # none of these numbers has a failing outcome
    assert log.count("Call interrupted: the box restarted") == 4
