"""Fax by e-mail (T.37): mail to FAX=number[/OPTION=value…]@host from a user's address, sent with smtplib to the
emulator's own SMTP listener (the pytest fixture's send_mail), becomes a fax exactly as POST /ffws/v1/ofax would
make it: same checks, same queue, a journal entry, the agent T.37. Every option of the admin guides, the grammar's
known looseness, and the refusals."""

from __future__ import annotations

import io
from email.message import EmailMessage

import httpx
import pytest
from lxml import etree
from pypdf import PdfReader

from tests.ffws.clients import image_bytes, pdf_bytes
from tests.mail.conftest import ME


def entry(box, key: str = "00000001/0000") -> dict[str, str]:
    response = httpx.get(f"{box.url}/ofax/{key}", auth=box.auth)
    assert response.status_code == 200, response.text
    node = etree.fromstring(response.content).find("fax_entry")
    return {node.getroottree().getelementpath(e).split("/", 1)[-1]: e.text or "" for e in node.iter() if len(e) == 0}


def send(box, to: str | list[str], text: str = "Please call me back.", pages: int = 2, **kwargs):
    attachments = kwargs.pop("attachments", [("invoice.pdf", pdf_bytes(pages, "Invoice"), "application/pdf")])
    return box.send_mail(to, sender=ME, subject="Invoice 42", text=text, attachments=attachments, **kwargs)


def test_a_mail_becomes_a_fax_as_ofax_would_make_it(box):
    reply = send(box, "FAX=218-555-1234@faxfinder.test")
    assert (reply.code, reply.message) == (250, "2.0.0 Ok: fax 00000001 scheduled")
    fields = entry(box)
    assert fields["agent"] == "T.37" and fields["state"] == "preprocessing"
    assert fields["sender/username"] == "admin" and fields["recipient/fax_number"] == "2185551234"
    assert fields["cover_page/enabled"] == "false"  # the user's default
    assert fields["cover_page/subject"] == "Invoice 42" and fields["cover_page/comments"] == "Please call me back."
    [journal] = box.journal(method="SMTP")
    assert journal["path"] == "FAX=218-555-1234@faxfinder.test" and journal["status"] == 250
    assert journal["user"] == "admin" and journal["fax"] == "00000001" and journal["mail_from"] == ME
    assert journal["attachments"][0]["name"] == "invoice.pdf" and journal["attachments"][0]["size"] > 0
    assert "Subject: Invoice 42" in journal["request_body"] and "Please call me back." in journal["request_body"]
    assert "JVBER" not in journal["request_body"]  # the PDF's content is summarised, never kept
    assert box.wait_for_state(f"{box.url}/ofax/00000001/0000") == "sent"
    assert entry(box)["pages"] == "2"


@pytest.mark.parametrize("flag", ["true", "1", "TRUE"])
def test_cover_page_enabled_reaches_sent_with_its_cover_page(box, flag):
    reply = send(box, f"FAX=5551234/COVER-PAGE-ENABLED={flag}@box", pages=2)
    assert reply.code == 250
    assert box.wait_for_state(f"{box.url}/ofax/00000001/0000") == "sent"
    fields = entry(box)
    assert fields["cover_page/enabled"] == "true" and fields["cover_page/url"].endswith("/cover_pages/default.pdf")
    assert fields["pages"] == "3"  # the cover page and the two of the attachment
    preview = httpx.get(f"{box.url}/data/preview/00000001-0000.pdf", auth=box.auth).content
    reader = PdfReader(io.BytesIO(preview))
    assert len(reader.pages) == 3
    assert "Please call me back." in reader.pages[0].extract_text()  # the text is the cover page's comments


def test_cover_page_name_attn_org_priority(box):
    address = "FAX=5551234/COVER-PAGE-NAME=mts_template2.pdf/ATTN=John Smith/ORG=Acme Corp/FAX-PRIORITY=0@box"
    assert send(box, f'"{address.split("@")[0]}"@box').code == 250
    fields = entry(box)
    assert fields["cover_page/enabled"] == "true"  # naming a cover page asks for one
    assert fields["cover_page/url"].endswith("/cover_pages/mts_template2.pdf")
    assert fields["recipient/name"] == "John Smith" and fields["recipient/organization"] == "Acme Corp"
    assert fields["priority"] == "0"
    assert send(box, "FAX=5551234/COVER-PAGE-NAME=mts_template3/COVER-PAGE-ENABLED=0@box").code == 250
    second = entry(box, "00000002/0000")
    assert second["cover_page/enabled"] == "false" and second["priority"] == "3"  # the user's priority


def test_inline_comments_false_makes_the_text_a_page(box):
    assert send(box, "FAX=5551234/INLINE-COMMENTS=false/COVER-PAGE-ENABLED=true@box", pages=2).code == 250
    assert box.wait_for_state(f"{box.url}/ofax/00000001/0000") == "sent"
    fields = entry(box)
    assert fields["cover_page/comments"] == "" and fields["pages"] == "4"  # cover, text page, two pages


@pytest.mark.parametrize(("policy", "number", "mailed"), [
    ("always", "5551234", True), ("never", "5550001", False), ("failure", "5550006", True),
    ("failure", "5551234", False),
])  # fmt: skip
def test_receipt_option(box, policy, number, mailed):
    assert send(box, f"FAX={number}/RECEIPT={policy}@box").code == 250
    assert entry(box)["receipt"] == policy
    box.wait_for_state(f"{box.url}/ofax/00000001/0000", step=60)
    receipts = box.outbox(kind="receipt")
    assert len(receipts) == int(mailed)
    if mailed:
        assert receipts[0]["to"] == f"Administrator <{ME.upper()}>"


def test_t33s_plus_and_separators(box):
    assert send(box, "FAX=+1-218-555.1234/T33S=4711@box").code == 250
    # (parentheses would be a comment in an address: such a local part is quoted, as RFC 5321 says)
    assert send(box, '"/FAX=1 (218) 555-1234/"@box').code == 250
    assert entry(box)["recipient/fax_number"] == entry(box, "00000002/0000")["recipient/fax_number"] == "12185551234"
    journal = box.journal(method="SMTP")
    assert journal[0]["options"]["T33S"] == "4711" and journal[1]["options"]["T33S"] is None


def test_every_attachment_kind_and_names_by_extension(box):
    attachments = [
        ("scan.tif", image_bytes("TIFF", frames=2), "image/tiff"),
        ("photo.png", image_bytes("PNG"), "image/png"),
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("notes.txt", b"line one\nline two\n", "text/plain"),
        ("sent-as-octets.pdf", pdf_bytes(1), "application/octet-stream"),
    ]
    assert send(box, "FAX=5551234@box", attachments=attachments).code == 250
    assert box.wait_for_state(f"{box.url}/ofax/00000001/0000") == "sent"
    assert entry(box)["pages"] == "6"
    [journal] = box.journal(method="SMTP")
    assert [a["content_type"] for a in journal["attachments"]][-1] == "application/pdf"


def test_several_addresses_are_several_faxes_all_or_none(box):
    reply = send(box, ["FAX=5551234@box", "FAX=5554321/ATTN=Sales@box"])
    assert (reply.code, reply.message) == (250, "2.0.0 Ok: 2 faxes scheduled (00000001 to 00000002)")
    assert entry(box, "00000002/0000")["recipient/name"] == "Sales"
    assert [(j["path"], j["fax"]) for j in box.journal(method="SMTP")] == [
        ("FAX=5551234@box", "00000001"), ("FAX=5554321/ATTN=Sales@box", "00000002")
    ]  # fmt: skip


def test_a_sender_who_is_no_user_is_refused(box):
    reply = box.send_mail("FAX=5551234@box", sender="stranger@example.com", text="hi",
                          attachments=[("a.pdf", pdf_bytes(1), "application/pdf")])  # fmt: skip
    assert reply.code == 550 and "stranger@example.com is not the e-mail address of a user" in reply.message
    assert httpx.get(f"{box.url}/ofax/00000001", auth=box.auth).status_code == 404
    [journal] = box.journal(method="SMTP")
    assert journal["status"] == 550 and journal["user"] is None and "not the e-mail address" in journal["reason"]


@pytest.mark.parametrize(("address", "code", "why"), [
    ("someone@box", 550, "not a fax address"),
    ("FAX=@box", 553, "no digits to dial"),
    ("FAX=555-12x4@box", 553, "may not hold 'x'"),
    ("FAX=5551234/FAX-PRIORITY=6@box", 553, "FAX-PRIORITY=6: from 0 (first) to 5 (last)"),
    ("FAX=5551234/COVER-PAGE-ENABLED=maybe@box", 553, "must be true or false"),
    ("FAX=5551234/COVER-PAGE-NAME=nothere.pdf@box", 553, "no cover page of that name"),
    ("FAX=5551234/RECEIPT=sometimes@box", 553, "one of always, never, failure, success"),
    ("FAX=5551234/T33S=12a@box", 553, "a sub-address is 1 to 20 digits"),
])  # fmt: skip
def test_bad_addresses_are_refused_at_rcpt(box, address, code, why):
    reply = send(box, address)
    assert reply.code == code and why in reply.message
    assert httpx.get(f"{box.url}/ofax/00000001", auth=box.auth).status_code == 404


def test_a_bad_address_among_good_ones_is_refused_alone(box):
    reply = send(box, ["FAX=5551234@box", "FAX=555/FAX-PRIORITY=9@box"])
    assert reply.code == 250 and list(reply.refused) == ["FAX=555/FAX-PRIORITY=9@box"]
    assert reply.message == "2.0.0 Ok: fax 00000001 scheduled"


def test_unknown_options_are_ignored_and_said_so(box):
    assert send(box, "FAX=5551234/COLOUR=blue@box").code == 250
    [journal] = box.journal(method="SMTP")
    assert journal["warnings"] == ["ignored option COLOUR=blue"]


@pytest.mark.parametrize(("attachments", "text", "why"), [
    ([("archive.zip", b"PK\x03\x04", "application/zip")], "hi", "unsupported content type application/zip"),
    ([], "", "scheduling failed"),
    ([("empty.pdf", b"", "application/pdf")], "hi", "attachment empty.pdf: no content"),
])  # fmt: skip
def test_content_ofax_would_refuse_is_refused_and_nothing_is_written(box, attachments, text, why):
    reply = send(box, "FAX=5551234@box", text=text, attachments=attachments)
    assert reply.code == 554 and why in reply.message
    assert httpx.get(f"{box.url}/ofax/00000001", auth=box.auth).status_code == 404
    assert box.journal(method="SMTP")[0]["status"] == 554


def test_a_whole_mail_of_ones_own_with_an_html_alternative(box):
    letter = EmailMessage()
    letter["From"] = f"Jane <{ME}>"
    letter["To"] = "FAX=5551234@box"
    letter["Subject"] = "Hello"
    letter.set_content("Plain comments")
    letter.add_alternative("<p>Plain comments</p>", subtype="html")
    letter.add_attachment(pdf_bytes(1), maintype="application", subtype="pdf", filename="doc.pdf")
    assert box.send_mail("FAX=5551234@box", sender=ME, message=letter).code == 250
    assert entry(box)["cover_page/comments"] == "Plain comments"
    [journal] = box.journal(method="SMTP")
    assert journal["warnings"] == ["an HTML text part was ignored (only text/plain becomes comments)"]


def test_the_t37_allowed_senders_narrow_who_may_send(box):
    body = "<t37_settings><allowed_senders>boss@example.com, @partner.example</allowed_senders></t37_settings>"
    assert httpx.put(f"{box.url}/t37_settings", content=body, auth=box.auth).status_code == 200
    refused = send(box, "FAX=5551234@box")
    assert refused.code == 550 and "not among the T.37 settings' allowed senders" in refused.message
    body = "<t37_settings><allowed_senders>example.com</allowed_senders></t37_settings>"
    assert httpx.put(f"{box.url}/t37_settings", content=body, auth=box.auth).status_code == 200
    assert send(box, "FAX=5551234@box").code == 250


def test_strict_refuses_what_the_box_would_ignore(strict_box):
    refused = send(strict_box, "FAX=5551234/COLOUR=blue@box")
    assert refused.code == 553 and refused.message == "5.1.3 unknown option COLOUR=blue (--strict)"
    assert send(strict_box, "FAX=5551234@box").code == 250
