"""Journal reads are paged (issue 10, finding 10): a list answer holds at most LIST_LIMIT entries with bodies cut at
LIST_BODY characters, ``before`` walks to older entries, and one entry by its id comes whole."""

from __future__ import annotations

import pytest

from emulator.journal import KEEP_BODY, LIST_BODY, LIST_LIMIT

JOURNAL = "/_emulator/journal"


def page(client, **params: object) -> dict:  # noqa: ANN001
    response = client.get(JOURNAL, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_walk_back_through_every_matching_entry_once(client):
    for n in range(7):
        client.get("/ffws/v1/verify", params={"n": n})
        client.get(f"/ffws/v1/contacts/admin/{n + 1}")  # 404
    first = page(client, status=404, limit=3)
    assert [e["query"] for e in first["entries"]] == [""] * 3
    assert [e["path"][-1] for e in first["entries"]] == ["5", "6", "7"]
    assert first["next_before"] == first["entries"][0]["id"]
    second = page(client, status=404, limit=3, before=first["next_before"])
    assert [e["path"][-1] for e in second["entries"]] == ["2", "3", "4"]
    third = page(client, status=404, limit=3, before=second["next_before"])
    assert [e["path"][-1] for e in third["entries"]] == ["1"]
    assert "next_before" not in third  # the last page: the answer an unpaged journal gave
    everything = page(client)
    assert [e["id"] for e in everything["entries"]] == list(range(1, 15))
    assert everything.keys() == {"entries"}


@pytest.mark.parametrize("settings_overrides", [{"journal_size": LIST_LIMIT + 5}])
def test_limit_is_capped(client):
    for n in range(LIST_LIMIT + 3):
        client.get("/ffws/v1/verify", params={"n": n})
    for params in ({}, {"limit": LIST_LIMIT + 1}, {"limit": 10**9}):
        answer = page(client, **params)
        assert len(answer["entries"]) == LIST_LIMIT
        assert answer["entries"][-1]["query"] == f"n={LIST_LIMIT + 2}"
        assert answer["next_before"] == 4
    assert [e["id"] for e in page(client, before=4)["entries"]] == [1, 2, 3]


def test_list_bodies_are_cut_and_an_entry_by_id_is_whole(client):
    padding = "x" * (3 * LIST_BODY)
    response = client.put("/ffws/v1/users/admin", f"<user><name>{padding}</name></user>")
    assert response.status_code == 400  # a name over 255 characters; the body is what matters here
    client.get("/ffws/v1/verify")
    big, small = page(client)["entries"]
    assert len(big["request_body"]) == LIST_BODY and big["request_body_cut"] is True
    assert big["request_body"] == f"<user><name>{padding}"[:LIST_BODY]
    assert small["request_body_cut"] is False and small["response_body_cut"] is False
    whole = client.get(f"{JOURNAL}/{big['id']}").json()
    assert whole["request_body"] == f"<user><name>{padding}</name></user>"
    assert "request_body_cut" not in whole
    assert {k: v for k, v in whole.items() if k not in ("request_body",)} == {
        k: v for k, v in big.items() if k not in ("request_body", "request_body_cut", "response_body_cut")
    }


def test_a_full_journal_of_large_bodies_answers_a_bounded_list(client):
    body = f"<user><name>{'y' * (KEEP_BODY + 100)}</name></user>"
    for _ in range(40):
        client.put("/ffws/v1/users/admin", body)
    answer = client.get(JOURNAL)
    assert len(answer.json()["entries"]) == 40
    assert len(answer.content) < 40 * (2 * LIST_BODY + 1000)  # unpaged: 40 × 256 KiB, over 10 MB
    assert len(client.get(f"{JOURNAL}/1").json()["request_body"]) == KEEP_BODY


def test_an_unknown_or_cleared_entry_is_404_and_a_bad_id_400(client):
    client.get("/ffws/v1/verify")
    assert client.get(f"{JOURNAL}/1").status_code == 200
    missing = client.get(f"{JOURNAL}/2")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no journal entry 2 (never recorded, cleared, or no longer kept)"}
    client.delete(JOURNAL)
    assert client.get(f"{JOURNAL}/1").status_code == 404
    assert client.get(f"{JOURNAL}/x").status_code == 400
    assert client.get(JOURNAL, params={"before": 0}).status_code == 400


def test_the_control_openapi_documents_the_paging(client):
    schema = client.get("/_emulator/openapi.json", auth=None).json()
    listed = schema["paths"]["/_emulator/journal"]["get"]
    params = {p["name"]: p for p in listed["parameters"]}
    assert {"limit", "before", "method", "path", "status"} <= params.keys()
    assert str(LIST_LIMIT) in params["limit"]["description"]
    one = schema["paths"]["/_emulator/journal/{entry_id}"]["get"]
    assert "404" in one["responses"]
