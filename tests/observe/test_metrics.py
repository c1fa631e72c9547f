"""GET /_emulator/metrics in the Prometheus text format, and readiness beside health."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.ffws.clients import advance, fax_to, schedule


def _samples(client) -> dict[tuple[str, tuple], float]:  # noqa: ANN001
    response = client.get("/_emulator/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_template_method_and_status(client):
    before = _samples(client)
    client.get("/ffws/v1/ofax/00000001")
    client.get("/ffws/v1/ofax/00000002")
    client.get("/ffws/v1/verify", auth=("admin", "nope"))
    client.get("/ffws/v1/no-such-thing")
    after = _samples(client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    route = "/ffws/v1/ofax/{faxkey}"
    assert delta("ffemu_http_requests_total", route=route, method="GET", status="404") == 2
    assert delta("ffemu_http_requests_total", route="/ffws/v1/verify", method="GET", status="401") == 1
    assert delta("ffemu_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert delta("ffemu_http_request_duration_seconds_count", route=route) == 2


def test_a_method_no_server_knows_is_counted_as_other(client):
    before = _samples(client)
    for method in ("FOO", "BAR", "BAZ"):
        client.request(method, "/ffws/v1/verify")
    after = _samples(client)
    assert not any(dict(labels).get("method") in ("FOO", "BAR", "BAZ") for _name, labels in after)
    other = [(name, labels) for name, labels in after if dict(labels).get("method") == "OTHER"]
    assert other and sum(after[key] - before.get(key, 0) for key in other) == 3


def test_faxes_by_final_state_queue_depth_busy_lines_and_conversions(client):
    before = _samples(client)
    schedule(client, fax_to("218-555-1111"))
    schedule(client, fax_to("218-555-0006"))  # dead
    schedule(client, fax_to("218-555-0009", pages=3))  # slow: still sending after 60 s
    advance(client, 60)
    during = _samples(client)
    assert _value(during, "ffemu_lines_busy") == 1
    assert _value(during, "ffemu_lines") == 2
    assert _value(during, "ffemu_queue_depth", state="sending") == 1
    assert _value(during, "ffemu_conversion_seconds_count") - _value(before, "ffemu_conversion_seconds_count") == 3
    advance(client, 3600)
    after = _samples(client)
    assert _value(after, "ffemu_faxes_total", state="sent") - _value(before, "ffemu_faxes_total", state="sent") == 2
    assert _value(after, "ffemu_faxes_total", state="dead") - _value(before, "ffemu_faxes_total", state="dead") == 1
    assert _value(after, "ffemu_queue_depth", state="sending") == 0
    assert _value(after, "ffemu_lines_busy") == 0


def test_received_faxes_are_counted_by_result(client):
    before = _value(_samples(client), "ffemu_inbound_faxes_total", result="partial")
    client.post("/_emulator/inbound", json={"pages": 4, "outcome": "partial"})
    advance(client, 600)
    assert _value(_samples(client), "ffemu_inbound_faxes_total", result="partial") == before + 1


def test_readiness_names_what_it_checked(client):
    response = client.get("/_emulator/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"started": True, "database": True, "queue": True, "documents": True},
    }


def test_not_ready_is_503_with_the_failing_checks(fresh_client):
    fresh_client.box.works.pending = lambda: None  # documents of a replaced state not in place yet
    response = fresh_client.get("/_emulator/readyz")
    assert response.status_code == 503
    assert response.json()["error"] == "not ready: documents"
    assert response.json()["checks"]["documents"] is False
