"""Receipts: when a fax entry reaches a final state, the fax's ``receipt`` decides whether a mail goes to the
sender's address, and ``receipt_attachment`` whether the fax as transmitted goes with it. Without --smtp-url every
mail stays in the queue (held): what the box would send is all there, as JSON and as RFC 5322."""

from __future__ import annotations

import email
import email.policy

import pytest

from tests.conftest import FFClient, box_state, make_box
from tests.ffws.clients import (
    OFAX,
    advance,
    element,
    party,
    pdf_attachment,
    recipient,
    schedule,
    schedule_body,
)
from tests.mail.fax_tiff import check_fax_tiff

SENDER = "sender@example.com"


def fax(number: str, receipt: str, attachment: str = "none", *, email_address: str = SENDER, pages: int = 2) -> str:
    sender = element("sender", party(name="Sender Name", email_address=email_address))
    return schedule_body(
        sender,
        recipients=[recipient(number, name="Accounts")],
        attachments=[pdf_attachment(pages)],
        receipt=receipt,
        receipt_attachment=attachment,
        try_interval=30,
    )


def outbox(client: FFClient, **params: str) -> list[dict]:
    response = client.get("/_emulator/outbox", params=params)
    assert response.status_code == 200, response.text
    return response.json()["mails"]


def message(client: FFClient, mail_id: int) -> email.message.EmailMessage:
    response = client.get(f"/_emulator/outbox/{mail_id}.eml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "message/rfc822"
    return email.message_from_bytes(response.content, policy=email.policy.default)


def send_and_finish(client: FFClient, number: str, receipt: str, attachment: str = "none", **kwargs: object) -> str:
    (entry,) = schedule(client, fax(number, receipt, attachment, **kwargs))
    key = entry.findtext("fax_entry_url").split("/ofax/")[1]
    if number == "abort":
        assert client.delete(f"{OFAX}/{key}").status_code == 202
    advance(client, 3000)
    return key


# -- which final states each policy reports -----------------------------------------------------------------------
OUTCOMES = {"sent": "218-555-1234", "failed": "218-555-0001", "dead": "218-555-0006", "aborted": "abort"}
EXPECTED = {
    "never": set(),
    "failure": {"failed", "dead", "aborted"},
    "success": {"sent"},
    "always": {"sent", "failed", "dead", "aborted"},
}


@pytest.mark.parametrize("policy", sorted(EXPECTED))
@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_each_policy_mails_the_final_states_it_names(client, policy, outcome):
    key = send_and_finish(client, OUTCOMES[outcome], policy)
    assert client.get(f"{OFAX}/{key}").text.count(f"<state>{outcome}</state>") == 1
    mails = outbox(client)
    if outcome not in EXPECTED[policy]:
        assert mails == []
        return
    [mail] = mails
    assert mail["kind"] == "receipt" and mail["fax_entry"] == key
    assert mail["state"] == "held"  # no --smtp-url: it stays in the queue
    assert mail["to"] == f"Sender Name <{SENDER}>"
    assert mail["from"] == "Administrator <faxfinder@localhost>"  # the admin has no address of its own here
    assert mail["subject"].startswith("Fax to Accounts (") and outcome.replace("dead", "failed") in mail["subject"]
    assert f"Fax:        {key} (FFWS)\n" in mail["text"]  # the entry the receipt is about, and how it came


def test_a_failure_receipt_waits_for_the_last_try(client):
    (entry,) = schedule(client, fax("218-555-0001", "failure"))  # busy on every try, 3 tries 30 s apart
    key = entry.findtext("fax_entry_url").split("/ofax/")[1]
    advance(client, 40)  # the first try was busy: it will be tried again
    assert "<try_number>2</try_number>" in client.get(f"{OFAX}/{key}").text
    assert outbox(client) == []
    advance(client, 3000)
    [mail] = outbox(client)
    assert "Tries:      3 of 3" in mail["text"] and "Line busy" in mail["text"]


def test_the_user_record_decides_when_the_fax_says_nothing(client):
    body = "<user><email_address>boss@example.com</email_address><receipt>always</receipt></user>"
    assert client.put("/ffws/v1/users/admin", body).status_code == 200
    schedule(client, schedule_body(recipients=[recipient("218-555-1234")], attachments=[pdf_attachment(1)]))
    advance(client, 600)
    [mail] = outbox(client)
    assert mail["to"] == "Administrator <boss@example.com>"
    assert mail["from"] == "Administrator <boss@example.com>"  # the box's mail comes from its administrator
    assert mail["attachments"][0]["filename"] == "00000001-0000.pdf"  # the admin's receipt_attachment: pdf


def test_pdf_attachment_is_the_fax_as_transmitted(client):
    key = send_and_finish(client, "218-555-0006", "always", "pdf", pages=3)
    [mail] = outbox(client)
    parsed = message(client, mail["id"])
    [attached] = list(parsed.iter_attachments())
    preview = client.get(f"/ffws/v1/data/preview/{key.replace('/', '-')}.pdf")
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == f"{key.replace('/', '-')}.pdf"
    assert attached.get_content() == preview.content
    assert mail["attachments"][0]["size"] == len(preview.content)
    assert "The fax as transmitted is attached" in parsed.get_body(("plain",)).get_content()


@pytest.mark.parametrize("kind", ["tif", "tiff"])
def test_tiff_attachment_has_one_fax_page_per_page(client, kind):
    send_and_finish(client, "218-555-1234", "always", kind, pages=3)
    [mail] = outbox(client)
    [attached] = list(message(client, mail["id"]).iter_attachments())
    assert attached.get_content_type() == "image/tiff"
    check_fax_tiff(attached.get_content(), frames=3)


def test_a_sender_without_an_address_gets_a_failed_mail_that_says_why(client):
    send_and_finish(client, "218-555-0001", "failure", email_address="")
    [mail] = outbox(client)
    assert mail["state"] == "failed" and "no e-mail address" in mail["last_error"]
    assert mail["to"] == "" and all(h["name"] != "To" for h in mail["headers"])


def test_one_mail_as_json_and_as_eml(client):
    key = send_and_finish(client, "218-555-1234", "always", "pdf")
    [listed] = outbox(client)
    one = client.get(f"/_emulator/outbox/{listed['id']}")
    assert one.status_code == 200 and one.json() == listed
    assert {h["name"] for h in listed["headers"]} >= {"From", "To", "Subject", "Date", "Message-ID"}
    raw = client.get(f"/_emulator/outbox/{listed['id']}", params={"format": "eml"})
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.content == client.get(f"/_emulator/outbox/{listed['id']}.eml").content
    assert raw.content.startswith(b"From: ") and b"\r\n" in raw.content and len(raw.content) == listed["size"]
    assert "Date: Thu, 01 Jan 2026 00:" in raw.text and key in raw.text
    missing = client.get("/_emulator/outbox/99")
    assert missing.status_code == 404 and "no mail 99" in missing.json()["error"]
    assert client.get("/_emulator/outbox/99.eml").status_code == 404
    for beyond in ("2147483648", "99999999999999999999", "-1"):  # (no table holds them; PostgreSQL cannot compare)
        assert client.get(f"/_emulator/outbox/{beyond}").status_code == 404
        assert client.get(f"/_emulator/outbox/{beyond}.eml").status_code == 404
    assert client.get("/_emulator/outbox", params={"state": "nonsense"}).status_code == 400


def test_filters_clear_and_reset(client):
    send_and_finish(client, "218-555-1234", "always")
    send_and_finish(client, "218-555-0006", "always")
    assert len(outbox(client)) == 2
    assert outbox(client, kind="inbound") == []
    assert len(outbox(client, state="held")) == 2
    cleared = client.delete("/_emulator/outbox")
    assert cleared.json() == {"status": "cleared", "mails": 2}
    assert outbox(client) == []
    assert client.get("/_emulator/outbox/1.eml").status_code == 404
    send_and_finish(client, "218-555-1234", "always")
    assert outbox(client)[0]["id"] == 3  # numbers are not reused while the box lives
    assert client.post("/_emulator/reset").status_code == 200
    assert outbox(client) == []


def test_a_refused_schedule_queues_no_mail(client):
    before = box_state(client.box)
    response = client.post(OFAX, fax("", "always"))  # no fax number: refused
    assert response.status_code == 400
    assert box_state(client.box) == before


def receipt_session(client: FFClient) -> list[bytes]:
    for number in ("218-555-1234", "218-555-0006", "218-555-0001"):
        schedule(client, fax(number, "always", "pdf"))
    advance(client, 3000)
    return [client.get(f"/_emulator/outbox/{mail['id']}.eml").content for mail in outbox(client)]


def test_same_requests_give_byte_identical_mails(template_dir, tmp_path):
    runs = []
    for name in ("a", "b"):
        client = FFClient(make_box(template_dir, tmp_path / name))
        try:
            runs.append(receipt_session(client))
        finally:
            client.close()
    assert len(runs[0]) == 3 and runs[0] == runs[1]


def test_snapshots_keep_the_mail_queue(client, fresh_client):
    send_and_finish(client, "218-555-1234", "always", "pdf")
    snapshot = client.get("/_emulator/state/export").json()
    assert len(snapshot["tables"]["mail_queue"]) == 1 and "mail/1.eml" in snapshot["documents"]
    assert fresh_client.post("/_emulator/state/import", json=snapshot).status_code == 200
    assert outbox(fresh_client) == outbox(client)
    assert message(fresh_client, 1).as_bytes() == message(client, 1).as_bytes()


def test_a_live_view_can_follow_the_queue_by_its_events(fresh_client):
    from emulator.events import MailChanged, MailQueued

    client = fresh_client  # (a box of its own: the subscription dies with it)
    seen: list[object] = []
    client.box.bus.subscribe((MailQueued, MailChanged), seen.append)
    send_and_finish(client, "218-555-1234", "always")
    assert [type(e).__name__ for e in seen] == ["MailQueued"]  # queued with the entry's end, composed later
    [mail] = outbox(client)
    assert seen[1:] == [MailChanged(mail["id"], "held")]
    client.delete("/_emulator/outbox")
    assert seen[-1] == MailChanged(None, "cleared")


def message_id(mail: dict) -> str:
    return next(header["value"] for header in mail["headers"] if header["name"] == "Message-ID")


def test_message_ids_differ_across_resets_for_other_mails(client):
    """A reset numbers mails from 1 again and the manual clock starts over: a mail of other content must not take
    the Message-ID of the one before (servers drop a Message-ID they have seen)."""
    send_and_finish(client, "218-555-1234", "always")
    [first] = outbox(client)
    assert client.post("/_emulator/reset").status_code == 200
    send_and_finish(client, "218-555-0001", "always")
    [second] = outbox(client)
    assert first["id"] == second["id"] and first["subject"] != second["subject"]
    assert message_id(first) != message_id(second)
    assert message_id(first).endswith("@faxfinder>") and f".{first['id']}." in message_id(first)
