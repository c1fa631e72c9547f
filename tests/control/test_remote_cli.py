"""The commands that drive a running emulator (reset, advance, clock, journal, faults, inbound, health), run as a
user runs them: a separate process against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from emulator.testing.server import EmulatorServer
from tests.conftest import ADMIN

TOKEN = "s3cret"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``faxfinder-emulator ARGS`` in its own process, with no FFEMU_* variable of ours leaking in."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FFEMU_")}
    command = [sys.executable, "-m", "emulator", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env={**clean, **(env or {})})


def ok(*args: str, env: dict[str, str] | None = None) -> dict:
    done = run(*args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_health(box):
    answer = ok("health", "--url", box.base_url)
    assert (answer["status"], answer["model"]) == ("ok", "FF240-IP")


def test_reset_advance_and_clock(box):
    box.advance(600)
    box.fault(kind="fax", outcome="busy")
    assert ok("reset", "--url", box.base_url) == {"status": "reset"}
    assert box.clock()["now"] == "2026-01-01T00:00:00"
    assert box.journal() == [] and box._control("GET", "/faults") == {"faults": []}
    advanced = ok("advance", "90", "--url", box.base_url)
    assert (advanced["now"], advanced["manual"]) == ("2026-01-01T00:01:30", True)
    assert ok("clock", "--url", box.base_url) == {"now": "2026-01-01T00:01:30", "time_scale": 20.0, "manual": True}
    changed = ok("clock", "--time-scale", "4", "--url", box.base_url)
    assert (changed["time_scale"], changed["manual"]) == (4.0, True)
    assert box.clock()["time_scale"] == 4.0


def test_journal_with_filters_and_clear(box):
    httpx.get(box.url + "/verify", auth=ADMIN)
    httpx.get(box.url + "/contacts/nobody", auth=ADMIN)
    entries = ok("journal", "--url", box.base_url, "--status", "404", "--limit", "5")["entries"]
    assert [(e["path"], e["status"]) for e in entries] == [("/ffws/v1/contacts/nobody", 404)]
    assert ok("journal", "--clear", "--url", box.base_url) == {"status": "cleared"}
    assert box.journal() == []


def test_faults_add_list_remove_clear(box):
    url = ("--url", box.base_url)
    added = ok("faults", "add", "--path", "/ffws/v1/verify", "--status", "503", "--times", "1", *url)
    assert added == {"id": 1}
    assert httpx.get(box.url + "/verify", auth=ADMIN).status_code == 503
    ok("faults", "add", "--kind", "fax", "--fax-number", "*0000", "--outcome", "voice", *url)
    listed = ok("faults", "list", *url)["faults"]
    assert [(f["id"], f["kind"], f["matched"], f["remaining"]) for f in listed] == [
        (1, "http", 1, 0),
        (2, "fax", 0, None),
    ]
    assert ok("faults", "remove", "--id", "1", *url) == {"status": "removed"}
    assert ok("faults", "clear", *url) == {"status": "cleared"}
    assert ok("faults", *url) == {"faults": []}


def test_an_error_answer_exits_1_with_the_error(box):
    done = run("faults", "remove", "--id", "42", "--url", box.base_url)
    assert done.returncode == 1
    assert json.loads(done.stderr) == {"error": "no fault 42"}
    assert done.stdout == ""


def test_inbound_fax_with_pages(box):
    answer = ok("inbound", "--pages", "2", "--remote-id", "SUPPLIER", "--url", box.base_url)
    assert answer["busy"] is False and answer["id"] == 1
    box.advance(600)
    log = httpx.get(box.url + "/inbound_log", auth=ADMIN).text
    assert "<pages>2</pages>" in log and "SUPPLIER" in log


def test_unreachable_url_is_a_clear_message_and_exit_1():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    done = run("health", "--url", url, "--timeout", "5")
    assert done.returncode == 1
    assert done.stderr.startswith(f"faxfinder-emulator: cannot reach {url}: ")
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_local_mistakes_are_clear_messages_without_a_traceback(box, tmp_path: Path):
    missing = tmp_path / "missing.pdf"
    done = run("inbound", "--document", str(missing), "--url", box.base_url)
    assert done.returncode == 1
    assert done.stderr == f"faxfinder-emulator: cannot read {missing}: No such file or directory\n"
    done = run("faults", "remove", "--url", box.base_url)
    assert (done.returncode, done.stderr) == (2, "faxfinder-emulator: faults remove needs --id\n")


def test_the_url_and_token_come_from_the_environment_too(tmp_path: Path):
    guarded = EmulatorServer(tmp_path / "data", control_token=TOKEN)
    guarded.start()
    try:
        refused = run("clock", env={"FFEMU_URL": guarded.base_url})
        assert refused.returncode == 1
        assert json.loads(refused.stderr) == {"error": "missing or wrong X-Emulator-Token"}
        assert ok("clock", "--token", TOKEN, env={"FFEMU_URL": guarded.base_url})["manual"] is True
        assert ok("reset", env={"FFEMU_URL": guarded.base_url, "FFEMU_CONTROL_TOKEN": TOKEN}) == {"status": "reset"}
    finally:
        guarded.stop()


def test_outbox_list_one_eml_flush_and_clear(box):
    assert box._control("PUT", "/mail", json={"email_size_limit": 0})["email_size_limit"] == 0
    box.inbound(pages=1, remote_id="SUPPLIER")
    box.advance(600)
    url = ("--url", box.base_url)
    [mail] = ok("outbox", *url)["mails"]
    assert (mail["kind"], mail["subject"]) == ("inbound", "Fax from SUPPLIER to Administrator")
    assert ok("outbox", "--kind", "receipt", *url) == {"mails": []}
    assert ok("outbox", "--id", str(mail["id"]), *url) == mail
    raw = subprocess.run(
        [sys.executable, "-m", "emulator", "outbox", "--id", str(mail["id"]), "--eml", *url],
        capture_output=True,
        timeout=60,
    )
    assert raw.returncode == 0 and raw.stdout.startswith(b"From: Administrator") and b"\r\n" in raw.stdout
    assert len(raw.stdout) == mail["size"]
    assert ok("outbox", "--flush", *url) == {"status": "flushed", "mails": 0, "delivering": False}
    assert ok("outbox", "--clear", *url) == {"status": "cleared", "mails": 1}
    done = run("outbox", "--eml", *url)
    assert (done.returncode, done.stderr) == (2, "faxfinder-emulator: outbox --eml needs --id\n")
