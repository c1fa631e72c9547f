"""Conversion under the box's budgets, over HTTP as a client sees it (issue 10, item 1): a document over a budget
(pages of an attachment or of a fax, pixels, TIFF frames, CPU seconds) ends its fax ``dead`` with the reason, the
other faxes are converted and sent, and the next conversion works. A preview that cannot be rendered within the
budgets answers the device's 404, never a 500."""

from __future__ import annotations

import pytest

from emulator.device import preprocess
from tests.conftest import FFClient, assert_error, make_box, restart_box
from tests.documents_builders import blank_png_bytes, many_frames_tiff_bytes, many_pages_pdf_bytes
from tests.ffws.clients import advance, attachment, cover, fax_to, schedule, schedule_body, text_bytes, view

FIRST, SECOND = "00000001/0000", "00000002/0000"
PREVIEW = "/ffws/v1/data/preview/00000001-0000.pdf"
HUGE_PAGES = {"max_attachment_pages": 1_000_000, "max_fax_pages": 1_000_000}
# 20,000,000 empty lines, 333,334 pages: far more than a CPU second of typesetting on any machine.
LONG_TEXT = b"\n" * 20_000_000


def schedule_with(client, *attachments: str, cover_page: str | None = None) -> None:  # noqa: ANN001
    options = {} if cover_page is None else {"cover_page": cover_page}
    schedule(client, schedule_body(attachments=list(attachments), **options))


def dead_with(client, key: str, message: str) -> None:  # noqa: ANN001
    entry = view(client, key)
    assert (entry["state"], entry["schedule_message"]) == ("dead", message)


def test_a_text_of_form_feeds_is_refused_at_its_page_budget_and_the_next_fax_is_sent(client):
    schedule_with(client, attachment(b"\f" * 2_000_000, "text/plain", "bomb.txt"))  # two million pages once
    schedule(client, fax_to("555-0100"))
    advance(client, 600)
    dead_with(client, FIRST, "Conversion failed: attachment bomb.txt: more than 500 pages")
    assert view(client, SECOND)["state"] == "sent"


def test_lines_count_towards_the_page_budget(client):
    schedule_with(client, attachment(text_bytes(500 * 60 + 1), "text/plain", "long.txt"))
    schedule_with(client, attachment(text_bytes(500 * 60), "text/plain", "just.txt"))
    advance(client, 600)
    dead_with(client, FIRST, "Conversion failed: attachment long.txt: more than 500 pages")
    assert (view(client, SECOND)["state"], view(client, SECOND)["pages"]) == ("sending", "500")  # (a long call)


@pytest.mark.parametrize("settings_overrides", [{"max_attachment_pages": 5, "max_fax_pages": 8}])
def test_the_fax_budget_counts_every_attachment_and_the_cover_page(client):
    four = text_bytes(4 * 60)
    schedule_with(client, attachment(four, "text/plain", "a.txt"), attachment(four, "text/plain", "b.txt"))
    schedule_with(
        client, attachment(four, "text/plain", "a.txt"), attachment(four, "text/plain", "b.txt"), cover_page=cover()
    )
    schedule_with(client, attachment(text_bytes(6 * 60), "text/plain", "six.txt"))
    advance(client, 900)
    assert (view(client, FIRST)["state"], view(client, FIRST)["pages"]) == ("sent", "8")
    over = "the fax would have more than 8 pages (its cover page included)"
    dead_with(client, SECOND, f"Conversion failed: attachment b.txt: {over}")
    dead_with(client, "00000003/0000", "Conversion failed: attachment six.txt: more than 5 pages")


def test_a_tiff_of_100000_frames_is_refused_at_its_frame_budget(client):
    schedule_with(client, attachment(many_frames_tiff_bytes(100_000), "image/tiff", "frames.tif"))
    schedule(client, fax_to("555-0100"))
    advance(client, 600)
    dead_with(client, FIRST, "Conversion failed: attachment frames.tif: TIFF has more than 500 frames")
    assert view(client, SECOND)["state"] == "sent"


def test_a_png_of_13000_by_13000_pixels_is_refused_at_its_pixel_budget(client):
    schedule_with(client, attachment(blank_png_bytes(13_000, 13_000), "image/png", "huge.png"))  # 657 kB
    schedule(client, fax_to("555-0100"))
    advance(client, 600)
    dead_with(
        client, FIRST, "Conversion failed: attachment huge.png: image is too large (more than 50,000,000 pixels a page)"
    )
    assert view(client, SECOND)["state"] == "sent"


def test_a_picture_at_the_pixel_budget_converts_within_the_memory_budget(client):
    schedule_with(client, attachment(blank_png_bytes(7071, 7071), "image/png", "big.png"))  # 50.0 MP of RGBA
    advance(client, 600)
    assert (view(client, FIRST)["state"], view(client, FIRST)["pages"]) == ("sent", "1")


@pytest.mark.parametrize("settings_overrides", [{"conversion_cpu_seconds": 1, **HUGE_PAGES}])
def test_a_conversion_past_its_cpu_seconds_is_stopped_and_the_next_one_works(client):
    schedule_with(client, attachment(LONG_TEXT, "text/plain", "long.txt"))
    schedule(client, fax_to("555-0100"))
    advance(client, 600)
    dead_with(client, FIRST, "Conversion failed: attachment long.txt: conversion took more than 1 CPU second")
    assert view(client, SECOND)["state"] == "sent"  # converted by a fresh worker


def test_a_preview_that_cannot_be_rendered_within_the_budgets_is_404(template_dir, tmp_path, monkeypatch):
    # Converted by a box with time to spare (a PDF is only counted and copied) ...
    generous = FFClient(make_box(template_dir, tmp_path / "generous", **HUGE_PAGES))
    try:
        schedule_with(generous, attachment(many_pages_pdf_bytes(20_000), "application/pdf", "pages.pdf"))
        advance(generous, 5)
        assert view(generous, FIRST)["pages"] == "20000"
    finally:
        generous.close()
    # ... previewed by one with one CPU second for it. Merging 20,000 pages takes several here, but a faster
    # machine might not need them: the rendering is a job that never ends, so that only the budget can end it.
    strict = FFClient(restart_box(generous.box, tmp_path / "strict", conversion_cpu_seconds=1, **HUGE_PAGES))
    jobs = []
    run = preprocess.worker.run

    def endless_preview(job, args, limits):  # noqa: ANN001, ANN202
        jobs.append(job)
        if job == "render_preview":
            return run("tests.documents.worker_jobs:spin", (), limits)
        return run(job, args, limits)

    monkeypatch.setattr(preprocess.worker, "run", endless_preview)
    try:
        stored = sorted(strict.box.store.fax_dir(1).iterdir())
        message = "Preview not available: conversion took more than 1 CPU second."
        assert_error(strict.get(PREVIEW), 404, message)
        assert_error(strict.get(PREVIEW), 404, message)  # remembered: not rendered again
        assert jobs == ["render_preview"]
        assert sorted(strict.box.store.fax_dir(1).iterdir()) == stored  # no half preview left behind
        assert strict.get("/_emulator/health").status_code == 200
    finally:
        strict.close()
