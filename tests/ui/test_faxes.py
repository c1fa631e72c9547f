"""Fax Status, Send Fax, a fax's pages and Status & Logs, through the same services as /ffws/v1."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from PIL import Image

from tests.conftest import box_state
from tests.ffws.clients import advance, create_user, fax_to, pdf_bytes, schedule
from tests.ui.pages import Pages

OFAX = "/ffws/v1/ofax"


def _entry(client, key: str) -> dict[str, str]:  # noqa: ANN001
    response = client.get(f"{OFAX}/{key}")
    assert response.status_code == 200, response.text
    entry = etree.fromstring(response.content).find("fax_entry")
    return {child.tag: child.text or "" for child in entry.iter() if len(child) == 0}


def test_send_fax_schedules_with_agent_webclient_through_the_ofax_service(client):
    pages = Pages(client)
    pages.log_in()
    files = [("document", ("invoice.pdf", pdf_bytes(2), "application/pdf")),
             ("document", ("note.txt", b"Hello from the web page", "application/octet-stream"))]  # fmt: skip
    data = {"recipients": "Accounts, 218-555-1234\n218-555-4321", "cover": "on", "cover_page": "default.pdf",
            "subject": "Invoice 42", "comments": "Two pages", "text": ""}  # fmt: skip
    response = pages.client.request("POST", "/send", auth=None, data={"csrf": pages.csrf, **data}, files=files)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/fax-status"
    notice = '<p class="notice ok" role="status">Fax 00000001 scheduled for 2 recipient(s).</p>'
    assert notice in pages.get("/fax-status").text
    assert notice not in pages.get("/fax-status").text  # said once
    first, second = _entry(client, "00000001/0000"), _entry(client, "00000001/0001")
    assert first["agent"] == "WebClient" and second["agent"] == "WebClient"
    assert (first["name"], first["fax_number"]) == ("Accounts", "218-555-1234")
    assert second["fax_number"] == "218-555-4321" and first["subject"] == "Invoice 42"
    assert client.box.journal.entries(method="POST") == []  # the pages are not the device API: not journaled
    advance(client, 600)
    first = _entry(client, "00000001/0000")
    assert first["state"] == "sent" and first["pages"] == "4"  # cover page, two PDF pages, one text page


def test_recipients_are_picked_from_the_phone_book_contacts_and_groups(client):
    create_user(client, "bob", "pw")
    bob_auth = ("bob", "pw")
    hub = "<contact><name>Hub</name><fax_number>218-555-0100</fax_number><organization>HQ</organization></contact>"
    client.post("/ffws/v1/contacts/global_contact_list", hub)
    for name, number in (("Ann", "218-555-0101"), ("Ben", "218-555-0102"), ("Cal", "")):
        body = f"<contact><name>{name}</name><fax_number>{number}</fax_number></contact>"
        client.post("/ffws/v1/contacts/bob", body, auth=bob_auth)  # ids 2, 3, 4
    members = "".join(f"<contact>/ffws/v1/contacts/bob/{n}</contact>" for n in (2, 3))
    client.post(
        "/ffws/v1/contact_groups/bob", f"<contact_group><name>Team</name>{members}</contact_group>", auth=bob_auth
    )
    client.post("/ffws/v1/contacts/admin", "<contact><name>Secret</name><fax_number>1</fax_number></contact>")  # 5
    bob = Pages(client)
    bob.log_in("bob", "pw")
    form = bob.get("/send").text
    assert (
        'value="contact/bob/2"' in form
        and 'value="group/bob/1"' in form
        and 'value="contact/global_contact_list/1"' in form
    )
    assert "Secret" not in form and 'value="contact/bob/4" disabled' in form  # Cal has no fax number
    files = [("document", ("note.txt", b"Hello", "text/plain"))]
    data = {
        "csrf": bob.csrf,
        "recipients": "",
        "pick": ["group/bob/1", "contact/bob/2", "contact/global_contact_list/1"],
    }
    response = client.request("POST", "/send", auth=None, data=data, files=files)
    assert response.status_code == 303, response.text
    numbers = {_entry(client, f"00000001/000{n}")["fax_number"] for n in range(3)}
    assert numbers == {"218-555-0101", "218-555-0102", "218-555-0100"}  # Ann once, though picked twice
    assert _entry(client, "00000001/0002")["organization"] == "HQ"
    assert client.get("/ffws/v1/ofax/00000001/0003").status_code == 404
    before = box_state(client.box)
    denied = "Authenticated user does not have permission to view data associated with username."
    for pick, status, message in (("contact/admin/5", 403, denied),
                                  ("contact/bob/4", 400, "invalid recipient: contact Cal has no fax number"),
                                  ("group/bob/9", 404, "No group found with that username.")):  # fmt: skip
        refused = client.request("POST", "/send", auth=None, data={**data, "pick": [pick]}, files=files)
        assert refused.status_code == status and message in refused.text, refused.text
    assert box_state(client.box) == before


def test_a_refused_send_says_why_and_writes_nothing(client):
    pages = Pages(client)
    pages.log_in()
    before = box_state(client.box)
    files = [("document", ("evil.exe", b"MZ\x90\x00", "application/x-msdownload"))]
    data = {"csrf": pages.csrf, "recipients": "218-555-1234", "cover_page": "default.pdf"}
    response = client.request("POST", "/send", auth=None, data=data, files=files)
    assert response.status_code == 400
    assert "scheduling failed: attachment evil.exe: unsupported content type application/x-msdownload" in response.text
    response = client.request("POST", "/send", auth=None, data={**data, "recipients": ""}, files=files)
    assert response.status_code == 400 and "scheduling failed: no recipient" in response.text
    assert box_state(client.box) == before
    assert list(client.box.store.incoming.iterdir()) == []  # (no upload left behind)


@pytest.mark.parametrize("settings_overrides", [{"disk_quota": 1_000_000}])
def test_an_upload_that_cannot_fit_is_refused_by_its_declared_size_before_it_is_read(client):
    pages = Pages(client)
    pages.log_in()
    before = box_state(client.box)
    form = {"csrf": pages.csrf, "recipients": "218-555-1234"}
    files = [("document", ("small.pdf", pdf_bytes(1), "application/pdf"))]
    request = client._client.build_request("POST", "/send", data=form, files=files)  # noqa: SLF001
    request.headers["content-length"] = str(5_000_000)  # what it says it will send: more than the quota holds
    response = client._loop.run_until_complete(client._client.send(request))  # noqa: SLF001
    assert response.status_code == 400 and "scheduling failed: not enough storage" in response.text
    assert box_state(client.box) == before
    fits = client.request("POST", "/send", auth=None, data=form, files=files)  # the same form, as it is
    assert fits.status_code == 303


def test_fax_status_shows_lines_the_queue_and_inbound_faxes(client):
    pages = Pages(client)
    pages.log_in()
    schedule(client, fax_to("218-555-0009", pages=3))  # slow: still sending after 60 s
    client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 2})
    advance(client, 60)
    html = pages.get("/fax-status").text
    assert 'data-line="1"' in html and "Sending Page" in html and "1 of 3" in html and "218-555-0009" in html
    assert "Receiving Page" in html and "SUPPLIER" in html
    assert 'data-entry="00000001/0000" data-state="sending"' in html
    lines = pages.get("/fragments/lines").text
    assert lines.lstrip().startswith('<ul class="tiles">') and "<html" not in lines
    advance(client, 600)
    inbound = pages.get("/fragments/inbound").text
    assert '<a href="/inbound/1">Fax 1</a>' in inbound and "2 page(s)" in inbound


def test_a_fragment_reads_only_its_own_section(client):
    from tests.ffws.test_reads_bounded import watching

    pages = Pages(client)
    pages.log_in()
    schedule(client, fax_to("218-555-1234"))
    client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 1})
    read = {}
    for name in ("lines", "outbound", "inbound"):
        pages.get(f"/fragments/{name}")  # once before (the login is checked against the database once)
        with watching(client) as seen:
            assert pages.get(f"/fragments/{name}").status_code == 200
        read[name] = " ".join(statement for statement, _params in seen.statements)
    assert "FROM fax_entries" not in read["inbound"] and "FROM inbound_faxes" not in read["outbound"]
    assert "FROM attempts" in read["lines"] or "FROM inbound_faxes" in read["lines"]  # it reads what the lines do
    assert "FROM fax_entries" in read["outbound"] and "FROM inbound_faxes" in read["inbound"]


def test_fax_status_lists_the_first_waiting_faxes_and_says_there_are_more(client, monkeypatch):
    from emulator.ui import faxes

    monkeypatch.setattr(faxes, "OPEN_SHOWN", 3)
    pages = Pages(client)
    pages.log_in()
    for number in range(5):
        schedule(client, fax_to(f"218-555-000{number + 1}"))
    html = pages.get("/fax-status").text
    assert [f"0000000{n}/0000" in html for n in range(1, 6)] == [True, True, True, False, False]
    assert "More faxes are waiting than the first 3 shown here" in html
    client.delete("/ffws/v1/ofax/00000001")
    client.delete("/ffws/v1/ofax/00000002")
    html = pages.get("/fragments/outbound").text
    assert all(f"0000000{n}/0000" in html for n in range(1, 6))  # 3 waiting and the 2 aborted, now final
    assert "More faxes are waiting" not in html


def test_abort_and_send_now_are_the_apis_abort_and_reschedule(client):
    pages = Pages(client)
    pages.log_in()
    schedule(client, fax_to("218-555-0001"))  # busy every try
    schedule(client, fax_to("218-555-1111"))
    assert pages.post("/faxes/00000001/0000/abort").status_code == 303
    assert _entry(client, "00000001/0000")["state"] == "aborted"
    response = pages.post("/faxes/00000001/0000/abort")  # already final: the API's 400 and its words
    assert response.status_code == 400 and "could not be aborted" in response.text
    assert pages.post("/faxes/00000001/0000/send-now").status_code == 303
    assert _entry(client, "00000001/0000")["schedule_message"] == "Rescheduled"


def test_a_fax_shows_its_pages_as_thumbnails_and_downloads_as_pdf(client):
    pages = Pages(client)
    pages.log_in()
    schedule(client, fax_to("218-555-1234", pages=3))
    assert "the fax has not been converted" in pages.get("/faxes/00000001/0000").text
    advance(client, 10)
    html = pages.get("/faxes/00000001/0000").text
    assert html.count('<img src="/faxes/00000001/0000/pages/') == 3 and 'alt="Page 3 of 3"' in html
    thumbnail = pages.get("/faxes/00000001/0000/pages/2.png")
    assert thumbnail.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(thumbnail.content))
    assert image.width == 240 and image.height > image.width  # a portrait page
    assert pages.get("/faxes/00000001/0000/pages/4.png").status_code == 404
    pdf = pages.get("/faxes/00000001/0000/preview.pdf")
    assert pdf.content.startswith(b"%PDF") and "00000001-0000.pdf" in pdf.headers["content-disposition"]


def test_a_received_fax_shows_its_pages(client):
    pages = Pages(client)
    pages.log_in()
    client.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 2})
    advance(client, 600)
    html = pages.get("/inbound/1").text
    assert "SUPPLIER" in html and html.count('<img src="/inbound/1/pages/') == 2
    assert pages.get("/inbound/1/pages/1.png").content.startswith(b"\x89PNG")
    assert pages.get("/inbound/1/fax.pdf").content.startswith(b"%PDF")
    assert pages.get("/inbound/2").status_code == 404


def test_a_user_sees_only_its_own_faxes(client):
    create_user(client, "bob", "pw")
    schedule(client, fax_to("218-555-7777"))  # admin's
    schedule(client, fax_to("218-555-8888"), auth=("bob", "pw"))
    client.post("/_emulator/inbound", json={"remote_id": "FOR-ADMIN", "pages": 1})
    advance(client, 600)
    pages = Pages(client)
    pages.log_in("bob", "pw")
    html = pages.get("/fax-status").text
    assert "00000002/0000" in html and "218-555-8888" in html
    assert "00000001/0000" not in html and "218-555-7777" not in html and "FOR-ADMIN" not in html
    assert pages.get("/faxes/00000001/0000").status_code == 404  # as GET /ofax/00000001/0000 answers bob
    assert pages.get("/faxes/00000001/0000/preview.pdf").status_code == 403  # as the preview URL answers bob
    assert pages.get("/inbound/1").status_code == 403
    outbound_log = pages.get("/logs?kind=outbound").text
    assert "218-555-8888" in outbound_log and "218-555-7777" not in outbound_log


def test_a_user_can_neither_abort_nor_send_now_anothers_pending_fax(client):
    create_user(client, "bob", "pw")
    schedule(client, fax_to("218-555-0001"))  # admin's, busy on every try: still waiting for its next try
    advance(client, 30)
    before = _entry(client, "00000001/0000")
    assert before["state"] == "pending"
    bob = Pages(client)
    bob.log_in("bob", "pw")
    refused = bob.post("/faxes/00000001/0000/abort")
    assert refused.status_code == 400 and "could not be aborted" in refused.text  # the API's answer to bob
    refused = bob.post("/faxes/00000001/0000/send-now")
    assert refused.status_code == 400 and "could not be rescheduled" in refused.text
    assert _entry(client, "00000001/0000") == before  # not aborted, not rescheduled


def test_a_fax_being_received_shows_only_to_those_it_is_routed_to(client):
    create_user(client, "bob", "pw")
    client.put("/ffws/v1/inbound_routes", "<inbound_route><type>recipient</type><extension>7</extension>"
               "<destination><type>user</type><value>bob</value></destination></inbound_route>")  # fmt: skip
    client.post("/_emulator/inbound", json={"remote_id": "FOR-ADMIN", "pages": 3})
    client.post("/_emulator/inbound", json={"remote_id": "FOR-BOB", "extension": "7", "pages": 3})
    bob, admin = Pages(client), Pages(client)
    bob.log_in("bob", "pw")
    arriving = bob.get("/fragments/inbound").text
    assert "FOR-BOB" in arriving and "FOR-ADMIN" not in arriving
    admin.log_in()
    arriving = admin.get("/fragments/inbound").text
    assert "FOR-BOB" in arriving and "FOR-ADMIN" in arriving


def test_status_and_logs_lists_each_log(client):
    pages = Pages(client)
    pages.log_in()
    schedule(client, fax_to("218-555-0001", max_tries=2, try_interval=0))
    advance(client, 600)
    outbound = pages.get("/logs?kind=outbound").text
    assert "2 record(s)" in outbound and outbound.count("Line busy") == 2
    assert "218-555-0001" in pages.get("/logs?kind=call").text
    assert pages.get("/logs?kind=bogus").status_code == 400
