"""State snapshots: export → import into a fresh emulator → export is the same document, and the imported box
serves what the first one served; a bad snapshot is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import FFClient, box_state, make_box
from tests.ffws.clients import advance, b64, create_user, fax_to, pdf_bytes, schedule

EXPORT = "/_emulator/state/export"
IMPORT = "/_emulator/state/import"
ROUTE = (
    "<inbound_route><type>global</type><name>Everything</name>"
    "<destination><type>user</type><value>dave</value></destination></inbound_route>"
)
# What a client can see of the box: every one must be the same on the imported box.
VIEWS = [
    "/ffws/v1/ofax?all_users=true&class=complete",
    "/ffws/v1/ofax?all_users=true&class=pending",
    "/ffws/v1/ofax/00000001",
    "/ffws/v1/data/preview/00000001-0000.pdf",
    "/ffws/v1/data/preview/00000002-0000.pdf",
    "/ffws/v1/data/inbound/1.pdf",
    "/ffws/v1/users/dave",
    "/ffws/v1/contacts/admin",
    "/ffws/v1/contacts/global_contact_list",
    "/ffws/v1/contact_groups/admin",
    "/ffws/v1/inbound_routes",
    "/ffws/v1/inbound_log",
    "/ffws/v1/outbound_log",
    "/ffws/v1/call_log",
    "/ffws/v1/global_contacts_status",
]


@pytest.fixture
def fresh(template_dir, tmp_path) -> Iterator[FFClient]:  # noqa: ANN001
    """A second emulator, on its own data dir."""
    other = FFClient(make_box(template_dir, tmp_path / "fresh"))
    yield other
    other.close()


def populate(client) -> None:  # noqa: ANN001
    create_user(client, "dave", "dave-pw")
    client.post("/ffws/v1/contacts/admin", "<contact><name>Erin</name><fax_number>555-0100</fax_number></contact>")
    client.post("/ffws/v1/contacts/global_contact_list", "<contact><name>Shared</name></contact>")
    client.post("/ffws/v1/contact_groups/admin", "<contact_group><name>Team</name></contact_group>")
    assert client.put("/ffws/v1/inbound_routes", ROUTE).status_code == 200
    open_book = "<global_contacts_status><non_admin_can_add>true</non_admin_can_add></global_contacts_status>"
    assert client.put("/ffws/v1/global_contacts_status", open_book).status_code == 200
    schedule(client, fax_to("218-555-1000", pages=2))
    schedule(client, fax_to("218-555-0001", max_tries=3, try_interval=600), auth=("dave", "dave-pw"))
    inbound = {"remote_id": "SUPPLIER", "document_base64": b64(pdf_bytes(3, "Inbound"))}
    assert client.post("/_emulator/inbound", json=inbound).status_code == 201
    advance(client, 300)  # the first fax sent, the second waiting for its retry, the inbound fax received


def export(client) -> dict:  # noqa: ANN001
    response = client.get(EXPORT)
    assert response.status_code == 200, response.text
    return response.json()


def test_export_import_export_is_the_same_document(client, fresh):
    populate(client)
    snapshot = export(client)
    assert snapshot["clock"] == {"manual": True, "time_scale": 20.0, "now": "2026-01-01T00:05:00"}
    assert {"users", "contacts", "faxes", "fax_entries", "counters"} <= set(snapshot["tables"])
    assert {"faxes/00000001/attachment-1.pdf", "inbound/1.pdf"} <= set(snapshot["documents"])
    response = fresh.post(IMPORT, json=snapshot)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "imported"}
    assert export(fresh) == snapshot


def test_the_imported_box_serves_the_same_things(client, fresh):
    populate(client)
    assert fresh.post(IMPORT, json=export(client)).status_code == 200
    for path in VIEWS:
        theirs, ours = client.get(path), fresh.get(path)
        assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content), path
        assert ours.status_code == 200, path
    assert fresh.get("/ffws/v1/verify", auth=("dave", "dave-pw")).status_code == 200
    assert fresh.get("/_emulator/clock").json()["now"] == "2026-01-01T00:05:00"
    assert box_state(fresh.box).documents == box_state(client.box).documents
    # the queue carries on from the snapshot exactly as it does on the original
    advance(client, 3600)
    advance(fresh, 3600)
    for path in VIEWS[:3] + ["/ffws/v1/outbound_log"]:
        assert fresh.get(path).content == client.get(path).content, path
    (entry,) = schedule(fresh, fax_to("218-555-2000"))
    assert entry.findtext("fax_entry_url").endswith("/ofax/00000003/0000")  # the FAXKEY counter came along


def _bad(**changes: object) -> Callable[[dict], dict]:
    return lambda s: {**s, **changes}


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _bad_table(name: str, rows: object) -> Callable[[dict], dict]:
    return lambda s: {**s, "tables": {**s["tables"], name: rows}}


BAD = {
    "list": (lambda s: ["not", "a", "snapshot"], "invalid body"),
    "garbage": (lambda s: {"hello": "world"}, "not a snapshot of format 1"),
    "format": (_bad(format=2), "not a snapshot of format 1"),
    "model": (_bad(model="FF840"), "snapshot of a FF840, this box is a FF240-IP"),
    "tables": (_bad(tables=[]), "snapshot needs tables and documents"),
    "clock": (_bad(clock={"now": "yesterday"}), "invalid snapshot: clock: time data 'yesterday'"),
    "clock-type": (_bad(clock="noon"), "invalid snapshot: clock must be an object"),
    "clock-9999": (
        _bad(clock={"now": "9999-12-31T23:59:59"}),
        "invalid snapshot: clock: 9999-12-31T23:59:59 outside 1970-01-01T00:00:00 .. 9000-01-01T00:00:00",
    ),
    "clock-1900": (_bad(clock={"now": "1900-01-01T00:00:00"}), "invalid snapshot: clock: 1900-01-01T00:00:00 outside"),
    "rows": (_bad_table("users", "abc"), "invalid snapshot: table users must be a list of rows"),
    "missing-column": (_bad_table("users", [{"id": 1}]), "invalid snapshot: users row 1: username is missing"),
    "bad-date": (
        _bad_table("faxes", [{"id": 9, "created": "x"}]),
        "invalid snapshot: faxes row 1: created: not a time",
    ),
    "bad-type": (_bad_table("users", [{"id": "one"}]), "invalid snapshot: users row 1: id: not an integer ('one')"),
    "nul-text": (
        _bad_table("users", [{"id": 1, "username": "a\x00b"}]),
        "invalid snapshot: users row 1: username: holds a NUL character",
    ),
    "bad-document": (
        _bad(documents={"faxes/00000009/attachment-1.pdf": "%%% not base64"}),
        "invalid snapshot: document faxes/00000009/attachment-1.pdf is not valid base64",
    ),
    "not-a-store-name": (_bad(documents={"faxes": "eA=="}), "invalid snapshot: document path outside the store: faxes"),
    "nul": (_bad(documents={"faxes/\x00.pdf": "eA=="}), "invalid snapshot: document path outside the store"),
    "long-name": (_bad(documents={"faxes/" + "A" * 300: "eA=="}), "invalid snapshot: document path outside the store"),
    "deep": (
        _bad(clock={"now": _nested(70)}),
        "invalid snapshot: values nest deeper than 64 levels",
    ),
    "setting-not-json": (
        _bad_table("device_settings", [{"name": "sip_settings", "value": "not json"}]),
        "invalid snapshot: device setting sip_settings: its value must be a JSON object",
    ),
    "setting-deep": (
        _bad_table("device_settings", [{"name": "t38_settings", "value": "[" * 100_000 + "]" * 100_000}]),
        "invalid snapshot: device setting t38_settings: its value must be a JSON object",
    ),
    "escape": (_bad(documents={"../../escape.pdf": "eA=="}), "invalid snapshot: document path outside the store"),
}


def test_a_bad_snapshot_is_refused_and_changes_nothing(client, fresh):
    populate(client)
    snapshot = export(client)
    create_user(fresh, "frank", "frank-pw")
    schedule(fresh, fax_to("218-555-3000"))
    advance(fresh, 60)
    before, clock = box_state(fresh.box), fresh.get("/_emulator/clock").json()
    assert before.documents  # documents that a half-done import would lose
    for case, (mangle, error) in BAD.items():
        response = fresh.post(IMPORT, json=mangle(snapshot))
        assert response.status_code == 400, (case, response.text)
        assert response.json()["error"].startswith(error), case
        assert (box_state(fresh.box), fresh.get("/_emulator/clock").json()) == (before, clock), case
    assert not (fresh.box.store.root.parent.parent / "escape.pdf").exists()
    assert fresh.get("/ffws/v1/verify", auth=("frank", "frank-pw")).status_code == 200
