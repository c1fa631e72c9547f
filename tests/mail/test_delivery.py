"""Delivery to a real SMTP server (aiosmtpd on 127.0.0.1) with --smtp-url: a receipt of a failed fax and a received
fax arrive with their PDF; a server that is down is tried again with back-off in emulated time (the manual clock
drives it: no sleeps for the queue, only bounded polling for the real SMTP exchange) and nothing is lost; a refusal
is final until the queue is flushed; the password of the URL appears nowhere but in the SMTP login."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from aiosmtpd.smtp import AuthResult

from emulator.testing.server import EmulatorHandle, EmulatorServer
from tests.conftest import real_server
from tests.ffws.clients import element, party, pdf_attachment, pdf_bytes, recipient, schedule_body
from tests.mail.sink import SmtpSink, wait_until

PASSWORD = "pa55-w0rd-never-shown"
LOGINS: list[tuple[bytes, bytes]] = []


def _login(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    LOGINS.append((auth_data.login, auth_data.password))
    return AuthResult(success=auth_data.password == PASSWORD.encode())


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    running = SmtpSink(auth_require_tls=False, authenticator=_login).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[EmulatorServer]:
    url = f"smtp://mailer:{PASSWORD}@127.0.0.1:{sink.port}"
    running = real_server(tmp_path_factory.mktemp("delivery"), smtp_url=url)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def box(server: EmulatorServer, sink: SmtpSink) -> Iterator[EmulatorHandle]:
    handle = server.handle()
    handle.reset()
    if not sink._controller:  # a test that stopped it failed half-way
        sink.start()
    sink.refuse_rcpt = ""
    with sink.lock:
        sink.received.clear()
    yield handle
    handle.close()


def send_fax(box: EmulatorHandle, number: str, receipt: str = "always", attachment: str = "pdf") -> str:
    sender = element("sender", party(name="Sender Name", email_address="sender@example.com"))
    body = schedule_body(
        sender,
        recipients=[recipient(number, name="Accounts")],
        attachments=[pdf_attachment(2)],
        receipt=receipt,
        receipt_attachment=attachment,
        try_interval=30,
    )
    response = httpx.post(f"{box.url}/ofax", content=body, auth=box.auth)
    assert response.status_code == 201, response.text
    return response.text.split("<fax_entry_url>")[1].split("</fax_entry_url>")[0]


def mail_state(box: EmulatorHandle, mail_id: int) -> dict:
    return next(mail for mail in box.outbox() if mail["id"] == mail_id)


def tried(mail: dict, times: int = 1) -> bool:
    """At least ``times`` tries, the last one over (a try counts from the moment it starts: ``sending``)."""
    return mail["attempts"] >= times and mail["state"] != "sending"


def test_the_receipt_of_a_failed_fax_arrives_with_its_pdf(box, sink):
    entry_url = send_fax(box, "218-555-0001")
    assert box.wait_for_state(entry_url, step=60) == "failed"
    [delivered] = wait_until(sink.messages, what="the receipt's delivery")
    assert delivered["Subject"] == "Fax to Accounts (218-555-0001) failed"
    assert delivered["To"] == "Sender Name <sender@example.com>"
    [pdf] = list(delivered.iter_attachments())
    key = entry_url.split("/ofax/")[1].replace("/", "-")
    assert pdf.get_content() == httpx.get(f"{box.url}/data/preview/{key}.pdf", auth=box.auth).content
    [mail] = wait_until(lambda: [m for m in box.outbox() if m["state"] == "delivered"], what="the delivered state")
    assert mail["attempts"] == 1 and mail["delivered"] and mail["last_error"] == ""
    assert sink.received[0][0] == "faxfinder@localhost" and sink.received[0][1] == ["sender@example.com"]
    assert (b"mailer", PASSWORD.encode()) in LOGINS  # the URL's user and password log in, and nothing else


def test_a_received_fax_arrives_with_its_pdf(box, sink):
    body = "<user><email_address>frontdesk@example.com</email_address></user>"
    assert httpx.put(f"{box.url}/users/admin", content=body, auth=box.auth).status_code == 200
    document = pdf_bytes(2, "Received")
    fax = box.inbound(remote_id="SUPPLIER", document_base64=base64.b64encode(document).decode())
    box.advance(600)
    [delivered] = wait_until(sink.messages, what="the received fax's delivery")
    assert delivered["From"] == "Administrator <frontdesk@example.com>"
    assert delivered["Subject"] == "Fax from SUPPLIER to Administrator"
    [pdf] = list(delivered.iter_attachments())
    assert pdf.get_content() == httpx.get(f"{box.url}/data/inbound/{fax['id']}.pdf", auth=box.auth).content


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def not_due(box: EmulatorHandle, mail: dict) -> bool:
    return mail["state"] == "queued" and seconds_between(box.clock()["now"], mail["next_attempt"]) > 0


def a_turn_of_the_queue(box: EmulatorHandle, seconds: float) -> None:
    """Advance ``seconds`` (at least a minute) and wait for a mail that came due meanwhile to be tried: a received
    fax's, to the administrator. The queue's task tries what is due in the order it was queued, so once this one is
    tried, every mail due by then was tried too: what was not, was not due."""
    body = "<user><email_address>frontdesk@example.com</email_address></user>"
    assert httpx.put(f"{box.url}/users/admin", content=body, auth=box.auth).status_code == 200
    received = box.inbound(pages=1)  # (received within a minute: DIAL_SECONDS and one page)
    box.advance(seconds)
    wait_until(
        lambda: [m for m in box.outbox(kind="inbound") if m["inbound_id"] == received["id"] and tried(m)],
        what="the try of a mail due meanwhile",
    )


def test_tries_back_off_in_emulated_time(box, sink):
    sink.stop()
    send_fax(box, "218-555-0006")
    box.advance(600)
    # (tries may come while the advance runs: then the next one is due again, and is tried at once)
    [mail] = wait_until(lambda: [m for m in box.outbox() if tried(m) and not_due(box, m)], what="a try, none due")
    assert mail["last_error"]
    assert seconds_between(mail["last_attempt"], mail["next_attempt"]) == 60 * 2 ** (mail["attempts"] - 1)
    box.advance(seconds_between(box.clock()["now"], mail["next_attempt"]))  # exactly when it is due
    later = wait_until(lambda: tried(m := mail_state(box, mail["id"]), mail["attempts"] + 1) and m, what="a try")
    gap = seconds_between(later["last_attempt"], later["next_attempt"])
    assert later["state"] == "queued" and gap == 60 * 2 ** mail["attempts"] and gap >= 120
    assert later["last_attempt"] == box.clock()["now"]  # tried when due, under the manual clock
    a_turn_of_the_queue(box, gap - 1)  # a second short of its next try: not tried
    assert mail_state(box, mail["id"])["attempts"] == later["attempts"]
    box.advance(1)
    wait_until(lambda: tried(mail_state(box, mail["id"]), later["attempts"] + 1), what="the try when it is due")


def test_a_server_that_is_down_is_tried_again_and_nothing_is_lost(box, sink):
    sink.stop()
    for number in ("218-555-1234", "218-555-0006", "218-555-4321"):
        send_fax(box, number)
    box.advance(600)
    first = wait_until(
        lambda: (found := box.outbox()) and len(found) == 3 and all(tried(m) for m in found) and found,
        what="a first try of every mail",
    )
    assert {m["state"] for m in first} == {"queued"} and all(m["last_error"] for m in first)
    sink.start()
    box.advance(3600)  # past every back-off
    done = wait_until(
        lambda: (found := box.outbox()) and {m["state"] for m in found} == {"delivered"} and found,
        what="every delivery",
    )
    assert all(now["attempts"] > before["attempts"] for now, before in zip(done, first, strict=True))
    subjects = sorted(message["Subject"] for message in sink.messages())
    assert len(subjects) == 3 and subjects == sorted(m["subject"] for m in done)  # each once, none lost


def test_a_refusal_is_final_until_the_queue_is_flushed(box, sink):
    sink.refuse_rcpt = "550 5.1.1 no such mailbox"
    send_fax(box, "218-555-0006")
    box.advance(600)
    [mail] = wait_until(lambda: [m for m in box.outbox() if m["state"] == "failed"], what="the refusal")
    assert mail["attempts"] == 1 and mail["last_error"].startswith("550 5.1.1 no such mailbox")
    a_turn_of_the_queue(box, 7200)
    assert mail_state(box, mail["id"])["attempts"] == 1  # never tried again by itself
    sink.refuse_rcpt = ""
    flushed = httpx.post(f"{box.base_url}/_emulator/outbox/flush").json()
    assert flushed == {"status": "flushed", "mails": 2, "delivering": True}  # (with the turn's own, refused too)
    wait_until(lambda: mail_state(box, mail["id"])["state"] == "delivered", what="the delivery after a flush")
    assert mail_state(box, mail["id"])["attempts"] == 2
    wait_until(lambda: len(sink.messages()) == 2, what="both deliveries")
    assert sorted(m["Subject"] for m in sink.messages()) == ["Fax from Unknown to Administrator", mail["subject"]]


def test_the_password_is_never_shown(box, sink, caplog):
    caplog.set_level(logging.DEBUG)
    sink.stop()  # failed tries are logged: with the URL, never with its password
    send_fax(box, "218-555-0006")
    box.advance(600)
    wait_until(lambda: [m for m in box.outbox() if tried(m)], what="a failed try")
    view = httpx.get(f"{box.base_url}/_emulator/mail").json()
    assert view["smtp_url"] == f"smtp://mailer@127.0.0.1:{sink.port}"
    shown = [
        httpx.get(f"{box.base_url}/_emulator/mail").text,
        httpx.get(f"{box.base_url}/_emulator/outbox").text,
        httpx.get(f"{box.base_url}/_emulator/journal").text,
        httpx.get(f"{box.base_url}/_emulator/state/export").text,
        caplog.text,
    ]
    assert "mail 1 not delivered to smtp://mailer@127.0.0.1" in caplog.text
    assert all(PASSWORD not in text for text in shown)
