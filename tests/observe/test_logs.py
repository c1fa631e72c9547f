"""Logs people can read: one line per /ffws/v1 exchange, one per step of a fax's life, text or JSON, and never a
password."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from emulator.observe.logs import JsonFormatter, handler
from tests.ffws.clients import advance, create_user, fax_to, schedule
from tests.process import ServerProcess

SECRET = "Pa55-w0rd-nobody-may-see"


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="emulator")
    return caplog


def _lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger]


def test_one_line_per_request_with_method_path_user_status_and_duration(client, records):
    client.get("/ffws/v1/verify")
    client.get("/ffws/v1/ofax/FFFFFFFF")
    client.get("/ffws/v1/verify", auth=("admin", "wrong"))
    first, missing, refused = _lines(records, "emulator.http")
    assert first.getMessage().startswith("GET /ffws/v1/verify user=admin status=200 ")
    assert first.fields["method"] == "GET" and first.fields["status"] == 200 and first.fields["user"] == "admin"
    assert first.fields["duration_ms"] > 0
    assert missing.getMessage().startswith("GET /ffws/v1/ofax/FFFFFFFF user=admin status=404 ")
    assert missing.getMessage().endswith("(Fax not found.)")
    assert refused.fields["user"] is None and refused.fields["status"] == 401


def test_control_plane_calls_are_not_logged_as_requests(client, records):
    client.get("/_emulator/health")
    assert _lines(records, "emulator.http") == []


def test_each_step_of_a_fax_is_one_line(client, records):
    schedule(client, fax_to("218-555-0005", pages=2))  # busy on the first try, sent on the second
    advance(client, 1000)
    steps = [(r.fields.get("step"), r.getMessage()) for r in _lines(records, "emulator.fax")]
    names = [step for step, _ in steps]
    assert names == ["scheduled", "converted", "dialling", "retry", "dialling", "sent"], steps
    assert steps[0][1] == "fax 00000001/0000 scheduled by admin (FFWS) to 218-555-0005"
    assert steps[1][1].startswith("fax 00000001 converted: 2 pages in ")
    assert steps[2][1] == "fax 00000001/0000 dialling 218-555-0005 on line 1 (try 1)"
    assert steps[3][1] == "fax 00000001/0000 not sent: Line busy; next try 2"
    assert steps[5][1] == "fax 00000001/0000 sent to 218-555-0005: 2 pages"


def test_failures_carry_their_reason_and_received_faxes_their_pages(client, records):
    schedule(client, fax_to("218-555-0006"))  # number not in service: dead after one try
    client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 3})
    advance(client, 1000)
    messages = [r.getMessage() for r in _lines(records, "emulator.fax")]
    assert "fax 00000001/0000 dead: Number not in service" in messages
    assert "inbound fax 1 arriving on line 1 from SUPPLIER" in messages
    assert "inbound fax 1 received: 3 pages for admin" in messages


def test_no_password_ever_reaches_a_log_line(client, records):
    create_user(client, "carol", SECRET)
    client.put("/ffws/v1/users/carol", f"<user><password>{SECRET}x</password></user>")
    client.get("/ffws/v1/verify", auth=("carol", SECRET + "x"))
    client.get("/ffws/v1/verify", auth=("carol", SECRET))
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in records.records)
    assert len(_lines(records, "emulator.http")) == 4
    assert SECRET not in text
    assert "Authorization" not in text and "Basic " not in text


@pytest.fixture
def written() -> Iterator[callable]:
    """Log lines as the process writes them, in a format: a handler of that format on a logger of the test's own
    (the process's handlers, pytest's among them, stay as they are)."""
    logger = logging.getLogger("emulator.test-format")
    logger.propagate, logger.level = False, logging.INFO
    attached: list[logging.Handler] = []

    def write(log_format: str, message: str, *args: object, **extra: object) -> str:
        stream = io.StringIO()
        attached.append(handler(log_format, stream))
        logger.addHandler(attached[-1])
        logger.info(message, *args, extra=extra)
        logger.removeHandler(attached[-1])
        return stream.getvalue()

    yield write
    for made in attached:
        logger.removeHandler(made)


def test_json_format_is_one_object_a_line_with_the_fields(written):
    (line,) = written("json", "GET /x", fields={"method": "GET", "status": 200}).splitlines()
    document = json.loads(line)
    assert document["message"] == "GET /x" and document["logger"] == "emulator.test-format"
    assert document["level"] == "info" and document["method"] == "GET" and document["status"] == 200
    assert document["time"].endswith("+00:00")


def test_text_format_is_a_readable_line(written):
    text = written("text", "fax 00000001 converted: 1 pages in 0.01 s")
    assert text.rstrip().endswith(" INFO emulator.test-format: fax 00000001 converted: 1 pages in 0.01 s")


def test_a_line_break_in_what_a_client_sends_cannot_forge_a_log_line(client, records, written):
    client.get("/ffws/v1/verify%0A2026-01-01 00:00:00,000 INFO emulator.http: forged%1B[2J%E2%80%A8")
    (record,) = _lines(records, "emulator.http")
    text = written("text", "%s", record.getMessage())
    assert text.count("\n") == 1 and "\x1b" not in text and "\u2028" not in text
    assert "/ffws/v1/verify\\n2026-01-01 00:00:00,000 INFO emulator.http: forged\\x1b[2J\\u2028" in text
    document = json.loads(written("json", "%s", record.getMessage()))
    assert document["message"] == record.getMessage()  # JSON escapes them itself, and gives them back whole


def test_a_real_server_logs_json_lines_on_standard_error(tmp_path):
    server = ServerProcess(tmp_path / "data", "--log-format", "json")
    server.start()
    try:
        with server.client() as client:
            assert client.get("/ffws/v1/verify", auth=("admin", SECRET)).status_code == 401
            assert client.get("/ffws/v1/verify", auth=("admin", "admin")).status_code == 200
    finally:
        assert server.stop() == 0
    documents = [json.loads(line) for line in server.output if line.startswith("{")]
    requests = [d for d in documents if d["logger"] == "emulator.http"]
    assert [(d["method"], d["path"], d["status"], d["user"]) for d in requests] == [
        ("GET", "/ffws/v1/verify", 401, None),
        ("GET", "/ffws/v1/verify", 200, "admin"),
    ]
    assert any(d["logger"].startswith("uvicorn") for d in documents)  # the server's own lines too, in JSON
    assert SECRET not in "".join(server.output)
