"""POST /_emulator/reset: every trace of use gone, the box exactly as a fresh one from the fixtures."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from tests.conftest import ADMIN, assert_error, box_state, make_box
from tests.ffws.clients import OFAX, advance, create_user, entries_of, fax_to, schedule, view

RESET = "/_emulator/reset"
START = datetime(2026, 1, 1)


def comparable(box) -> dict[str, list[tuple]]:  # noqa: ANN001
    """The rows of box_state without what legitimately differs between two boxes seeded from the same fixtures:
    the salt of each password hash (every box hashes the fixture passwords itself) and the remembered clock, which a
    fresh box may or may not have written yet (a remembered time after the start still counts)."""
    state = box_state(box).rows
    state["clock_state"] = [row for row in state["clock_state"] if row != (1, START)]
    state["users"] = [tuple("<hash>" if str(v).startswith("$argon2") else v for v in row) for row in state["users"]]
    return state


def use_everything(client) -> None:  # noqa: ANN001
    """Touch every kind of state the box keeps."""
    create_user(client, "alice", "alice-pw")
    assert client.post("/ffws/v1/contacts/admin", "<contact><name>Bob</name><fax_number>555</fax_number></contact>")
    group = "<contact_group><name>Friends</name></contact_group>"
    assert client.post("/ffws/v1/contact_groups/admin", group).status_code == 200
    route = (
        "<inbound_route><type>global</type><name>All</name>"
        "<destination><type>user</type><value>alice</value></destination></inbound_route>"
    )
    assert client.put("/ffws/v1/inbound_routes", route).status_code == 200
    open_book = "<global_contacts_status><non_admin_can_add>true</non_admin_can_add></global_contacts_status>"
    assert client.put("/ffws/v1/global_contacts_status", open_book).status_code == 200
    schedule(client, fax_to("218-555-1111"))  # sent after the advance
    schedule(client, fax_to("218-555-2222", schedule_all_at="2027-01-01T00:00:00"))  # still pending
    assert client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 2}).status_code == 201
    assert client.post("/_emulator/faults", json={"kind": "fax", "outcome": "busy"}).status_code == 201
    advance(client, 3600)
    assert view(client, "00000001/0000")["state"] == "sent"
    new_admin = "<user><password>changed-pw</password></user>"
    assert client.put("/ffws/v1/users/admin", new_admin).status_code == 200
    assert client.put("/_emulator/clock", json={"manual": False, "time_scale": 3}).status_code == 200


def test_reset_brings_everything_back_to_the_fixtures(client, template_dir, tmp_path):
    fresh = make_box(template_dir, tmp_path / "fresh")
    try:
        expected = comparable(fresh)
    finally:
        fresh.stop()
    use_everything(client)
    assert client.get("/_emulator/journal").json()["entries"]
    assert box_state(client.box).documents
    assert comparable(client.box) != expected
    assert box_state(client.box).rows["clock_state"] == [(1, datetime(2026, 1, 1, 1, 0))]

    response = client.post(RESET)

    assert response.status_code == 200
    assert response.json() == {"status": "reset"}
    assert comparable(client.box) == expected
    assert box_state(client.box).documents == {}
    assert client.get("/_emulator/journal").json() == {"entries": []}
    assert client.get("/_emulator/faults").json() == {"faults": []}
    assert client.get("/_emulator/clock").json() == {"now": "2026-01-01T00:00:00", "time_scale": 20.0, "manual": True}


def test_after_reset_the_old_admin_password_fails_and_admin_admin_works(client):
    use_everything(client)
    assert client.get("/ffws/v1/verify", auth=("admin", "changed-pw")).status_code == 200  # cached on purpose
    assert client.get("/ffws/v1/verify", auth=("alice", "alice-pw")).status_code == 200
    assert client.post(RESET).status_code == 200
    assert_error(client.get("/ffws/v1/verify", auth=("admin", "changed-pw")), 401, "Unauthorized")
    assert_error(client.get("/ffws/v1/verify", auth=("alice", "alice-pw")), 401, "Unauthorized")
    assert client.get("/ffws/v1/verify", auth=ADMIN).status_code == 200


def test_after_reset_faxkeys_restart_and_faults_no_longer_apply(client):
    use_everything(client)
    assert client.post(RESET).status_code == 200
    (entry,) = schedule(client, fax_to("218-555-3333"))
    assert entry.findtext("fax_entry_url").endswith("/ofax/00000001/0000")
    assert entry.findtext("created") == "2026-01-01T00:00:00"
    advance(client, 3600)
    assert view(client, "00000001/0000")["state"] == "sent"  # the busy fault was cleared
    listing = client.get(OFAX, params={"class": "complete"})
    assert len(entries_of(listing)) == 1


def test_after_reset_the_journal_records_from_scratch(client):
    use_everything(client)
    assert client.post(RESET).status_code == 200
    assert client.get("/ffws/v1/verify").status_code == 200
    (entry,) = client.get("/_emulator/journal").json()["entries"]
    assert (entry["id"], entry["path"], entry["time"]) == (1, "/ffws/v1/verify", "2026-01-01T00:00:00")


def test_reset_of_a_fresh_box_changes_nothing(client):
    before = comparable(client.box)
    assert client.post(RESET).status_code == 200
    assert client.post(RESET).status_code == 200
    assert comparable(client.box) == before
    users = etree.fromstring(client.get("/ffws/v1/users/admin").content)
    assert users.findtext("user/username") == "admin"
