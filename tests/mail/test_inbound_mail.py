"""Received faxes by e-mail: a fax routed to a user, or to an e-mail destination of its route, is mailed From the
administrator, its Subject naming the sender's Remote ID and the recipient, as PDF or TIFF (Fax Output Format), split
into several mails above the Email Size Limit, with its details when Email Fax Details is on, and with a modem log
when its reception failed part-way."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import io

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from tests.conftest import FFClient
from tests.ffws.clients import advance, create_user, element, party, pdf_bytes
from tests.mail.fax_tiff import check_fax_tiff
from tests.mail.test_receipts import message, outbox

ROUTES = "/ffws/v1/inbound_routes"


def route(client: FFClient, *destinations: tuple[str, str], kind: str = "global", **fields: object) -> None:
    children = [element("destination", party(type=t, value=v)) for t, v in destinations]
    response = client.put(ROUTES, element("inbound_route", party(type=kind, **fields) + children))
    assert response.status_code == 200, response.text


def receive(client: FFClient, **fields: object) -> int:
    response = client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "caller_id": "2185550100", **fields})
    assert response.status_code == 201, response.text
    advance(client, 3600)
    return response.json()["id"]


def attachments(client: FFClient, mail_id: int) -> list[email.message.EmailMessage]:
    return list(message(client, mail_id).iter_attachments())


@pytest.fixture
def routed(client: FFClient) -> FFClient:
    create_user(client, "jane", email_address="jane@example.com")
    route(client, ("user", "jane"), ("email", "desk@example.com"), ("printer", "lobby"))
    return client


def test_a_fax_goes_to_each_user_and_address_of_its_route(routed):
    document = pdf_bytes(3, "Inbound")
    fax_id = receive(routed, document_base64=base64.b64encode(document).decode())
    mails = outbox(routed)
    assert [(m["to"], m["kind"], m["inbound_id"]) for m in mails] == [
        ("User jane <jane@example.com>", "inbound", fax_id),
        ("desk@example.com", "inbound", fax_id),
    ]
    jane = mails[0]
    assert jane["from"] == "Administrator <faxfinder@localhost>"
    assert jane["subject"] == "Fax from SUPPLIER to User jane"
    assert mails[1]["subject"] == "Fax from SUPPLIER to desk@example.com"
    [pdf] = attachments(routed, jane["id"])
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename().startswith(f"fax{fax_id}_2026") and pdf.get_filename().endswith(".pdf")
    stored = routed.get(f"/ffws/v1/data/inbound/{fax_id}.pdf").content
    assert pdf.get_content() == stored and len(PdfReader(io.BytesIO(stored)).pages) == 3


def test_details_are_in_the_text_when_email_fax_details_is_on(routed):
    receive(routed, pages=2, extension="", line=2)
    text = outbox(routed)[0]["text"]
    assert "Remote ID:    SUPPLIER" in text and "Caller ID:    2185550100" in text
    assert "Channel:      2" in text and "Pages:        2 of 2" in text and "Result:       success" in text
    changed = routed.put("/_emulator/mail", json={"email_fax_details": False})
    assert changed.status_code == 200 and changed.json()["email_fax_details"] is False
    receive(routed, pages=2)
    text = outbox(routed)[-1]["text"]
    assert "a fax from SUPPLIER has arrived (2 pages)" in text and "Remote ID:" not in text


def test_tiff_output_format(routed):
    assert routed.put("/_emulator/mail", json={"fax_output_format": "tiff"}).status_code == 200
    receive(routed, pages=3)
    [tiff] = attachments(routed, outbox(routed)[0]["id"])
    assert tiff.get_content_type() == "image/tiff" and tiff.get_filename().endswith(".tif")
    check_fax_tiff(tiff.get_content(), frames=3)


def dense_pdf(pages: int, lines: int = 60) -> bytes:
    """Pages of dense text (a few KB each, as a scan would be tens), so that a size limit in KB splits them."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    for page in range(pages):
        for line in range(lines):
            canvas.drawString(36, 750 - 12 * line, hashlib.sha256(f"{page}/{line}".encode()).hexdigest() * 2)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["pdf", "tiff"])
def test_a_fax_above_the_size_limit_is_split_into_several_mails(routed, fmt):
    assert routed.put("/_emulator/mail", json={"fax_output_format": fmt, "email_size_limit": 6}).status_code == 200
    document = dense_pdf(5, lines=30)  # pages of ~2.6 KB as PDF: two fit in 6 KB, but not once in base64
    assert len(document) > 10 * 1024
    receive(routed, document_base64=base64.b64encode(document).decode())
    jane = [m for m in outbox(routed) if m["to"].startswith("User jane")]
    assert len(jane) > 1
    parts = len(jane)
    assert [(m["part"], m["parts"]) for m in jane] == [(n, parts) for n in range(1, parts + 1)]
    assert [m["subject"] for m in jane] == [f"Fax from SUPPLIER to User jane (part {n} of {parts})" for n in
                                            range(1, parts + 1)]  # fmt: skip
    pages = 0
    for mail in jane:
        [attached] = attachments(routed, mail["id"])
        content = attached.get_content()
        count = len(PdfReader(io.BytesIO(content)).pages) if fmt == "pdf" else Image.open(io.BytesIO(content)).n_frames
        eml = routed.get(f"/_emulator/outbox/{mail['id']}.eml").content
        assert mail["size"] == len(eml)
        # The limit is the whole mail's (headers, text, base64), as a server's maximum message size counts it.
        assert len(eml) <= 6 * 1024 or count == 1, f"mail {mail['id']}: {len(eml)} bytes, {count} pages"
        pages += count
    assert pages == 5  # every page, once
    assert any(mail["size"] > 4 * 1024 for mail in jane)  # (the limit is used, not a much smaller one)


def test_no_limit_means_one_mail(routed):
    assert routed.put("/_emulator/mail", json={"email_size_limit": 0}).status_code == 200
    receive(routed, document_base64=base64.b64encode(pdf_bytes(5)).decode())
    assert [m["parts"] for m in outbox(routed)] == [1, 1]


def test_a_partial_reception_carries_the_modem_log(routed):
    receive(routed, pages=4, outcome="partial")
    jane = outbox(routed)[0]
    pdf, log = attachments(routed, jane["id"])
    assert pdf.get_content_type() == "application/pdf"
    assert log.get_content_type() == "text/plain"
    assert log.get_filename().startswith("modem0modem1_20260101-") and log.get_filename().endswith(".txt")
    text = log.get_content()
    assert "page 1 received" in text and "page 2 received" in text and "page 3" not in text
    assert "carrier lost after 2 of 4 pages" in text
    assert "partial" in jane["text"]


def test_a_failed_reception_is_not_mailed(routed):
    receive(routed, pages=3, outcome="failure")
    assert outbox(routed) == []


def test_with_no_route_the_admin_gets_it_and_without_an_address_it_fails_visibly(client):
    receive(client, pages=1)
    [mail] = outbox(client)
    assert mail["state"] == "failed" and mail["last_error"] == "not sent: no e-mail address for Administrator"
    assert mail["subject"] == "Fax from SUPPLIER to Administrator"


def test_a_route_by_extension_mails_its_own_users(client):
    create_user(client, "sales", email_address="sales@example.com")
    route(client, ("user", "sales"), kind="recipient", extension="42")
    receive(client, pages=1, extension="42", remote_id="")
    [mail] = outbox(client)
    assert mail["to"] == "User sales <sales@example.com>"
    assert mail["subject"] == "Fax from 2185550100 to User sales"  # no Remote ID: the caller's number


def test_mail_options_are_checked_and_reset(client):
    view = client.get("/_emulator/mail").json()
    assert view == {
        "fax_output_format": "pdf",
        "email_size_limit": 10240,
        "email_fax_details": True,
        "smtp_url": None,
        "smtp_listen_port": None,
        "outbox_size": 1000,
    }
    for bad in ({"fax_output_format": "gif"}, {"email_size_limit": -1}, {"email_fax_details": "maybe"}, [1]):
        response = client.put("/_emulator/mail", json=bad)
        assert response.status_code == 400 and "error" in response.json()
    assert client.get("/_emulator/mail").json() == view
    assert client.put("/_emulator/mail", json={"email_size_limit": 5}).json()["email_size_limit"] == 5
    client.post("/_emulator/reset")
    assert client.get("/_emulator/mail").json() == view
