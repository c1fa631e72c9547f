"""Scheduling a fax (01-faxing §1.1): every request shape of the public clients (13.1), and every refusal."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from tests.conftest import ADMIN, assert_error, assert_golden, box_state
from tests.ffws.clients import (
    BASE,
    ENTRY_URL_TAIL,
    GUIDE_EXAMPLE,
    OFAX,
    SHAPES,
    advance,
    attachment,
    b64,
    big_pdf_bytes,
    cover,
    create_user,
    document_server,
    element,
    entries_of,
    external,
    fax_to,
    fields_of,
    pdf_attachment,
    pdf_bytes,
    recipient,
    schedule,
    schedule_body,
    view,
)

NEW_ENTRY = {
    "state": "preprocessing",
    "schedule_message": "New fax entry",
    "try_number": "1",
    "agent": "FFWS",
    "pages": "0",
    "approver": "",
    "approval_time": "",
    "created": "2026-01-01T00:00:00",
    "sender/username": "admin",
}


def assert_new_entries(response, count: int) -> list[dict[str, str]]:  # noqa: ANN001
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/xml"
    assert etree.fromstring(response.content).findtext("message") == "Success"
    entries = [fields_of(e) for e in entries_of(response)]
    assert len(entries) == count
    for number, entry in enumerate(entries):
        assert {k: entry[k] for k in NEW_ENTRY} == NEW_ENTRY
        assert re.fullmatch(rf"{BASE}/ofax/[0-9A-F]{{8}}/{number:04X}", entry["fax_entry_url"])
        assert re.search(ENTRY_URL_TAIL, entry["fax_entry_url"])
        faxkey = entry["fax_entry_url"].split("/")[-2]
        assert entry["fax_url"] == f"{BASE}/ofax/{faxkey}"
        assert entry["preview"] == f"{BASE}/data/preview/{faxkey}-{number:04X}.pdf"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", entry["stime"])
    return entries


# -- what the clients send (R1–R12) ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_client_request_shapes_are_accepted(client, shape):
    body = shape.body.encode() if isinstance(shape.body, str) else shape.body
    response = client.post(shape.path, body, headers=shape.headers)
    recipients = body.count(b"<recipient>")
    entries = assert_new_entries(response, recipients)
    for key, value in shape.expect.items():
        assert entries[0][key] == value, key
    if shape.pages is not None:
        advance(client, 10)
        assert view(client, "00000001/0000")["pages"] == str(shape.pages)


R11_VALUES = [
    ("priority", ["0", "1", "2", "3", "4", "5"]),
    ("max_tries", ["1", "3", "17"]),
    ("try_interval", ["5", "23", "30", "180", "333"]),
    ("receipt", ["never", "failure", "always"]),
    ("receipt_attachment", ["none", "pdf"]),
]


@pytest.mark.parametrize(("option", "values"), R11_VALUES, ids=[name for name, _ in R11_VALUES])
def test_values_seen_in_real_use_are_stored_as_sent(client, option, values):
    """R11: every value goes through unchanged, and so do the fax numbers (dashes and all)."""
    numbers = ["555-1234", "5551234", "12185553335", "912185553335", "9-555-1234", "-218-555-3335"]
    for value in values:
        body = schedule_body(recipients=[recipient(n) for n in numbers], **{option: value})
        entries = assert_new_entries(client.post(OFAX, body), len(numbers))
        assert [e[option] for e in entries] == [value] * len(numbers)
        assert [e["recipient/fax_number"] for e in entries] == numbers


def test_guide_example_answers_201_success(client):
    response = client.post(OFAX, GUIDE_EXAMPLE, headers={"content-type": "application/xml"})
    assert_new_entries(response, 1)
    assert_golden("fax_entry_created", response)


def test_basic_challenge_then_resend_with_credentials(client):
    """R2: commons-httpclient and .NET first POST without Authorization, then resend after a Basic challenge."""
    before = box_state(client.box)
    body = schedule_body()
    challenge = client.post(OFAX, body, auth=None)
    assert_error(challenge, 401, "Unauthorized")
    assert challenge.headers["www-authenticate"].startswith("Basic realm=")
    assert box_state(client.box) == before
    assert_new_entries(client.post(OFAX, body), 1)


def test_faxkeys_grow_from_a_box_wide_counter(client):
    user = create_user(client, "user1")
    urls = [schedule(client, schedule_body(), auth=who)[0].findtext("fax_entry_url") for who in (ADMIN, user, ADMIN)]
    assert [u.split("/ofax/")[1] for u in urls] == ["00000001/0000", "00000002/0000", "00000003/0000"]


def test_one_entry_per_recipient_up_to_400(client):
    body = schedule_body(recipients=[recipient(f"555-{n:04d}") for n in range(400)])
    entries = assert_new_entries(client.post(OFAX, body), 400)
    assert entries[-1]["fax_entry_url"] == f"{BASE}/ofax/00000001/018F"
    assert entries[123]["recipient/fax_number"] == "555-0123"


def test_defaults_come_from_the_user_record(client):
    user = create_user(
        client,
        "user2",
        priority=1,
        max_attempts=5,
        interval=120,
        receipt="always",
        receipt_attachment="none",
        default_cover_page_enabled=True,
        default_cover_page_name="mts_template2.pdf",
        organization="Org 2",
        phone_number="555-0000",
        fax_number="555-0001",
        email_address="u2@example.com",
    )
    (entry,) = schedule(client, schedule_body(cover_page=None), auth=user)
    fields = fields_of(entry)
    assert {k: fields[k] for k in ("max_tries", "priority", "try_interval", "receipt", "receipt_attachment")} == {
        "max_tries": "5",
        "priority": "1",
        "try_interval": "120",
        "receipt": "always",
        "receipt_attachment": "none",
    }
    assert fields["cover_page/enabled"] == "true"
    assert fields["cover_page/url"] == f"{BASE}/data/cover_pages/mts_template2.pdf"
    assert [
        fields[f"sender/{k}"]
        for k in ("username", "name", "organization", "phone_number", "fax_number", "email_address")
    ] == ["user2", "User user2", "Org 2", "555-0000", "555-0001", "u2@example.com"]


def test_a_second_name_element_wins_and_missing_names_are_numbered(client):
    """R8: the name is echoed in errors, which shows which one the box kept."""
    two_names = "<name></name><name>report.pdf</name>"
    bad = attachment(encoded="!!!", content_type="application/pdf", name=None).replace(
        "<location>", two_names + "<location>"
    )
    response = client.post(OFAX, schedule_body(attachments=[bad]))
    assert_error(response, 400, "scheduling failed: attachment report.pdf: invalid base64 content")
    unnamed_ok = attachment(name=None).replace("<location>", "<name/><name></name><location>")
    unnamed_bad = attachment(encoded="@@", name=None).replace("<location>", "<name/><name></name><location>")
    response = client.post(OFAX, schedule_body(attachments=[unnamed_ok, unnamed_bad]))
    assert_error(response, 400, "scheduling failed: attachment attachment2: invalid base64 content")


def test_several_attachments_are_faxed_in_order(client):
    body = schedule_body(attachments=[pdf_attachment(2, "a.pdf"), attachment(b"x"), pdf_attachment(3, "a.pdf")])
    schedule(client, body)
    advance(client, 6)
    assert view(client, "00000001/0000")["pages"] == "6"


def test_a_body_of_several_megabytes_is_accepted(client):
    """R12: a real box took a 7 MB body."""
    body = schedule_body(attachments=[attachment(big_pdf_bytes(6), "application/pdf", "scan.pdf")])
    assert len(body) > 7_000_000
    assert_new_entries(client.post(OFAX, body), 1)
    advance(client, 200)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["pages"]) == ("sent", "1")


def test_text_with_a_declared_charset_is_decoded_with_it(client):
    text = "Grüße aus Duluth\n".encode("utf-16-be")
    schedule(client, schedule_body(attachments=[attachment(text, "text/plain; charset=UTF-16BE", "memo.txt")]))
    advance(client, 60)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["schedule_message"], entry["pages"]) == ("sent", "Successfully sent fax", "1")


# -- external attachments (R9) ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("announced", "served"), [("application/pdf", None), (None, "application/pdf"), (None, "application/pdf; x=1")]
)
def test_external_attachment_is_fetched_and_sent(client, announced, served):
    with document_server({"/doc.pdf": (pdf_bytes(3), served)}) as base:
        body = schedule_body(attachments=[external(f"{base}/doc.pdf", announced)], cover_page=cover(subject="S"))
        assert_new_entries(client.post(OFAX, body), 1)
    advance(client, 200)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["pages"]) == ("sent", "4")


# -- refusals: 400, a message, and nothing stored ------------------------------------------------------------------
def assert_refused(client, body: str | bytes, message: str, **kwargs: object) -> None:  # noqa: ANN001
    before = box_state(client.box)
    response = client.post(OFAX, body, **kwargs)
    assert_error(response, 400, message)
    assert box_state(client.box) == before


PDF = b64(pdf_bytes(1))
REFUSALS = {
    "no recipient": (schedule_body(recipients=[]), "scheduling failed: no recipient"),
    "401 recipients": (
        schedule_body(recipients=[recipient(f"555{n:04d}") for n in range(401)]),
        "scheduling failed: 401 recipients, at most 400",
    ),
    "recipient without fax number": (
        schedule_body(recipients=[recipient(), element("recipient", [element("name", "Nobody")])]),
        "invalid fax_number: empty",
    ),
    "blank fax number": (schedule_body(recipients=[recipient("  ")]), "invalid fax_number: empty"),
    "invalid base64": (
        schedule_body(attachments=[attachment(encoded=PDF[:-3] + "*", content_type="application/pdf", name="a.pdf")]),
        "scheduling failed: attachment a.pdf: invalid base64 content",
    ),
    "truncated base64": (
        schedule_body(attachments=[attachment(encoded="dGVzdA=", name="t.txt")]),
        "scheduling failed: attachment t.txt: invalid base64 content",
    ),
    "unsupported content type": (
        schedule_body(attachments=[attachment(content_type="application/msword", name="x.doc")]),
        "scheduling failed: attachment x.doc: unsupported content type application/msword",
    ),
    "no content type": (
        schedule_body(attachments=[attachment(content_type=None, name="x.pdf")]),
        "scheduling failed: attachment x.pdf: unsupported content type (none)",
    ),
    "attachment without content": (
        schedule_body(
            attachments=[element("attachment", [element("name", "e.pdf"), element("content_type", "application/pdf")])]
        ),
        "scheduling failed: attachment e.pdf: no content",
    ),
    "attachment with empty content": (
        schedule_body(attachments=[attachment(encoded="", content_type="application/pdf", name="e.pdf")]),
        "scheduling failed: attachment e.pdf: no content",
    ),
    "cover enabled without url": (
        schedule_body(cover_page=element("cover_page", [element("enabled", "true"), element("subject", "S")])),
        "cover page url required",
    ),
    "cover with neither enabled nor url": (
        schedule_body(cover_page=element("cover_page", [element("subject", "S")])),
        "cover page url required",
    ),
    "unknown cover template": (
        schedule_body(cover_page=cover(name="nope.pdf")),
        "invalid cover_page url: no cover page named nope.pdf",
    ),
    "nothing to send": (schedule_body(attachments=[]), "scheduling failed: internal error"),
    "priority not a number": (schedule_body(priority="high"), "invalid priority: not a number"),
    "priority out of range": (schedule_body(priority=10), "invalid priority: out of range (0-9)"),
    "max_tries zero": (schedule_body(max_tries=0), "invalid max_tries: out of range (1-99)"),
    "try_interval negative": (schedule_body(try_interval=-5), "invalid try_interval: out of range (0-86400)"),
    "unknown receipt": (
        schedule_body(receipt="sometimes"),
        "invalid receipt: must be one of never, failure, success, always",
    ),
    "bad schedule_all_at": (
        schedule_body(schedule_all_at="2026-01-01 5pm"),
        "invalid schedule_all_at: expected YYYY-MM-DDTHH:MM:SS",
    ),
    "wrong root": ("<fax><recipient/></fax>", "invalid root element: expected <schedule_fax>, got <fax>"),
}


@pytest.mark.parametrize(("body", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refused_requests_store_nothing(client, body, message):
    schedule(client, fax_to("5550100"))  # the counter and the store are not empty
    assert_refused(client, body, message)
    assert entries_of(client.get(OFAX))[-1].findtext("fax_url").endswith("/00000001")
    assert_new_entries(client.post(OFAX, schedule_body()), 1)[0]["fax_url"].endswith("/00000002")


@pytest.mark.parametrize("body", [b"", b"<schedule_fax><recipient>", b"<?xml version='1.0'?><schedule_fax>&bad;</x>"])
def test_malformed_xml_is_refused(client, body):
    before = box_state(client.box)
    response = client.post(OFAX, body)
    assert response.status_code == 400
    assert etree.fromstring(response.content).findtext("message").startswith("The provided XML is not valid")
    assert box_state(client.box) == before


def test_malformed_xml_after_an_attachment_leaves_no_file(client):
    before = box_state(client.box)
    response = client.post(OFAX, schedule_body(attachments=[pdf_attachment(2)])[:-5])
    assert response.status_code == 400
    assert etree.fromstring(response.content).findtext("message").startswith("The provided XML is not valid: ")
    assert box_state(client.box) == before


@pytest.mark.parametrize("settings_overrides", [{"external_attachments": False}])
def test_external_attachment_refused_when_disabled(client):
    with document_server({"/doc.pdf": (pdf_bytes(1), "application/pdf")}) as base:
        body = schedule_body(attachments=[external(f"{base}/doc.pdf", name="r.pdf")])
        assert_refused(
            client, body, "scheduling failed: attachment r.pdf: external attachments are disabled on this box"
        )


def test_external_attachment_that_cannot_be_fetched(client):
    with document_server({}) as base:
        url = f"{base}/missing.pdf"
        body = schedule_body(attachments=[pdf_attachment(1, "ok.pdf"), external(url, name="r.pdf")])
        assert_refused(client, body, "scheduling failed: could not fetch attachment r.pdf")  # details: journal
        fetched = client.get("/_emulator/journal").json()["entries"][-1]["attachments"][-1]
        assert (fetched["url"], fetched["fetch_error"]) == (url, f"{url}: HTTP 404")


@pytest.mark.parametrize(
    ("recipients", "message"),
    [([], "scheduling failed: no recipient"), ([element("recipient", "")], "invalid fax_number: empty")],
)
def test_a_request_refused_for_its_recipients_fetches_nothing(client, recipients, message):
    seen: list[str] = []
    with document_server({"/doc.pdf": (pdf_bytes(1), "application/pdf")}, seen) as base:
        assert_refused(client, schedule_body(recipients=recipients, attachments=[external(f"{base}/doc.pdf")]), message)
        assert_new_entries(client.post(OFAX, schedule_body(attachments=[external(f"{base}/doc.pdf")])), 1)
    assert seen == ["/doc.pdf"]


def test_external_attachment_of_an_unsupported_type(client):
    with document_server({"/x": (b"GIF89a", "image/gif")}) as base:
        body = schedule_body(attachments=[external(f"{base}/x", name="x.gif")])
        assert_refused(client, body, "scheduling failed: attachment x.gif: unsupported content type image/gif")


R1_SHORT_NAMES = """<?xml version="1.0" encoding="UTF-8"?>
<schedule_fax>
  <sender><n>Front Desk</n><fax_number>555-0100</fax_number></sender>
  <recipient><n>Dr. Smith</n><fax_number>5551234</fax_number></recipient>
  <attachment><location>inline</location><n>fax.pdf</n><content_type>application/pdf</content_type>
    <content_transfer_encoding>base64</content_transfer_encoding><content>dGVzdA==</content></attachment>
</schedule_fax>
"""
R1_CAMEL_CASE = """<?xml version="1.0" encoding="UTF-8"?>
<schedule_fax>
  <Sender><Name>Front Desk</Name></Sender>
  <Recipient><Name>Dr. Smith</Name><FaxNumber>5551234</FaxNumber></Recipient>
  <Attachment><Location>inline</Location><Name>fax.pdf</Name><ContentType>application/pdf</ContentType>
    <Content>dGVzdA==</Content></Attachment>
</schedule_fax>
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [(R1_SHORT_NAMES, "invalid name: empty"), (R1_CAMEL_CASE, "scheduling failed: internal error")],
    ids=["<n> for <name>", "CamelCase children"],
)
def test_documents_a_real_ff240_r1_refused_are_refused_with_its_words(client, body, message):
    """The FF240.R1's log: a document whose sender (and recipient and attachment) carry <n> for <name>, and a
    document with neither a recipient nor an attachment the box recognises."""
    before = box_state(client.box)
    assert_error(client.post(OFAX, body), 400, message)
    assert box_state(client.box) == before


def test_a_sender_needs_a_name_element_which_may_be_empty(client):
    """The smallest rule that refuses the FF240.R1's document while every public client's shape schedules."""
    before = box_state(client.box)
    nameless = element("sender", [element("organization", "Org")])
    assert_error(client.post(OFAX, schedule_body(nameless)), 400, "invalid name: empty")
    assert box_state(client.box) == before
    named_empty = [element("sender", [element("name", ""), element("organization", "Org")])]
    for sender in ([], ["<sender/>"], ["<sender></sender>"], named_empty):
        assert_new_entries(client.post(OFAX, schedule_body(*sender)), 1)
    nameless_recipient = element("recipient", [element("fax_number", "5551234")])
    assert_new_entries(client.post(OFAX, schedule_body(recipients=[nameless_recipient])), 1)
