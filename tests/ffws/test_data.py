"""Documents the device links to: page counts and previews of fax entries (13 P9a), cover-page templates (12.1)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.conftest import ADMIN, assert_error, assert_golden
from tests.ffws.clients import (
    advance,
    at,
    attachment,
    cover,
    create_user,
    fax_to,
    image_bytes,
    pdf_attachment,
    recipient,
    schedule,
    schedule_body,
    text_bytes,
    view,
)

PREVIEW = "/ffws/v1/data/preview/00000001-0000.pdf"
COVER = cover(subject="Quarterly numbers", comments="Please call\nwhen received")
DOCUMENTS = {
    "pdf of 3 pages + cover": ([pdf_attachment(3)], COVER, 4),
    "pdf of 3 pages": ([pdf_attachment(3)], None, 3),
    "short text": ([attachment(b"hello\n")], None, 1),
    "130 lines of text": ([attachment(text_bytes(130))], None, 3),
    "130 lines of text + cover": ([attachment(text_bytes(130))], COVER, 4),
    "png": ([attachment(image_bytes("PNG"), "image/png", "a.png")], None, 1),
    "jpeg + cover": ([attachment(image_bytes("JPEG"), "image/jpeg", "a.jpg")], COVER, 2),
    "tiff of 3 frames": ([attachment(image_bytes("TIFF", frames=3), "image/tiff", "a.tif")], None, 3),
    "cover only": ([], COVER, 1),
    "everything": (
        [pdf_attachment(2), attachment(b"x"), attachment(image_bytes("TIFF", frames=2), "image/tiff", "a.tif")],
        COVER,
        6,
    ),
}


def pdf_of(response) -> PdfReader:  # noqa: ANN001
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


@pytest.mark.parametrize(("attachments", "cover_page", "pages"), DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_pages_count_every_page_and_the_preview_has_them_all(client, attachments, cover_page, pages):
    body = schedule_body(
        attachments=attachments,
        cover_page=cover_page if cover_page is not None else cover(enabled=False),
        recipients=[recipient("218-555-3335", name="Rcpt Uno")],
    )
    schedule(client, body)
    advance(client, 30)
    assert view(client, "00000001/0000")["pages"] == str(pages)
    preview = pdf_of(client.get(PREVIEW))
    assert len(preview.pages) == pages
    first = preview.pages[0].extract_text()
    if cover_page is not None:
        assert "Rcpt Uno" in first and "Quarterly numbers" in first
    else:
        assert "Rcpt Uno" not in first
    advance(client, 30 * pages + 15)
    entry = view(client, "00000001/0000", include_modem_info="true")
    assert (entry["state"], entry["pages"], entry["pages_sent"]) == ("sent", str(pages), str(pages))


def test_cover_page_comes_first_and_names_the_right_recipient(client):
    body = schedule_body(
        attachments=[pdf_attachment(2)],
        cover_page=COVER,
        recipients=[recipient("555-0100", name="Ann"), recipient("555-0200", name="Bob")],
    )
    schedule(client, body)
    advance(client, 5)
    for entrykey, name, other in (("0000", "Ann", "Bob"), ("0001", "Bob", "Ann")):
        preview = pdf_of(client.get(f"/ffws/v1/data/preview/00000001-{entrykey}.pdf"))
        cover_text = preview.pages[0].extract_text()
        assert name in cover_text and other not in cover_text
        assert "Page 1" in preview.pages[1].extract_text()
        assert "Page 2" in preview.pages[2].extract_text()
    assert client.get(PREVIEW).content == client.get(PREVIEW).content


def test_the_preview_waits_for_conversion(client):
    schedule(client, fax_to("555-0000", pages=2))
    assert_error(client.get(PREVIEW), 404, "Preview not available: the fax has not been converted.")
    advance(client, 1)
    assert_error(client.get(PREVIEW), 404, "Preview not available: the fax has not been converted.")
    advance(client, 1)
    assert len(pdf_of(client.get(PREVIEW)).pages) == 2


def test_no_preview_of_a_document_that_could_not_be_converted(client):
    schedule(client, schedule_body(attachments=[attachment(b"not a pdf at all", "application/pdf", "bad.pdf")]))
    advance(client, 5)
    assert view(client, "00000001/0000")["state"] == "dead"
    assert_error(client.get(PREVIEW), 404, "Preview not available: the fax has not been converted.")


def test_only_the_owner_or_an_admin_sees_a_preview(client):
    owner = create_user(client, "owner")
    other = create_user(client, "other")
    schedule(client, fax_to("555-0000"), auth=owner)
    advance(client, 5)
    assert len(pdf_of(client.get(PREVIEW, auth=owner)).pages) == 1
    assert len(pdf_of(client.get(PREVIEW, auth=ADMIN)).pages) == 1
    assert_error(client.get(PREVIEW, auth=other), 403, "Authenticated user does not have permission to view this fax.")
    assert_error(client.get(PREVIEW, auth=None), 401, "Unauthorized")


@pytest.mark.parametrize(
    "name", ["00000002-0000.pdf", "00000001-0001.pdf", "00000001-0000", "00000001.pdf", "zz-0000.pdf", "x"]
)
def test_unknown_previews_are_404(client, name):
    schedule(client, fax_to("555-0000"))
    advance(client, 5)
    assert_error(client.get(f"/ffws/v1/data/preview/{name}"), 404, "Preview not found.")


def test_preview_stays_after_the_fax_is_sent_and_rescheduled(client):
    schedule(client, fax_to("555-0000", pages=3))
    advance(client, 200)
    first = client.get(PREVIEW).content
    assert client.put("/ffws/v1/ofax/00000001/0000?at=now").status_code == 202
    advance(client, 200)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["stime"], entry["pages"]) == ("sent", at(200 + 15 + 90), "3")
    assert client.get(PREVIEW).content == first


# -- cover pages ---------------------------------------------------------------------------------------------------
def test_cover_page_listing(client):
    response = client.get("/ffws/v1/cover_pages")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert_golden("cover_pages", response)


def test_a_non_admin_may_list_and_fetch_cover_pages(client):
    user = create_user(client, "user1")
    assert client.get("/ffws/v1/cover_pages", auth=user).content == client.get("/ffws/v1/cover_pages").content
    assert len(pdf_of(client.get("/ffws/v1/data/cover_pages/mts_template3.pdf", auth=user)).pages) == 1


@pytest.mark.parametrize("name", ["default.pdf", "mts_template2.pdf", "mts_template3.pdf"])
def test_cover_page_files_are_the_templates(client, name):
    response = client.get(f"/ffws/v1/data/cover_pages/{name}")
    assert len(pdf_of(response).pages) == 1
    assert response.content == (client.box.cover_pages_dir / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nope.pdf", "Cover page not found."),
        ("layouts.json", "Cover page not found."),
        ("README.md", "Cover page not found."),
        ("DEFAULT.PDF", "Cover page not found."),
        ("..%2F..%2Fusers.json", "Not Found"),  # the path decodes to two more segments: no such route
    ],
)
def test_unknown_cover_page_files_are_404(client, name, message):
    assert_error(client.get(f"/ffws/v1/data/cover_pages/{name}"), 404, message)
