"""The pytest plugin, used exactly as a user's test suite uses it: no configuration, just the `faxfinder` fixture."""

import base64
import hashlib

import httpx

FAX = """<?xml version="1.0" encoding="UTF-8"?>
<schedule_fax>
  <recipient><name>Accounts</name><fax_number>{number}</fax_number></recipient>
  <attachment><location>inline</location><name>invoice.txt</name><content_type>text/plain</content_type>
    <content_transfer_encoding>base64</content_transfer_encoding><content>{content}</content></attachment>
</schedule_fax>"""


def send_fax(url, auth, number):
    """A tiny client under test: schedules a fax, returns its fax_entry_url."""
    body = FAX.format(number=number, content=base64.b64encode(b"Invoice 42").decode())
    response = httpx.post(f"{url}/ofax", content=body, auth=auth, headers={"content-type": "application/xml"})
    assert response.status_code == 201
    return response.text.split("<fax_entry_url>")[1].split("</fax_entry_url>")[0]


def test_a_fax_reaches_sent(faxfinder):
    entry_url = send_fax(faxfinder.url, faxfinder.auth, "218-555-1234")
    assert faxfinder.wait_for_state(entry_url, "sent", "failed") == "sent"


def test_forced_busy_line_fails_after_every_try(faxfinder):
    faxfinder.fault(kind="fax", fax_number="*7777", outcome="busy")
    entry_url = send_fax(faxfinder.url, faxfinder.auth, "555-7777")
    assert faxfinder.wait_for_state(entry_url) == "failed"
    sent = faxfinder.journal(method="POST", path="/ffws/v1/ofax")
    assert len(sent) == 1
    assert "<fax_number>555-7777</fax_number>" in sent[0]["request_body"]
    assert "Invoice 42" not in sent[0]["request_body"]  # attachment content is summarised, not kept
    digest = hashlib.sha256(b"Invoice 42").hexdigest()
    assert sent[0]["attachments"] == [
        {"name": "invoice.txt", "content_type": "text/plain", "size": 10, "sha256": digest}
    ]


def test_each_test_starts_from_a_reset_box(faxfinder):
    assert faxfinder.journal() == []
    assert faxfinder.clock()["now"] == "2026-01-01T00:00:00"


def test_http_fault_and_inbound_fax(faxfinder):
    faxfinder.fault(kind="http", method="GET", path="/ffws/v1/verify", status=503, times=1)
    assert httpx.get(f"{faxfinder.url}/verify", auth=faxfinder.auth).status_code == 503
    assert httpx.get(f"{faxfinder.url}/verify", auth=faxfinder.auth).status_code == 200
    received = faxfinder.inbound(remote_id="SUPPLIER", pages=2)
    faxfinder.advance(600)
    log = httpx.get(f"{faxfinder.url}/inbound_log", auth=faxfinder.auth).text
    assert f"<id>{received['id']}</id>" in log and "<pages>2</pages>" in log


def test_the_journal_gives_bodies_whole_and_every_page(faxfinder):
    name = "N" * 6000  # longer than the control plane's list view keeps of a body
    contact = f"<contact><name>{name}</name></contact>"
    for _ in range(3):
        httpx.post(f"{faxfinder.url}/contacts/admin", content=contact, auth=faxfinder.auth)
    posted = faxfinder.journal(method="POST")
    assert len(posted) == 3
    assert all(name in entry["request_body"] for entry in posted)  # (refused: longer than a name may be)
    assert [e["id"] for e in faxfinder.journal(method="POST", limit=2)] == [e["id"] for e in posted[1:]]


def test_warnings_name_what_a_careless_client_sent(faxfinder):
    send_fax(faxfinder.url, faxfinder.auth, "218-555-1234")
    assert faxfinder.warnings() == []
    sloppy = FAX.format(number="555-1234", content="SGk=").replace(
        "</schedule_fax>", "<max_trys>3</max_trys></schedule_fax>"
    )
    assert httpx.post(f"{faxfinder.url}/ofax", content=sloppy, auth=faxfinder.auth).status_code == 201
    [warned] = faxfinder.warnings()
    assert (warned["method"], warned["path"], warned["status"]) == ("POST", "/ffws/v1/ofax", 201)
    assert warned["warnings"] == [
        "no Content-Type on a request with a body (send application/xml)",
        "unknown element <max_trys> in <schedule_fax> (did you mean <max_tries>?)",
    ]


def test_mail_through_the_plugins_own_box(faxfinder):
    """The fixture's mail helpers: a fax by e-mail (send_mail) reaches sent, and its receipt is in the outbox."""
    body = "<user><email_address>me@example.com</email_address><receipt>always</receipt></user>"
    assert httpx.put(f"{faxfinder.url}/users/admin", content=body, auth=faxfinder.auth).status_code == 200
    reply = faxfinder.send_mail(
        "FAX=5551234/COVER-PAGE-ENABLED=true@box", sender="me@example.com", subject="Hello", text="Call me",
        attachments=[("invoice.txt", b"Invoice 42", "text/plain")],
    )  # fmt: skip
    assert (reply.code, reply.message) == (250, "2.0.0 Ok: fax 00000001 scheduled")
    assert faxfinder.wait_for_state(f"{faxfinder.url}/ofax/00000001/0000") == "sent"
    [receipt] = faxfinder.outbox(kind="receipt")
    assert receipt["subject"] == "Fax to 5551234 (5551234) sent"
    assert faxfinder.mail_message(receipt["id"])["To"] == "Administrator <me@example.com>"
