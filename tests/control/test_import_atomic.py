"""A snapshot import (or a reset) replaces rows and documents together: whatever moment the process dies at, the
box comes back with the old state or the new one, each with its own documents (issue 10, finding 9: a failure after
the database commit wiped the documents and left cached passwords valid; a SIGKILL during an import left faxes
without files). Each crash point is simulated in-process by an exception no handler catches, as a kill would be;
the box is then started again on the same data dir. tests/security/test_import_kill.py kills a real process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import OperationalError

from emulator import snapshot as snapshot_module
from emulator.box import Box
from emulator.device import store as store_module
from emulator.device.models import DocumentGeneration
from emulator.device.store import DocumentStore, Staging
from tests.conftest import FFClient, box_settings, box_state, make_box, message_of
from tests.control.test_snapshots import EXPORT, IMPORT, export, populate
from tests.ffws.clients import create_user, fax_to, schedule

# A process that dies in the middle, and its restart: with workers, the others would go on (and finish its work).
pytestmark = pytest.mark.one_worker


class Died(BaseException):
    """The process ends here: nothing after this point runs, no handler catches it."""


@pytest.fixture
def target(template_dir: Path, tmp_path: Path) -> Iterator[FFClient]:
    """The box that imports: it has a state of its own (a user, a fax and its documents) to lose."""
    box = FFClient(make_box(template_dir, tmp_path / "target", workers=1))
    create_user(box, "frank", "frank-pw")
    schedule(box, fax_to("218-555-3000"))
    box.post("/_emulator/clock/advance", json={"seconds": 60})
    yield box
    box.close_client()
    box.box.db.dispose()


@pytest.fixture
def snapshot(client) -> dict:  # noqa: ANN001
    populate(client)
    return export(client)


def _restart(client: FFClient) -> Box:
    """What a start after the crash finds, the box started again on the same data dir."""
    if client.box.cluster is not None:  # a process that died holds no connection, its link to other workers included
        client.box.cluster.stop()
    client.box.db.dispose()
    box = Box(box_settings(client.box.settings.data_dir, database_url=client.box.settings.database_url))
    box.start()
    return box


def _leftovers(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith("documents."))


def _die_after(original: Callable, *, calls: int = 1) -> Callable:
    count = 0

    def dying(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        nonlocal count
        count += 1
        result = original(*args, **kwargs)
        if count >= calls:
            raise Died
        return result

    return dying


def _die_instead(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
    raise Died


# Where the import dies, and which state a restart must find: "old" (died before the commit) or "new".
CRASHES = {
    "while staging the documents": ("old", lambda mp: mp.setattr(Staging, "path", _die_after(Staging.path, calls=2))),
    "inside the transaction": (
        "old",
        lambda mp: mp.setattr(snapshot_module, "_insert_rows", _die_after(snapshot_module._insert_rows)),
    ),
    "after the commit, before the swap": ("new", lambda mp: mp.setattr(DocumentStore, "swap_in", _die_instead)),
    "with the old set moved aside": (
        "new",
        lambda mp: mp.setattr(DocumentStore, "_retire", _die_after(DocumentStore._retire)),
    ),
    "before the old set is removed": (
        "new",
        lambda mp: mp.setattr(store_module.shutil, "rmtree", _die_instead),
    ),
}


@pytest.mark.parametrize("where", list(CRASHES))
def test_an_import_that_dies_leaves_the_old_state_or_the_new_one(where, target, snapshot, client, monkeypatch):
    expected, kill = CRASHES[where]
    old = box_state(target.box)
    assert old.documents
    # The state an import that completes gives (the same snapshot, into a box of its own).
    assert client.post("/_emulator/reset").status_code == 200
    assert client.post(IMPORT, json=snapshot).status_code == 200
    new = box_state(client.box)
    assert new != old
    kill(monkeypatch)
    monkeypatch.setattr(Staging, "discard", lambda _self: None)  # a killed process cleans nothing up
    with pytest.raises(Died):
        target.post(IMPORT, json=snapshot)
    monkeypatch.undo()
    restarted = _restart(target)
    try:
        state = box_state(restarted)
        assert state == (old if expected == "old" else new)
        assert _leftovers(restarted.settings.data_dir) == []  # no staged or retired set left behind
        for fax_dir in (restarted.store.root / "faxes").iterdir():  # every fax has its files
            assert any(fax_dir.iterdir())
    finally:
        restarted.stop()


def test_a_reset_that_dies_after_its_commit_is_completed_at_the_next_start(target, monkeypatch):
    assert box_state(target.box).documents
    monkeypatch.setattr(DocumentStore, "swap_in", _die_instead)
    monkeypatch.setattr(Staging, "discard", lambda _self: None)  # a killed process cleans nothing up
    with pytest.raises(Died):
        target.post("/_emulator/reset")
    monkeypatch.undo()
    restarted = _restart(target)
    try:
        assert box_state(restarted).documents == {}
        assert _leftovers(restarted.settings.data_dir) == []
    finally:
        restarted.stop()


def test_a_failure_after_the_commit_forgets_cached_passwords_and_is_completed_at_the_next_start(
    target, snapshot, monkeypatch
):
    assert target.get("/ffws/v1/verify", auth=("frank", "frank-pw")).status_code == 200  # cached
    documents_before = box_state(target.box).documents

    def refuse(_store, _staging):  # noqa: ANN001, ANN202
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(DocumentStore, "swap_in", refuse)
    response = target.post(IMPORT, json=snapshot)
    assert response.status_code == 503
    assert response.json()["error"].startswith("the new state is stored, but its documents could not be put in place")
    # The rows are the snapshot's: frank is gone, and his cached login with him; the old documents were not wiped.
    assert target.get("/ffws/v1/verify", auth=("frank", "frank-pw")).status_code == 401
    assert target.get("/ffws/v1/verify", auth=("dave", "dave-pw")).status_code == 200
    assert box_state(target.box).documents == documents_before
    # Until its documents are in place, every write is refused: nothing is stored beside files of another state.
    contact = "<contact><name>Erin</name><fax_number>555-0100</fax_number></contact>"
    refused = target.post("/ffws/v1/contacts/admin", contact)
    assert refused.status_code == 503
    assert "writes are refused until they are" in message_of(refused)
    assert target.post("/_emulator/clock/advance", json={"seconds": 1}).status_code == 503
    monkeypatch.undo()
    restarted = _restart(target)
    try:
        assert sorted(box_state(restarted).documents) == sorted(snapshot["documents"])
        assert _leftovers(restarted.settings.data_dir) == []
    finally:
        restarted.stop()


def test_after_a_failed_swap_the_next_write_puts_the_documents_in_place(target, snapshot, monkeypatch):
    real = DocumentStore.swap_in
    calls = []

    def refuse_once(store, staging):  # noqa: ANN001, ANN202
        calls.append(staging.generation)
        if len(calls) == 1:
            raise PermissionError(13, "Permission denied")
        real(store, staging)

    monkeypatch.setattr(DocumentStore, "swap_in", refuse_once)
    assert target.post(IMPORT, json=snapshot).status_code == 503
    assert (target.box.store.root / "faxes").is_dir()  # the old set stayed in place meanwhile
    contact = "<contact><name>Erin</name><fax_number>555-0100</fax_number></contact>"
    assert target.post("/ffws/v1/contacts/admin", contact).status_code == 200  # it swapped first
    assert len(calls) == 2
    assert sorted(box_state(target.box).documents) == sorted(snapshot["documents"])
    assert _leftovers(target.box.settings.data_dir) == []


def test_a_full_database_during_an_import_is_a_503_and_changes_nothing(target, snapshot, monkeypatch):
    before = box_state(target.box)

    def full(*_args):  # noqa: ANN002, ANN202
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(snapshot_module, "_tables", full)
    response = target.post(IMPORT, json=snapshot)
    assert response.status_code == 503, response.text
    assert box_state(target.box) == before
    assert _leftovers(target.box.settings.data_dir) == []


def test_a_refused_import_leaves_no_staged_documents(target):
    good, bad_name = "faxes/00000001/attachment-1.pdf", "../b.pdf"
    bad = {"format": 1, "model": "FF240-IP", "tables": {}, "documents": {good: "eA==", bad_name: "eA=="}}
    before = box_state(target.box)
    response = target.post(IMPORT, json=bad)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"invalid snapshot: document path outside the store: {bad_name}")
    assert _leftovers(target.box.settings.data_dir) == []
    assert box_state(target.box) == before


def test_a_data_dir_from_before_keeps_its_documents(target):
    """A data dir made before sets were named (no marker, no row) keeps what it has."""
    box = target.box
    before = box_state(box)
    with box.work() as work:
        work.session.execute(delete(DocumentGeneration))
    (box.store.root / ".generation").unlink(missing_ok=True)
    restarted = _restart(target)
    try:
        assert box_state(restarted) == before
    finally:
        restarted.stop()


def test_plain_text_setting_passwords_of_an_old_snapshot_are_stored_hashed(client):
    snapshot = client.get(EXPORT).json()
    rows = [r for r in snapshot["tables"].get("device_settings", []) if r["name"] != "sip_settings"]
    rows.append({"name": "sip_settings", "value": json.dumps({"enabled": True, "password": "sip-secret"})})
    rows.append({"name": "t37_settings", "value": json.dumps({"enabled": False, "password": "t37-secret"})})
    snapshot["tables"]["device_settings"] = [r for r in rows if r["name"] != "t37_settings"] + rows[-1:]
    assert client.post(IMPORT, json=snapshot).status_code == 200
    exported = client.get(EXPORT).text
    assert "sip-secret" not in exported and "t37-secret" not in exported
    stored = {r["name"]: json.loads(r["value"]) for r in client.get(EXPORT).json()["tables"]["device_settings"]}
    assert stored["sip_settings"]["password"].startswith("$argon2")
    assert stored["t37_settings"]["password"].startswith("$argon2")
    assert client.box.auth.passwords.verify("sip-secret", stored["sip_settings"]["password"])
