"""Delivery over TLS: STARTTLS (``?starttls=true``, here to a server that requires it) and implicit TLS
(``smtps://``), the server's certificate verified (against SSL_CERT_FILE here: a self-signed certificate of the
test's own)."""

from __future__ import annotations

import ssl

import httpx
import pytest

from emulator.tls import self_signed
from tests.conftest import real_server
from tests.mail.sink import SmtpSink, wait_until
from tests.mail.test_delivery import tried


def give_admin_an_address(box) -> None:  # noqa: ANN001
    body = "<user><email_address>desk@example.com</email_address></user>"
    assert httpx.put(f"{box.url}/users/admin", content=body, auth=box.auth).status_code == 200


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_delivery_over_tls(tmp_path, monkeypatch, mode):
    cert, key = self_signed(tmp_path / "tls", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if mode == "starttls":
        sink = SmtpSink(tls_context=context, require_starttls=True)
        url = f"smtp://127.0.0.1:{sink.port}?starttls=true"
    else:
        sink = SmtpSink(ssl_context=context)
        url = f"smtps://127.0.0.1:{sink.port}"
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the only authority the client trusts here
    sink.start()
    server = real_server(tmp_path / "box", smtp_url=url)
    server.start()
    box = server.handle()
    try:
        box.inbound(remote_id="SUPPLIER", pages=1)
        box._control("PUT", "/mail", json={"email_fax_details": False})
        give_admin_an_address(box)
        box.advance(600)
        [delivered] = wait_until(sink.messages, what=f"the delivery over {mode}")
        assert delivered["Subject"] == "Fax from SUPPLIER to Administrator"
        # (the server has the mail before the box has its answer: the state follows)
        wait_until(lambda: [m["state"] for m in box.outbox()] == ["delivered"], what="the delivered state")
    finally:
        box.close()
        server.stop()
        sink.stop()


def test_an_untrusted_certificate_is_not_trusted(tmp_path):
    cert, key = self_signed(tmp_path / "tls", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = SmtpSink(ssl_context=context).start()
    server = real_server(tmp_path / "box", smtp_url=f"smtps://127.0.0.1:{sink.port}")
    server.start()
    box = server.handle()
    try:
        give_admin_an_address(box)
        box.inbound(remote_id="SUPPLIER", pages=1)
        box.advance(600)
        [mail] = wait_until(lambda: [m for m in box.outbox() if tried(m)], what="a refused handshake")
        assert mail["state"] == "queued" and "CERTIFICATE_VERIFY_FAILED" in mail["last_error"]
        assert sink.messages() == []
    finally:
        box.close()
        server.stop()
        sink.stop()
