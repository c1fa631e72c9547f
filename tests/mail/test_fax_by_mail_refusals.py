"""Fax by e-mail refuses early and says why: a stranger at MAIL (the envelope's sender decides, not the From: header
a stranger can write), a From: of someone else at DATA, more addresses than a fax may have at RCPT, a mail over the
model's size; what will not go away by itself is a 5xx, and every refusal has its journal entry. Whatever text a mail
program writes is read (an unknown charset too), a mail to many addresses writes its documents once, fax by e-mail
can be turned off (T.37 settings), and a listener that stops closes its connections."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import httpx
import pytest

from emulator.mail.intake import MailIntake
from tests.conftest import FFClient, box_state, make_box
from tests.ffws.clients import create_user, element, party, pdf_bytes
from tests.mail.conftest import ME
from tests.mail.test_fax_by_mail import entry, send

STRANGER = "stranger@evil.example"
OFAX_NONE = 404


def no_fax(box) -> bool:  # noqa: ANN001
    return httpx.get(f"{box.url}/ofax/00000001", auth=box.auth).status_code == OFAX_NONE


def letter(sender: str = ME, text: str = "hi") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "FAX=5551234@box", "A fax"
    mail.set_content(text)
    mail.add_attachment(pdf_bytes(1), maintype="application", subtype="pdf", filename="a.pdf")
    return mail


# -- who sends ----------------------------------------------------------------------------------------------------
def test_the_envelope_sender_decides_not_the_from_header(box):
    reply = box.send_mail("FAX=5551234@box", sender=ME, envelope_sender=STRANGER, message=letter(ME))
    assert reply.code == 550 and reply.message == f"5.7.1 {STRANGER} is not the e-mail address of a user of this box"
    assert no_fax(box)
    [journal] = box.journal(method="SMTP")
    assert (journal["path"], journal["status"], journal["mail_from"]) == ("", 550, STRANGER)
    assert journal["request_body"] == f"MAIL FROM:<{STRANGER}>" and "not the e-mail address" in journal["reason"]


def test_the_null_sender_is_refused(box):
    reply = box.send_mail("FAX=5551234@box", sender=ME, envelope_sender="", message=letter(ME))
    assert reply.code == 550 and "the null sender <> is not the e-mail address of a user" in reply.message
    assert no_fax(box)


def test_a_refused_sender_gets_no_further_than_mail(box):
    """Nothing of the mail is taken: no address, no content (a stranger cannot upload 36 MiB to be refused)."""
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.test")
        assert smtp.mail(STRANGER)[0] == 550
        code, answer = smtp.rcpt("FAX=5551234@box")
        assert code == 503 and b"need MAIL" in answer
        assert smtp.docmd("DATA")[0] == 503
    assert len(box.journal(method="SMTP")) == 1


def test_a_from_header_naming_another_user_is_refused(box):
    boss = party(name="The Boss", username="boss", password="secret", email_address="boss@example.com")
    body = element("user", boss)
    assert httpx.post(f"{box.url}/users", content=body, auth=box.auth).status_code == 200
    reply = box.send_mail("FAX=5551234@box", sender=ME, message=letter("The Boss <boss@example.com>"))
    assert (
        reply.code == 550 and reply.message == f"5.7.1 From: boss@example.com is not the sender of the envelope ({ME})"
    )
    assert no_fax(box)
    [journal] = box.journal(method="SMTP")
    assert journal["path"] == "FAX=5551234@box" and journal["status"] == 550 and journal["user"] == "admin"


def test_a_from_header_of_the_same_address_in_another_case_is_taken(box):
    assert box.send_mail("FAX=5551234@box", sender=ME, message=letter(f"Jane <{ME.upper()}>")).code == 250


def test_fax_by_email_can_be_turned_off(box):
    assert "<enabled>true</enabled>" in httpx.get(f"{box.url}/t37_settings", auth=box.auth).text  # (it listens)
    off = "<t37_settings><enabled>false</enabled></t37_settings>"
    assert httpx.put(f"{box.url}/t37_settings", content=off, auth=box.auth).status_code == 200
    reply = send(box, "FAX=5551234@box")
    assert reply.code == 550 and reply.message == (
        "5.7.1 fax by e-mail is turned off on this box (T.37 settings: enabled is false)"
    )
    assert no_fax(box)
    on = "<t37_settings><enabled>true</enabled></t37_settings>"
    assert httpx.put(f"{box.url}/t37_settings", content=on, auth=box.auth).status_code == 200
    assert send(box, "FAX=5551234@box").code == 250


# -- how many addresses ---------------------------------------------------------------------------------------------
def test_more_addresses_than_a_fax_may_have_are_refused_at_rcpt(box):
    addresses = [f"FAX=555{n:04d}@box" for n in range(401)]
    reply = send(box, addresses, pages=1)
    assert list(reply.refused) == [addresses[400]]
    assert reply.refused[addresses[400]] == (452, "4.5.3 too many recipients: at most 400 fax addresses a mail")
    assert (reply.code, reply.message) == (250, "2.0.0 Ok: 400 faxes scheduled (00000001 to 00000190)")
    assert len(reply.message) < 512 - 6  # RFC 5321: a reply line, code and CRLF, within 512 octets
    assert httpx.get(f"{box.url}/ofax/00000190/0000", auth=box.auth).status_code == 200
    assert httpx.get(f"{box.url}/ofax/00000191", auth=box.auth).status_code == OFAX_NONE
    journal = box.journal(method="SMTP")
    assert [j["status"] for j in journal] == [452] + [250] * 400  # (the refusal came first: at RCPT)


def test_a_mail_to_many_addresses_writes_each_document_once(fresh_client):
    box = fresh_client.box
    create_user(fresh_client, "jane", email_address=ME)
    box.setting_defaults = {"t37_settings": {"enabled": True}}  # (this box does not listen: its intake is called)
    intake = MailIntake(box)
    content = letter(ME).as_bytes()
    reply = intake.receive(ME, ["FAX=5551234@box", "FAX=5554321@box", "FAX=5550000@box"], content)
    assert reply == "250 2.0.0 Ok: 3 faxes scheduled (00000001 to 00000003)"
    files = [box.store.attachment_raw(fax_id, 1) for fax_id in (1, 2, 3)]
    assert len({path.stat().st_ino for path in files}) == 1  # one file, a name for each fax
    assert [path.read_bytes() for path in files] == [pdf_bytes(1)] * 3


def test_addresses_beyond_the_disk_quota_are_refused_for_now_and_nothing_is_written(template_dir, tmp_path):
    """Each fax claims its own room (its documents and their conversion), as POST /ofax would: a quota with room
    for two faxes takes a mail to two addresses, and refuses one to three with 452, all or none."""
    from emulator.device.quota import conversion_reserve

    one_fax = 2 * len(pdf_bytes(1)) + conversion_reserve(0, "application/pdf")
    client = FFClient(make_box(template_dir, tmp_path / "quota", disk_quota=2 * one_fax + one_fax // 2))
    try:
        create_user(client, "jane", email_address=ME)
        client.box.setting_defaults = {"t37_settings": {"enabled": True}}
        intake = MailIntake(client.box)
        three = ["FAX=5551234@box", "FAX=5554321@box", "FAX=5550000@box"]
        before = box_state(client.box)
        reply = intake.receive(ME, three, letter(ME).as_bytes())
        assert reply == "452 4.3.1 scheduling failed: not enough storage"
        assert box_state(client.box) == before
        assert [j["status"] for j in client.box.journal.entries(method="SMTP")] == [452, 452, 452]
        assert intake.receive(ME, three[:2], letter(ME).as_bytes()).startswith("250 2.0.0 Ok: 2 faxes scheduled")
    finally:
        client.close()


# -- what the mail holds --------------------------------------------------------------------------------------------
BAD_CHARSET = (
    b"From: " + ME.encode() + b"\r\nTo: FAX=5551234@box\r\nSubject: cs\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nCall me back, caf\xc3\xa9\r\n"
)


def test_a_text_in_an_unknown_charset_is_read_and_said_so(box):
    reply = box.send_mail("FAX=5551234/COVER-PAGE-ENABLED=true@box", sender=ME, message=BAD_CHARSET)
    assert (reply.code, reply.message) == (250, "2.0.0 Ok: fax 00000001 scheduled")
    assert entry(box)["cover_page/comments"] == "Call me back, café"
    [journal] = box.journal(method="SMTP")
    assert journal["warnings"] == [
        "a text part's charset x-no-such-charset is unknown: it was read as UTF-8 (else Latin-1)"
    ]


def test_an_unknown_charset_is_refused_under_strict(strict_box):
    reply = strict_box.send_mail("FAX=5551234@box", sender=ME, message=BAD_CHARSET)
    assert reply.code == 554 and "charset x-no-such-charset is unknown" in reply.message
    [journal] = strict_box.journal(method="SMTP")
    assert journal["status"] == 554


def test_a_mail_over_the_models_size_is_refused(box):
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=60) as smtp:
        smtp.ehlo("client.test")
        assert int(smtp.esmtp_features["size"]) == 36 * 2**20  # announced: a client may check before sending
        code, answer = smtp.docmd(f"MAIL FROM:<{ME}> SIZE={36 * 2**20 + 1}")
        assert code == 552 and b"size exceeds" in answer
        assert smtp.mail(ME)[0] == 250 and smtp.rcpt("FAX=5551234@box")[0] == 250
        line = b"A" * 998 + b"\r\n"
        big = b"From: " + ME.encode() + b"\r\nSubject: big\r\n\r\n" + line * (36 * 2**20 // len(line) + 1)
        code, answer = smtp.data(big)
    assert code == 552
    assert no_fax(box)


# -- refusals that are not the mail's fault, or are found late ------------------------------------------------------
def test_an_address_refused_at_rcpt_has_its_journal_entry(box):
    reply = send(box, ["FAX=5551234@box", "FAX=555/FAX-PRIORITY=9@box", "someone@box"])
    assert reply.code == 250
    journal = box.journal(method="SMTP")
    refused = [(j["path"], j["status"], j["request_body"]) for j in journal if j["status"] != 250]
    assert refused == [
        ("FAX=555/FAX-PRIORITY=9@box", 553, "RCPT TO:<FAX=555/FAX-PRIORITY=9@box>"),
        ("someone@box", 550, "RCPT TO:<someone@box>"),
    ]
    assert "FAX-PRIORITY=9: from 0 (first) to 5 (last)" in journal[0]["reason"]


@pytest.fixture
def intake(fresh_client):
    create_user(fresh_client, "jane", email_address=ME)
    fresh_client.box.setting_defaults = {"t37_settings": {"enabled": True}}
    return MailIntake(fresh_client.box)


def test_a_cover_page_gone_between_rcpt_and_data_is_a_permanent_refusal(intake, monkeypatch):
    address = "FAX=5551234/COVER-PAGE-NAME=mts_template2@box"
    assert intake.recipient_reply(ME, address, 0) == ("250 2.1.5 Ok", True)
    monkeypatch.setattr(intake.box, "cover_page_names", lambda: ["default.pdf"])
    reply = intake.receive(ME, [address], letter(ME).as_bytes())
    assert reply == "553 5.1.3 COVER-PAGE-NAME=mts_template2: no cover page of that name on this box"
    [journal] = intake.box.journal.entries(method="SMTP")
    assert journal["status"] == 553 and journal["path"] == address


def test_an_internal_failure_asks_to_try_again_and_is_journaled(intake, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("emulator.mail.faxes.service.schedule_fax", broken)
    reply = intake.receive(ME, ["FAX=5551234@box"], letter(ME).as_bytes())
    assert reply == "451 4.3.0 internal error: the mail was not taken, try again later"
    [journal] = intake.box.journal.entries(method="SMTP")
    assert journal["status"] == 451 and "the database went away" in journal["reason"]


def test_a_mail_that_cannot_be_read_is_refused_for_good(intake, monkeypatch):
    def unreadable(*args: object, **kwargs: object) -> None:
        raise IndexError("list index out of range")  # (as the email package's header parser can)

    monkeypatch.setattr("emulator.mail.letter._read", unreadable)
    reply = intake.receive(ME, ["FAX=5551234@box"], letter(ME).as_bytes())
    assert reply == "554 5.6.0 the mail cannot be read (IndexError: list index out of range)"
    [journal] = intake.box.journal.entries(method="SMTP")
    assert journal["status"] == 554


# -- the listener ---------------------------------------------------------------------------------------------------
def test_a_stopped_listener_closes_its_open_connections(fresh_client):
    from emulator.mail.listener import Listener

    async def scenario() -> bytes:
        listener = Listener(fresh_client.box)
        await listener.start(None, "127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        assert (await reader.readline()).startswith(b"220 faxfinder")
        await asyncio.wait_for(listener.stop(), timeout=10)
        rest = await asyncio.wait_for(reader.read(), timeout=10)  # the end of the stream: closed by the box
        writer.close()
        return rest

    assert asyncio.run(scenario()) == b""
