"""A full disk (issue 10, item 10): ENOSPC or EDQUOT from any write, and SQLite's "database or disk is full", answer
503 with the device's XML <message> (a JSON error on /_emulator), never a bare 500; nothing is left half-written
and the box works again as soon as there is room. Injected in-process (always), and on a real full file system (a
small tmpfs, when this machine lets the tests mount one)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from emulator.box import Box
from emulator.device.preprocess import Preprocessor
from emulator.device.previews import PREVIEW_NO_STORAGE
from emulator.device.quota import CONVERSION_NO_STORAGE
from emulator.ffws.ofax import intake, service
from emulator.full_disk import DISK_FULL
from tests.conftest import FFClient, assert_error, box_settings, box_state
from tests.ffws.clients import OFAX, advance, attachment, fax_to, schedule, schedule_body, text_bytes, view
from tests.ffws.helpers import contact_body

CONTACTS = "/ffws/v1/contacts/admin"


def no_space(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def incoming_files(box: Box) -> list[Path]:
    return sorted(p for p in box.store.incoming.rglob("*") if p.is_file()) if box.store.incoming.exists() else []


def assert_nothing_written(box: Box, before: object, usage: object) -> None:
    assert box_state(box) == before
    assert incoming_files(box) == []
    assert box.quota.usage() == usage


class FullDatabase:
    """SQLite says "database or disk is full" for the statements that start with one of ``prefixes`` (the next
    ``times`` of them; None: all), as it does when its file cannot grow."""

    def __init__(self, box: Box, *prefixes: str, times: int | None = None) -> None:
        self.engine, self.prefixes, self.times = box.db.engine, prefixes, times
        event.listen(self.engine, "do_execute", self._execute)

    def _execute(self, _cursor: object, statement: str, _parameters: object, _context: object) -> None:
        if statement.lstrip().upper().startswith(self.prefixes) and self.times != 0:
            if self.times is not None:
                self.times -= 1
            raise sqlite3.OperationalError("database or disk is full")

    def remove(self) -> None:
        event.remove(self.engine, "do_execute", self._execute)


@pytest.fixture
def full_database(client: FFClient) -> Iterator[Callable[..., FullDatabase]]:
    made: list[FullDatabase] = []

    def make(*prefixes: str, times: int | None = None) -> FullDatabase:
        made.append(FullDatabase(client.box, *prefixes, times=times))
        return made[-1]

    yield make
    for injected in made:
        if event.contains(injected.engine, "do_execute", injected._execute):
            injected.remove()


# -- injected ------------------------------------------------------------------------------------------------------
def _decode_then_fail(text: str, blob: intake.Blob) -> intake.Blob:
    blob.path.write_bytes(b"half an attachment")
    no_space()
    return blob


def _move_one_then_fail(moved: list[str]):  # noqa: ANN202
    real = shutil.move

    def move(source: object, target: object) -> object:
        if moved:
            no_space()
        moved.append(str(target))
        return real(source, target)

    return move


def _fail_once(dialect: object):  # noqa: ANN202
    real, calls = dialect.do_commit, []  # type: ignore[attr-defined]

    def do_commit(connection: object) -> None:
        calls.append(1)
        if len(calls) == 1:  # as SQLite may do on SQLITE_FULL at COMMIT: the transaction is rolled back
            connection.rollback()  # type: ignore[attr-defined]
            raise sqlite3.OperationalError("database or disk is full")
        real(connection)

    return do_commit


@pytest.mark.parametrize("where", ["decoding the upload", "moving it into place", "committing"])
def test_a_full_disk_while_scheduling_answers_503_and_leaves_nothing(client, monkeypatch, where):
    body = schedule_body(attachments=[attachment(text_bytes(50)), attachment(b"second\n", name="b.txt")])
    before, usage = box_state(client.box), client.box.quota.usage()
    moved: list[str] = []
    if where == "decoding the upload":
        monkeypatch.setattr(intake, "decode_base64_into", _decode_then_fail)
    elif where == "moving it into place":
        monkeypatch.setattr(service.shutil, "move", _move_one_then_fail(moved))
    else:  # the schedule's own commit (only the first: reads after it commit too)
        monkeypatch.setattr(client.box.db.engine.dialect, "do_commit", _fail_once(client.box.db.engine.dialect))

    response = client.post(OFAX, body)

    assert_error(response, 503, DISK_FULL)
    assert_nothing_written(client.box, before, usage)
    assert not client.box.store.fax_dir(1).exists()
    assert client.get("/_emulator/journal").json()["entries"][-1]["status"] == 503
    monkeypatch.undo()  # room again: the same request succeeds, with all its files
    schedule(client, body)
    assert sorted(p.name for p in client.box.store.fax_dir(1).iterdir()) == ["attachment-1.bin", "attachment-2.bin"]


def test_a_full_database_answers_503_on_both_surfaces_and_then_recovers(client, full_database):
    before = box_state(client.box)
    injected = full_database("INSERT")

    assert_error(client.post(CONTACTS, contact_body(name="Someone")), 503, DISK_FULL)
    control = client.post("/_emulator/inbound", json={"remote_id": "5551234"})
    assert (control.status_code, control.json()) == (503, {"error": DISK_FULL})
    assert box_state(client.box) == before

    injected.remove()
    assert client.post(CONTACTS, contact_body(name="Someone")).status_code == 200
    assert client.post("/_emulator/inbound", json={"remote_id": "5551234"}).status_code == 201


def test_a_received_fax_whose_commit_fails_leaves_no_document(client, monkeypatch):
    before = box_state(client.box)
    monkeypatch.setattr(client.box.db.engine.dialect, "do_commit", _fail_once(client.box.db.engine.dialect))

    response = client.post("/_emulator/inbound", json={"remote_id": "5551234", "pages": 2})

    assert (response.status_code, response.json()) == (503, {"error": DISK_FULL})
    assert box_state(client.box) == before
    assert incoming_files(client.box) == []
    monkeypatch.undo()
    assert client.post("/_emulator/inbound", json={"remote_id": "5551234", "pages": 2}).status_code == 201


def test_a_full_disk_while_rendering_a_preview_answers_503_and_then_recovers(client, monkeypatch):
    schedule(client, fax_to("5551001"))
    advance(client, 5)
    monkeypatch.setattr(Preprocessor, "_render_preview", lambda self, entry, target: no_space())
    before = box_state(client.box)

    assert_error(client.get("/ffws/v1/data/preview/00000001-0000.pdf"), 503, DISK_FULL)
    assert box_state(client.box) == before

    monkeypatch.undo()
    assert client.get("/ffws/v1/data/preview/00000001-0000.pdf").content.startswith(b"%PDF")


def test_a_full_database_during_a_queue_step_kills_no_entry(client, full_database):
    schedule(client, fax_to("5551001"))
    # The step fails, and so does its careful rerun entry by entry: the entry must not end dead for it.
    injected = full_database("UPDATE FAX_ENTRIES", times=2)

    response = client.post("/_emulator/clock/advance", json={"seconds": 600})

    assert (response.status_code, response.json()) == (503, {"error": DISK_FULL})
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["schedule_message"]) == ("preprocessing", "New fax entry")
    injected.remove()
    advance(client, 600)
    assert view(client, "00000001/0000")["state"] == "sent"


# -- a real full file system -----------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs, unmounted at the end whatever happens; skipped where mounting is not allowed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root, and these tests do not run as root")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): no real full disk")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True, timeout=10, check=False).returncode:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=10, check=False)


def fill(disk: Path) -> Path:
    """Write a file until the file system is full; the file (delete it to make room again)."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with filler.open("ab", buffering=0) as out:  # the last bytes the file system has
        try:
            while True:
                out.write(b"\0" * 512)
        except OSError:
            pass
    return filler


@pytest.fixture
def box_on_small_disk(template_dir: Path, tmp_path: Path, small_disk: Path) -> Iterator[FFClient]:
    """A box whose documents (and uploads) live on the small disk, its database elsewhere: what fills up is
    known."""
    database = tmp_path / "database"
    shutil.copytree(template_dir, database)
    box = Box(box_settings(small_disk, database_url=f"sqlite:///{database / 'faxfinder.sqlite3'}"))
    box.start()
    client = FFClient(box)
    try:
        yield client
    finally:
        client.close()


def test_a_really_full_disk_answers_503_and_the_box_recovers_once_there_is_room(box_on_small_disk, small_disk):
    client = box_on_small_disk
    schedule(client, fax_to("5551001"))
    advance(client, 5)  # converted while there is room
    schedule(client, schedule_body(attachments=[attachment(text_bytes(400))]))  # converted once the disk is full
    filler = fill(small_disk)
    before, usage = box_state(client.box), client.box.quota.usage()

    assert_error(client.post(OFAX, fax_to("5551003", pages=40)), 503, DISK_FULL)
    assert_error(client.get("/ffws/v1/data/preview/00000001-0000.pdf"), 503, PREVIEW_NO_STORAGE)
    assert_nothing_written(client.box, before, usage)
    advance(client, 5)  # the queue goes on: the fax whose PDF cannot be written ends dead, and says why
    entry = view(client, "00000002/0000")
    assert (entry["state"], entry["schedule_message"]) == ("dead", CONVERSION_NO_STORAGE)

    filler.unlink()
    assert client.get("/ffws/v1/data/preview/00000001-0000.pdf").content.startswith(b"%PDF")
    schedule(client, fax_to("5551003"))
    advance(client, 600)
    assert view(client, "00000003/0000")["state"] == "sent"


def test_a_really_full_database_answers_503_never_500(template_dir, small_disk):
    shutil.copytree(template_dir, small_disk, dirs_exist_ok=True)
    box = Box(box_settings(small_disk))
    box.start()
    client = FFClient(box)
    try:
        filler = fill(small_disk)
        statuses = []
        for n in range(200):
            response = client.post(CONTACTS, contact_body(name=f"Someone {n}", notes="x" * 200))
            statuses.append(response.status_code)
            if response.status_code != 200:
                assert_error(response, 503, DISK_FULL)
                break
        assert statuses[-1] == 503, statuses  # SQLite ran out of room within 200 writes
        filler.unlink()
        assert client.post(CONTACTS, contact_body(name="Someone else")).status_code == 200
    finally:
        client.close()
