"""``faxfinder-emulator serve`` with mail: the fax-by-e-mail listener bound on --host next to HTTP, started and
stopped with the server; delivery announced without its password; a listening port in use is one clear line."""

from __future__ import annotations

import re
import signal
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult

from tests.ffws.clients import pdf_bytes
from tests.mail.sink import SmtpSink, wait_until
from tests.process import CHEAP, ServerProcess

SECRET = "s3cret-pass"


def _login(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    return AuthResult(success=auth_data.password == SECRET.encode())


@pytest.fixture
def sink():
    running = SmtpSink(auth_require_tls=False, authenticator=_login).start()
    yield running
    running.stop()


def test_serve_listens_for_faxes_by_mail_and_delivers(tmp_path, sink):
    smtp_url = f"smtp://mailer:{SECRET}@127.0.0.1:{sink.port}"
    server = ServerProcess(tmp_path / "data", "--manual-clock", "--smtp-listen-port", "0", "--smtp-url", smtp_url)
    server.start()
    try:
        announced = "".join(server.output)
        port = int(re.search(r"smtp://127\.0\.0\.1:(\d+) \(fax by e-mail\)", announced).group(1))
        assert f"mail delivered to smtp://mailer@127.0.0.1:{sink.port}" in announced
        with server.client(auth=("admin", "admin")) as http:
            body = "<user><email_address>me@example.com</email_address><receipt>always</receipt></user>"
            assert http.put("/ffws/v1/users/admin", content=body).status_code == 200
            letter = EmailMessage()
            letter["From"], letter["To"], letter["Subject"] = "me@example.com", "FAX=5551234@box", "Hello"
            letter.set_content("Comments")
            letter.add_attachment(pdf_bytes(1), maintype="application", subtype="pdf", filename="a.pdf")
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                assert smtp.send_message(letter) == {}
            assert http.post("/_emulator/clock/advance", json={"seconds": 600}).status_code == 200
            [receipt] = wait_until(sink.messages, what="the receipt's delivery")
            assert receipt["Subject"] == "Fax to 5551234 (5551234) sent"
            assert http.get("/ffws/v1/ofax/00000001/0000").text.count("<agent>T.37</agent>") == 1
    finally:
        assert server.stop(signal.SIGTERM) == 0
    output = "".join(server.output)
    assert SECRET not in output
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the listener stopped with the server


def test_a_listening_port_in_use_is_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "emulator", "serve", *CHEAP, "--port", "0", "--data-dir", str(tmp_path),
             "--smtp-listen-port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"faxfinder-emulator: cannot listen on 127.0.0.1:{port} (--smtp-listen-port): ")
    assert "Traceback" not in done.stderr
