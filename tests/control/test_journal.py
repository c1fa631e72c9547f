"""The request journal (/_emulator/journal): the last N /ffws/v1 exchanges, filtered, with no secrets in it."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from emulator.journal import KEEP_BODY
from tests.conftest import ADMIN
from tests.ffws.clients import OFAX, attachment, create_user, pdf_bytes, schedule, schedule_body

JOURNAL = "/_emulator/journal"
PASSWORD = "Tr0ub4dor-and-3"


def journal(client, **params: object) -> list[dict]:  # noqa: ANN001
    response = client.get(JOURNAL, params=params)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_an_exchange_is_recorded_as_sent_and_answered(client):
    response = client.get("/ffws/v1/contacts/admin", params={"limit": "5"})
    (entry,) = journal(client)
    assert {k: entry[k] for k in ("id", "time", "method", "path", "query", "user", "status")} == {
        "id": 1,
        "time": "2026-01-01T00:00:00",
        "method": "GET",
        "path": "/ffws/v1/contacts/admin",
        "query": "limit=5",
        "user": "admin",
        "status": 200,
    }
    assert entry["response_body"] == response.text
    assert entry["request_body"] == ""
    assert entry["reason"] is None
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0


def test_a_refused_request_carries_its_reason(client):
    client.get("/ffws/v1/contacts/nobody")
    client.get("/ffws/v1/verify", auth=("admin", "wrong"))
    missing, unauthorised = journal(client)
    assert (missing["status"], missing["reason"]) == (404, "No user found with that username.")
    assert (unauthorised["status"], unauthorised["reason"], unauthorised["user"]) == (401, "Unauthorized", None)


def test_attachment_content_is_replaced_by_its_size_and_sha256(client):
    document = pdf_bytes(2, label="Confidential")
    schedule(client, schedule_body(attachments=[attachment(document, "application/pdf", "c.pdf")]))
    (entry,) = journal(client, method="POST")
    summary = f"<content>[{len(document)} bytes, sha256 {hashlib.sha256(document).hexdigest()}]</content>"
    assert summary in entry["request_body"]
    assert base64.b64encode(document).decode()[:40] not in entry["request_body"]
    assert "<fax_number>218-555-3335</fax_number>" in entry["request_body"]
    assert entry["request_size"] > len(document)


def test_passwords_and_credentials_never_appear_in_the_journal(client):
    create_user(client, "carol", PASSWORD)
    client.put("/ffws/v1/users/carol", f"<user><password>{PASSWORD}-2</password></user>")
    client.get("/ffws/v1/verify", auth=("carol", f"{PASSWORD}-2"))
    client.get("/ffws/v1/verify", auth=("carol", PASSWORD))  # the old one: refused
    client.put("/ffws/v1/t37_settings", f"<t37_settings><password>{PASSWORD}</password></t37_settings>")
    raw = client.get(JOURNAL).text
    assert len(json.loads(raw)["entries"]) == 5
    assert raw.count("[redacted]") == 3
    for secret in (PASSWORD, "carol:", "admin:admin"):
        assert secret not in raw
    for user, password in (("carol", PASSWORD), ("carol", f"{PASSWORD}-2"), ADMIN):
        assert base64.b64encode(f"{user}:{password}".encode()).decode() not in raw
    assert "Basic " not in raw and "authorization" not in raw.lower()


def test_filters_and_limit_give_the_last_matching_exchanges_oldest_first(client):
    for n in range(3):
        client.get(f"/ffws/v1/contacts/admin/{n + 1}")  # 404
        client.get("/ffws/v1/verify")
    client.post(OFAX, "<schedule_fax/>")  # 400
    assert [e["id"] for e in journal(client)] == [1, 2, 3, 4, 5, 6, 7]
    assert [e["id"] for e in journal(client, limit=2)] == [6, 7]
    assert [e["path"] for e in journal(client, status=404, limit=2)] == [
        "/ffws/v1/contacts/admin/2",
        "/ffws/v1/contacts/admin/3",
    ]
    assert [e["id"] for e in journal(client, method="post")] == [7]
    assert [e["id"] for e in journal(client, path="/ffws/v1/contacts/*")] == [1, 3, 5]
    assert [e["id"] for e in journal(client, path="/ffws/v1/verify", method="GET", status=200)] == [2, 4, 6]
    assert journal(client, method="DELETE") == []


def test_bad_limit_is_refused(client):
    client.get("/ffws/v1/verify")
    response = client.get(JOURNAL, params={"limit": 0})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid limit: Input should be greater than or equal to 1"}


@pytest.mark.parametrize("settings_overrides", [{"journal_size": 3}])
def test_the_ring_keeps_the_last_n(client):
    for n in range(5):
        client.get("/ffws/v1/verify", params={"n": n})
    assert [e["query"] for e in journal(client)] == ["n=2", "n=3", "n=4"]
    assert [e["id"] for e in journal(client)] == [3, 4, 5]


def test_delete_clears_and_control_calls_are_not_journaled(client):
    client.get("/ffws/v1/verify")
    client.post("/_emulator/clock/advance", json={"seconds": 5})
    client.get("/_emulator/faults")
    assert [e["path"] for e in journal(client)] == ["/ffws/v1/verify"]
    response = client.delete(JOURNAL)
    assert response.status_code == 200
    assert response.json() == {"status": "cleared"}
    assert journal(client) == []
    client.get("/ffws/v1/verify")
    (entry,) = journal(client)
    assert (entry["id"], entry["time"]) == (1, "2026-01-01T00:00:05")


def test_a_password_cut_by_the_truncation_of_a_long_body_is_still_hidden(client):
    padding = " " * (KEEP_BODY - 30)
    client.put("/ffws/v1/users/admin", f"<user>{padding}<password>{PASSWORD}</password></user>")
    (entry,) = journal(client)
    assert entry["request_truncated"] is True
    whole = client.get(f"{JOURNAL}/{entry['id']}").json()
    assert whole["request_body"].endswith("<password>[redacted]</password></user>")  # the tree as parsed up to the cut
    assert PASSWORD[:4] not in client.get(JOURNAL).text + client.get(f"{JOURNAL}/{entry['id']}").text
