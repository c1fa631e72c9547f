"""Page thumbnails: drawn in a conversion worker within the box's budgets (a sender's page may take any time and
memory to draw), kept on disk beside their document and counted in the disk quota, evicted with their preview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.device import thumbnails
from emulator.device.previews import SHARED, cache_files, cache_key
from tests.conftest import FFClient, make_box
from tests.documents_builders import slow_page_pdf_bytes
from tests.ffws.clients import advance, attachment, fax_to, recipient, schedule, schedule_body
from tests.ui.pages import Pages

BUDGET = 0.5  # CPU seconds of a conversion job, drawing a page included


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every thumbnail handed to a worker process (the jobs' own entry point: no thumbnail is drawn otherwise)."""
    calls: list[tuple] = []
    run = thumbnails.worker.run

    def counted(job: str, args: tuple, limits: object) -> object:
        if job == "render_thumbnail":
            calls.append(args)
        return run(job, args, limits)

    monkeypatch.setattr(thumbnails.worker, "run", counted)
    return calls


@pytest.fixture
def box(template_dir: Path, tmp_path: Path) -> Iterator[FFClient]:
    client = FFClient(make_box(template_dir, tmp_path / "data", conversion_cpu_seconds=BUDGET))
    yield client
    client.close()


def test_a_page_too_costly_to_draw_is_refused_within_the_budget_and_then_at_once(box, drawn):
    bomb = attachment(slow_page_pdf_bytes(4_000_000), "application/pdf", "slow.pdf")  # ~4 CPU s to draw
    schedule(box, schedule_body(recipients=[recipient("218-555-1234")], attachments=[bomb]))
    schedule(box, fax_to("218-555-4321", pages=2))
    advance(box, 10)  # converted (a PDF is kept byte for byte: nothing draws it)
    pages = Pages(box)
    pages.log_in()
    refused = pages.get("/faxes/00000001/0000/pages/1.png")
    assert refused.status_code == 404
    assert "Page 1 not available: conversion took more than 0.5 CPU seconds." in refused.text
    assert len(drawn) == 1  # in a worker, within the box's budgets
    assert pages.get("/faxes/00000001/0000/pages/1.png").status_code == 404
    assert len(drawn) == 1  # remembered: not drawn again
    other = pages.get("/faxes/00000002/0000/pages/2.png")
    assert other.status_code == 200 and other.content.startswith(b"\x89PNG")
    assert not list(box.box.store.fax_dir(1).glob("*.png"))  # nothing left of the refused one


def test_a_thumbnail_is_kept_beside_its_preview_counted_and_evicted_with_it(box, drawn):
    schedule(box, fax_to("218-555-1234", pages=3))
    advance(box, 10)
    pages = Pages(box)
    pages.log_in()
    first = pages.get("/faxes/00000001/0000/pages/2.png")
    assert first.status_code == 200 and len(drawn) == 1
    assert pages.get("/faxes/00000001/0000/pages/2.png").content == first.content
    assert len(drawn) == 1  # kept on disk: not drawn again
    preview = box.box.store.fax_dir(1) / SHARED
    kept = preview.with_name("preview.p2.png")
    assert kept.read_bytes() == first.content
    assert cache_key(str(kept.parent), kept.name) == str(preview)  # a walk counts it with its preview
    assert kept in cache_files(str(preview))  # and evicting the preview removes it too
    counted = box.box.quota.usage()
    box.box.quota.invalidate()
    walked = box.box.quota.usage()
    assert counted == walked and walked.cached == preview.stat().st_size + kept.stat().st_size
    assert pages.get("/faxes/00000001/0000/pages/4.png").status_code == 404  # beyond its pages: nothing drawn
    assert len(drawn) == 1


def test_a_received_faxs_thumbnails_are_cached_and_a_snapshot_keeps_them(box, drawn):
    box.post("/_emulator/inbound", json={"remote_id": "SUPPLIER", "pages": 2})
    advance(box, 600)
    pages = Pages(box)
    pages.log_in()
    assert pages.get("/inbound/1/pages/2.png").content.startswith(b"\x89PNG")
    kept = box.box.store.inbound(1).with_name("1.p2.png")
    assert kept.exists() and cache_key(str(kept.parent), kept.name) == str(kept)
    snapshot = box.get("/_emulator/state/export").content
    assert "inbound/1.p2.png" in snapshot.decode()
    imported = box.post("/_emulator/state/import", snapshot, headers={"content-type": "application/json"})
    assert imported.status_code == 200, imported.text
