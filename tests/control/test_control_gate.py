"""The control plane's gate (issue 10, finding 5): with a token set, a caller without it gets 401 before one byte of
its body is read; every control body over its cap gets 413 while it is read and is never parsed; the snapshot import
has its own, larger cap. The proofs call the ASGI app with a ``receive`` that counts what was taken from it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from emulator.control.gate import ControlGate
from emulator.settings import Settings
from tests.conftest import box_state
from tests.control.test_token import CALLS, GOOD, IDS, REFUSED, TOKEN

SMALL = {"control_token": TOKEN, "control_max_body": 1024, "snapshot_max_body": 4096}
CONTROL_413 = {"error": "request body too large: the limit is 1024 bytes (FFEMU_CONTROL_MAX_BODY)"}
SNAPSHOT_413 = {"error": "request body too large: the limit is 4096 bytes (FFEMU_SNAPSHOT_MAX_BODY)"}
BODY_ROUTES = [("POST", "/_emulator/faults"), ("PUT", "/_emulator/clock"), ("POST", "/_emulator/clock/advance"),
               ("POST", "/_emulator/inbound"), ("POST", "/_emulator/reset")]  # fmt: skip


class Endless:
    """An ASGI receive whose body goes on and on (1 KiB of JSON-ish bytes per message), counting what was taken.
    It does end after 64 KiB, so that a broken gate fails the test instead of reading forever."""

    def __init__(self) -> None:
        self.taken = 0

    async def __call__(self) -> dict:
        self.taken += 1
        return {"type": "http.request", "body": b"[" * 1024, "more_body": self.taken < 64}


def call(app, method: str, path: str, headers: dict[str, str], receive) -> tuple[int, dict, dict]:  # noqa: ANN001
    """One exchange straight through the ASGI app: (status, headers, JSON body)."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("faxfinder.test", 80), "client": ("127.0.0.1", 40000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "faxfinder.test", **headers}.items()],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(body)


# -- the token comes before the body ---------------------------------------------------------------------------------
@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
@pytest.mark.parametrize(("method", "path", "body"), CALLS, ids=IDS)
def test_without_the_token_not_one_byte_of_the_body_is_read(client, method, path, body):
    before = box_state(client.box)
    for headers in ({}, {"X-Emulator-Token": "wrong"}):
        endless = Endless()
        declared = {"content-length": str(200 * 1024 * 1024), **headers}
        status, response_headers, answer = call(client.app, method, path, declared, endless)
        assert (status, answer) == (401, REFUSED)
        assert response_headers["content-type"] == "application/json"
        assert response_headers["connection"] == "close"  # the unread body goes with the connection
        assert endless.taken == 0
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
def test_a_never_ending_streamed_body_without_the_token_is_401_unread(client):
    endless = Endless()
    status, _, answer = call(client.app, "POST", "/_emulator/state/import", {"transfer-encoding": "chunked"}, endless)
    assert (status, answer, endless.taken) == (401, REFUSED, 0)


@pytest.mark.parametrize("settings_overrides", [SMALL])
def test_the_token_is_checked_before_the_size(client):
    status, _, answer = call(client.app, "POST", "/_emulator/faults", {"content-length": "999999"}, Endless())
    assert (status, answer) == (401, REFUSED)


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
def test_unknown_control_paths_need_the_token_too(client):
    response = client.get("/_emulator/nothing-here")
    assert (response.status_code, response.json()) == (401, REFUSED)  # nothing to learn of the paths without it
    response = client.get("/_emulator/nothing-here", headers=GOOD)
    assert (response.status_code, response.json()) == (404, {"error": "Not Found"})


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
def test_the_api_description_stays_readable_without_the_token(client):
    assert client.get("/_emulator/openapi.json").json()["info"]["title"] == "faxfinder-emulator control plane"
    assert client.get("/_emulator/docs").status_code == 200
    response = client.post("/_emulator/openapi.json", json={})
    assert (response.status_code, response.json()) == (401, REFUSED)  # only reading it is open


# -- every body has a cap ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings_overrides", [SMALL])
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_a_declared_body_over_the_cap_is_413_before_it_is_read(client, method, path):
    before = box_state(client.box)
    endless = Endless()
    status, headers, answer = call(client.app, method, path, {**GOOD, "content-length": "1025"}, endless)
    assert (status, answer, endless.taken) == (413, CONTROL_413, 0)
    assert headers["connection"] == "close"
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [SMALL])
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_cap(client, method, path):
    before = box_state(client.box)
    endless = Endless()
    status, _, answer = call(client.app, method, path, GOOD, endless)
    assert (status, answer) == (413, CONTROL_413)
    assert endless.taken == 2  # 1,024 bytes fit, the next kibibyte passes the cap: no more is read
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [SMALL])
def test_a_body_over_the_cap_is_never_parsed(client):
    # Not JSON at all: parsed, it would be a 400; over the cap, it is a 413 without being looked at.
    response = client.post("/_emulator/faults", b"{" * 2000, headers={**GOOD, "content-type": "application/json"})
    assert (response.status_code, response.json()) == (413, CONTROL_413)
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("settings_overrides", [SMALL])
def test_a_chunked_upload_through_a_client_is_capped_while_read(client):
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        while pulled < 128:  # 64 KiB: the cap stops it long before (a bound for a broken gate)
            pulled += 1
            yield b" " * 512

    response = client.post("/_emulator/clock/advance", chunks(), headers=GOOD)
    assert (response.status_code, response.json()) == (413, CONTROL_413)
    assert pulled == 3


@pytest.mark.parametrize("settings_overrides", [SMALL])
def test_a_body_within_the_cap_is_served(client):
    response = client.post("/_emulator/clock/advance", json={"seconds": 60, "pad": " " * 900}, headers=GOOD)
    assert response.status_code == 200, response.text
    assert response.json()["now"].endswith("00:01:00")


# -- the snapshot import has its own cap ----------------------------------------------------------------------------
@pytest.mark.parametrize("settings_overrides", [SMALL])
def test_the_snapshot_import_has_its_own_larger_cap(client):
    before = box_state(client.box)
    within = json.dumps({"format": 0, "pad": " " * 3000}).encode()  # over the control cap, within the import's
    assert 1024 < len(within) <= 4096
    response = client.post("/_emulator/state/import", within, headers={**GOOD, "content-type": "application/json"})
    assert response.status_code == 400, response.text  # read, parsed and judged by the snapshot's own rules
    assert response.json()["error"].startswith("not a snapshot of format")
    over = json.dumps({"format": 1, "pad": " " * 5000}).encode()
    response = client.post("/_emulator/state/import", over, headers={**GOOD, "content-type": "application/json"})
    assert (response.status_code, response.json()) == (413, SNAPSHOT_413)
    endless = Endless()
    status, _, answer = call(client.app, "POST", "/_emulator/state/import", GOOD, endless)
    assert (status, answer, endless.taken) == (413, SNAPSHOT_413, 5)
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [SMALL])
def test_only_posting_a_snapshot_gets_the_larger_cap(client):
    response = client.put("/_emulator/state/import", b" " * 2000, headers=GOOD)
    assert (response.status_code, response.json()) == (413, CONTROL_413)


def test_the_default_caps_are_documented_and_device_like(client):
    fields = Settings.model_fields
    assert fields["control_max_body"].default == client.box.profile.max_request_bytes == 36 * 1024 * 1024
    assert fields["snapshot_max_body"].default == 256 * 1024 * 1024
    for name in ("control_max_body", "snapshot_max_body"):
        assert "413" in (fields[name].description or "")


@pytest.mark.one_worker  # (it looks at the app's middleware)
def test_the_gate_guards_the_whole_control_surface(client):
    from emulator import catalogue

    assert ControlGate in [m.cls for m in client.app.user_middleware]
    assert all(e.path.startswith("/_emulator/") for e in catalogue.control.endpoints)
    assert ("POST", "/_emulator/state/import") in {(e.method, e.path) for e in catalogue.control.endpoints}


def test_the_openapi_documents_the_413_of_every_operation(client):
    schema = client.get("/_emulator/openapi.json", auth=None).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["413"]["content"]["application/json"], (method, path)
