"""The control token: with FFEMU_CONTROL_TOKEN set, every /_emulator call needs X-Emulator-Token; /ffws/v1 never."""

from __future__ import annotations

import pytest

from emulator import catalogue
from tests.conftest import box_state

TOKEN = "s3cret"
GOOD = {"X-Emulator-Token": TOKEN}
REFUSED = {"error": "missing or wrong X-Emulator-Token"}
BODIES = {
    "/faults": {"path": "/ffws/v1/verify", "status": 503},
    "/clock": {"manual": False},
    "/clock/advance": {"seconds": 60},
    "/inbound": {"pages": 1},
    "/state/import": {"format": 1},
}


def control_calls() -> list[tuple[str, str, dict | None]]:
    """Every control route of the catalogue, with a body that would be accepted where one is needed."""
    catalogue.load_all()
    calls = []
    for endpoint in catalogue.control.endpoints:
        suffix = endpoint.path.removeprefix("/_emulator")
        path = endpoint.path.replace("{fault_id}", "1")
        calls.append((endpoint.method, path, BODIES.get(suffix) if endpoint.method in ("POST", "PUT") else None))
    return calls


CALLS = control_calls()
IDS = [f"{method} {path}" for method, path, _ in CALLS]


def test_every_control_route_is_covered():
    assert len(CALLS) >= 15
    assert ("POST", "/_emulator/reset", None) in CALLS


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
@pytest.mark.parametrize(("method", "path", "body"), CALLS, ids=IDS)
def test_without_the_right_token_every_control_call_is_refused(client, method, path, body):
    client.get("/ffws/v1/verify")
    before = box_state(client.box)
    for headers in ({}, {"X-Emulator-Token": "wrong"}, {"X-Emulator-Token": ""}, {"X-Emulator-Token": TOKEN + "x"}):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.json() == REFUSED
    assert box_state(client.box) == before
    assert len(client.box.journal.entries()) == 1  # not cleared, not reset
    assert client.box.clock.manual is True


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
def test_a_bad_body_without_the_token_is_still_401(client):
    response = client.post("/_emulator/faults", json={"status": 200})
    assert (response.status_code, response.json()) == (401, REFUSED)


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
def test_with_the_token_the_control_plane_works(client):
    assert client.get("/_emulator/health", headers=GOOD).json()["status"] == "ok"
    response = client.post("/_emulator/faults", json=BODIES["/faults"], headers=GOOD)
    assert (response.status_code, response.json()) == (201, {"id": 1})
    assert client.get("/ffws/v1/verify").status_code == 503
    assert (
        client.post("/_emulator/clock/advance", json={"seconds": 60}, headers=GOOD).json()["now"].endswith("00:01:00")
    )
    assert client.post("/_emulator/reset", headers=GOOD).json() == {"status": "reset"}
    assert client.get("/_emulator/faults", headers=GOOD).json() == {"faults": []}


@pytest.mark.parametrize("settings_overrides", [{"control_token": TOKEN}])
def test_the_device_surface_ignores_the_token(client):
    assert client.get("/ffws/v1/verify").status_code == 200
    assert client.get("/ffws/v1/verify", headers={"X-Emulator-Token": "wrong"}).status_code == 200
    assert client.get("/ffws/v1/verify", auth=("admin", "nope")).status_code == 401  # its own rules still apply


def test_without_a_token_setting_the_control_plane_is_open(client):
    assert client.get("/_emulator/health").status_code == 200
    assert client.get("/_emulator/clock", headers={"X-Emulator-Token": "anything"}).status_code == 200
    assert client.post("/_emulator/reset").json() == {"status": "reset"}
