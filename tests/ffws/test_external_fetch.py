"""External attachments are fetched only where the client asked and it is safe: one deadline for the whole fetch,
http and https only, every redirect checked again, never the emulator itself (its listeners, its control plane),
hosts as the allow- and deny-lists say. The device answer only says the attachment could not be fetched; the
journal says why. Every server here listens on 127.0.0.1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest

from tests.conftest import assert_error, box_state
from tests.ffws.clients import document_server, external, http_server, pdf_bytes, schedule_body
from tests.process import ServerProcess

OFAX = "/ffws/v1/ofax"
REFUSED = "scheduling failed: could not fetch attachment r.pdf"
PDF = pdf_bytes(1)


def redirecting_to(target: str) -> type[BaseHTTPRequestHandler]:
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Redirect


class Dribble(BaseHTTPRequestHandler):
    """Answers at once, then one byte at a time, slower than any deadline here allows in total."""

    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(PDF)))
        self.end_headers()
        for byte in PDF[:40]:
            if self.stop.wait(0.1):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


def refused_with(client, url: str) -> str:  # noqa: ANN001
    """Schedule a fax of one external attachment: refused, nothing written; why, as the journal has it."""
    before = box_state(client.box)
    assert_error(client.post(OFAX, schedule_body(attachments=[external(url, name="r.pdf")])), 400, REFUSED)
    assert box_state(client.box) == before
    return client.get("/_emulator/journal").json()["entries"][-1]["attachments"][-1]["fetch_error"]


@pytest.mark.parametrize("settings_overrides", [{"external_timeout": 1.0}])
def test_one_deadline_for_the_whole_fetch_even_when_bytes_keep_coming(client):
    Dribble.stop.clear()
    with http_server(Dribble) as base:
        try:
            assert refused_with(client, f"{base}/slow.pdf") == f"{base}/slow.pdf: no complete answer within 1 s"
        finally:
            Dribble.stop.set()


def test_only_http_and_https(client):
    assert "only http and https" in refused_with(client, "file:///etc/passwd")


def test_the_control_plane_is_never_fetched_not_even_through_a_redirect(client):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as target:
        assert "control plane" in refused_with(client, f"{target}/_emulator/state/export")
        with http_server(redirecting_to(f"{target}/_emulator/state/export")) as base:
            assert "control plane" in refused_with(client, f"{base}/doc.pdf")


@pytest.mark.one_worker  # (the box's listening ports are patched on one worker's object)
def test_the_emulators_own_listeners_are_never_fetched(client, monkeypatch):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as base:
        port = int(base.rsplit(":", 1)[1])
        monkeypatch.setattr(client.box, "listening_ports", {port})  # as if the emulator listened there
        for url in (f"{base}/doc.pdf", f"http://localhost:{port}/doc.pdf"):
            assert refused_with(client, url).endswith("the emulator never fetches from its own listeners")


@pytest.mark.one_worker
@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "127.1", "localhost."])
def test_other_spellings_of_a_local_address_are_the_same_listener(client, monkeypatch, host):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as base:
        port = int(base.rsplit(":", 1)[1])
        monkeypatch.setattr(client.box, "listening_ports", {port})
        assert refused_with(client, f"http://{host}:{port}/doc.pdf").endswith("never fetches from its own listeners")


@pytest.mark.parametrize("path", ["/%5Femulator/state/export", "/ffws/../_emulator/state/export", "/_emulator"])
def test_the_control_plane_in_any_spelling_is_never_fetched(client, path):
    with document_server({}) as base:
        assert "control plane" in refused_with(client, f"{base}{path}")


@pytest.mark.parametrize("settings_overrides", [{"external_deny": "localhost, 127.0.0.0/8"}])
@pytest.mark.parametrize("host", ["localhost.", "LOCALHOST", "[::ffff:127.0.0.1]"])
def test_a_denied_host_in_another_spelling_is_still_denied(client, host):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as base:
        port = int(base.rsplit(":", 1)[1])
        assert "is denied" in refused_with(client, f"http://{host}:{port}/doc.pdf")


@pytest.mark.one_worker
def test_a_redirect_is_checked_again_at_every_hop(client, monkeypatch):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as target:
        monkeypatch.setattr(client.box, "listening_ports", {int(target.rsplit(":", 1)[1])})
        with http_server(redirecting_to(f"{target}/doc.pdf")) as base:
            assert refused_with(client, f"{base}/r.pdf").endswith("never fetches from its own listeners")


@pytest.mark.parametrize("settings_overrides", [{"external_deny": "10.0.0.0/8, 127.0.0.1"}])
def test_a_denied_host_is_not_fetched(client):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as base:
        assert "is denied" in refused_with(client, f"{base}/doc.pdf")


@pytest.mark.parametrize("settings_overrides", [{"external_allow": "files.example.invalid, .example.org"}])
def test_only_allowed_hosts_are_fetched(client):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as base:
        assert "is not allowed" in refused_with(client, f"{base}/doc.pdf")


@pytest.mark.parametrize("settings_overrides", [{"external_allow": "127.0.0.0/8"}])
def test_an_allowed_network_is_fetched(client):
    with document_server({"/doc.pdf": (PDF, "application/pdf")}) as base:
        body = schedule_body(attachments=[external(f"{base}/doc.pdf", name="r.pdf")])
        assert client.post(OFAX, body).status_code == 201


def test_a_real_server_never_fetches_itself(tmp_path):
    server = ServerProcess(tmp_path / "data", "--manual-clock").start()
    try:
        own = f"{server.base_url}/ffws/v1/data/cover_pages/default.pdf"
        with server.client(auth=("admin", "admin")) as http:
            answer = http.post(OFAX, content=schedule_body(attachments=[external(own, name="r.pdf")]))
            assert answer.status_code == 400
            assert REFUSED.encode() in answer.content
            journal = http.get("/_emulator/journal").json()["entries"][-1]["attachments"][-1]
            assert journal["fetch_error"].endswith("the emulator never fetches from its own listeners")
    finally:
        server.kill()
