"""POST /_emulator/inbound: the control call that makes a fax arrive. Its JSON answer, its refusals (4xx JSON, nothing
written), and what it stores."""

from __future__ import annotations

import pytest

from tests.conftest import box_state
from tests.documents_builders import many_frames_tiff_bytes
from tests.ffws.clients import advance, b64, image_bytes, pdf_bytes

INBOUND = "/_emulator/inbound"


def refused(client, body, status: int, error: str, **kwargs) -> None:
    """The call is refused with a JSON error and leaves no row and no file behind."""
    before = box_state(client.box)
    response = client.post(INBOUND, json=body, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error}
    assert box_state(client.box) == before


def test_a_fax_arrives_on_the_first_free_line(client):
    response = client.post(INBOUND, json={"pages": 2, "remote_id": "R", "caller_id": "555-0100", "extension": "7"})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": 1, "line": 1, "busy": False, "call_id": None}
    second = client.post(INBOUND, json={})  # every field has a default: one page on the next free line
    assert second.json() == {"id": 2, "line": 2, "busy": False, "call_id": None}
    third = client.post(INBOUND, json={})
    assert (third.status_code, third.json()) == (201, {"id": None, "line": None, "busy": True, "call_id": 1})


def test_the_received_document_is_stored_and_the_upload_is_not_kept(client):
    client.post(INBOUND, json={"document_base64": b64(pdf_bytes(2))})
    client.post(INBOUND, json={"pages": 3, "outcome": "failure"})
    assert set(box_state(client.box).documents) == {"inbound/1.pdf"}  # a failed reception keeps no document
    advance(client, 600)
    assert set(box_state(client.box).documents) == {"inbound/1.pdf"}


def test_base64_may_be_wrapped_across_lines(client):
    encoded = b64(image_bytes("TIFF", frames=3))
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    answer = client.post(INBOUND, json={"document_base64": wrapped}).json()
    advance(client, 600)
    assert answer["busy"] is False
    assert "<pages>3</pages>" in client.get("/ffws/v1/inbound_log").text


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"document_base64": "not base64!"}, "document_base64 is not valid base64"),
        ({"document_base64": b64(b"hello, world")}, "document_base64: not a PDF or TIFF"),
        ({"document_base64": b64(image_bytes("PNG"))}, "document_base64: not a PDF or TIFF"),
        ({"document_base64": ""}, "document_base64: not a PDF or TIFF"),
        ({"pages": 0}, "invalid pages: Input should be greater than or equal to 1"),
        ({"pages": 1000}, "invalid pages: Input should be less than or equal to 999"),
        ({"pages": "many"}, "invalid pages: Input should be a valid integer, unable to parse string as an integer"),
        ({"line": 99}, "invalid line: Input should be less than or equal to 24"),
        ({"line": 0}, "invalid line: Input should be greater than or equal to 1"),
        ({"line": 3}, "line must be between 1 and 2"),
        ({"outcome": "maybe"}, "invalid outcome: Input should be 'success', 'failure' or 'partial'"),
        ({"remote_id": "R" * 21}, "invalid remote_id: String should have at most 20 characters"),
        ({"extension": "1" * 16}, "invalid extension: String should have at most 15 characters"),
    ],
)
def test_bad_input_is_400_and_nothing_is_written(client, body, error):
    refused(client, body, 400, error)


def test_a_body_that_is_not_json_is_refused(client):
    before = box_state(client.box)
    response = client.post(INBOUND, "{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid body: not valid JSON"
    assert box_state(client.box) == before


def test_a_broken_pdf_is_refused(client):
    before = box_state(client.box)
    response = client.post(INBOUND, json={"document_base64": b64(b"%PDF-1.4\n" + b"x" * 200)})
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("document_base64: ")
    assert box_state(client.box) == before


def test_a_bad_line_is_refused_before_the_document_is_read(client):
    refused(client, {"line": 3, "document_base64": b64(pdf_bytes(1))}, 400, "line must be between 1 and 2")


@pytest.mark.parametrize("settings_overrides", [{"control_token": "sesame"}])
def test_the_control_token_guards_inbound(client):
    refused(client, {"pages": 1}, 401, "missing or wrong X-Emulator-Token")
    refused(client, {"pages": 1}, 401, "missing or wrong X-Emulator-Token", headers={"x-emulator-token": "nope"})
    response = client.post(INBOUND, json={"pages": 1}, headers={"x-emulator-token": "sesame"})
    assert response.status_code == 201, response.text


def test_a_busy_call_writes_only_its_call_record(client):
    client.post(INBOUND, json={"line": 1})
    client.post(INBOUND, json={"line": 2})
    before = box_state(client.box)
    response = client.post(INBOUND, json={"line": 2, "caller_id": "555-0199"})
    assert response.json() == {"id": None, "line": 2, "busy": True, "call_id": 1}
    after = box_state(client.box)
    assert after.documents == before.documents
    changed = {name for name in after.rows if after.rows[name] != before.rows[name]}
    assert changed == {"calls"}


def test_a_received_tiff_over_the_frame_budget_is_refused(client):
    body = {"document_base64": b64(many_frames_tiff_bytes(100_000))}
    refused(client, body, 400, "document_base64: TIFF has more than 500 frames")


@pytest.mark.parametrize("settings_overrides", [{"max_fax_pages": 3}])
def test_a_received_fax_may_have_as_many_pages_as_a_fax_the_box_sends(client):
    refused(client, {"document_base64": b64(pdf_bytes(4))}, 400, "document_base64: more than 3 pages")
    response = client.post(INBOUND, json={"document_base64": b64(pdf_bytes(3))})
    assert response.status_code == 201, response.text
