"""The control plane's OpenAPI describes what it really answers (regressions found by `make fuzz`/schemathesis)."""

import pytest


def test_openapi_documents_400_and_401_and_never_422(client):
    schema = client.get("/_emulator/openapi.json", auth=None).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 15
    for operation in operations:
        assert "422" not in operation["responses"]
        assert {"400", "401"} <= set(operation["responses"])
    assert "404" in schema["paths"]["/_emulator/faults/{fault_id}"]["delete"]["responses"]
    assert schema["paths"].keys() == {p for p in schema["paths"] if p.startswith("/_emulator/")}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/_emulator/clock/advance"), ("POST", "/_emulator/faults"), ("POST", "/_emulator/inbound"),
     ("PUT", "/_emulator/clock"), ("POST", "/_emulator/state/import")],
)  # fmt: skip
def test_a_missing_json_body_is_a_clear_400(client, method, path):
    response = client.request(method, path, auth=None)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid body: a JSON document is required"}


def test_unknown_fault_id_is_404_and_a_bad_one_400(client):
    assert client.delete("/_emulator/faults/7", auth=None).status_code == 404
    assert client.delete("/_emulator/faults/x", auth=None).status_code == 400
