"""The disk quota (--disk-quota, issue 10 item 6): a fax beyond it is refused with nothing written, conversions
beyond it end their fax dead, previews are a cache evicted to stay within it (503 when that cannot make room), and
the tally is walked lazily, kept up to date, and walked again after a reset or an import."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from emulator import documents
from emulator.box import Box
from emulator.device.previews import PREVIEW_NO_STORAGE, SHARED
from emulator.device.quota import (
    ATTACHMENT_OVERHEAD,
    CONVERSION_NO_STORAGE,
    PREVIEW_OVERHEAD,
    conversion_reserve,
)
from emulator.ffws.ofax.service import NOT_ENOUGH_STORAGE
from tests.conftest import FFClient, assert_error, box_state, make_box
from tests.ffws.clients import (
    OFAX,
    advance,
    attachment,
    cover,
    entries_of,
    fax_to,
    pdf_bytes,
    recipient,
    schedule,
    schedule_body,
    text_bytes,
    view,
)

PAGES = 200  # a PDF of ~90 KB: large beside the few hundred bytes the rest of a data dir's documents take
BASE_SLACK = 2048  # what a fresh box's documents may take before any fax (its .generation marker)


@pytest.fixture
def box_with(template_dir: Path, tmp_path: Path) -> Iterator[Callable[..., FFClient]]:
    """Make a box of the test's own with these settings (a disk quota, say); closed at the end."""
    made: list[FFClient] = []

    def make(**overrides: object) -> FFClient:
        client = FFClient(make_box(template_dir, tmp_path / f"data-{len(made)}", **overrides))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def incoming_files(box: Box) -> list[Path]:
    return sorted(p for p in box.store.incoming.rglob("*") if p.is_file()) if box.store.incoming.exists() else []


def assert_tally_is_the_disk(box: Box) -> None:
    """The tally kept up to date by the box's writes is what a walk of the disk finds now."""
    kept = box.quota.usage()
    box.quota.invalidate()
    walked = box.quota.usage()
    assert kept == walked


def merged_size(pdf: bytes, tmp_path: Path) -> int:
    """The size of a coverless preview of one attachment ``pdf`` (a PDF is converted byte for byte)."""
    source, target = tmp_path / "source.pdf", tmp_path / "merged.pdf"
    source.write_bytes(pdf)
    documents.merge_pdfs([source], target)
    return target.stat().st_size


def preview_url(fax_id: int, number: int = 0) -> str:
    return f"/ffws/v1/data/preview/{fax_id:08X}-{number:04X}.pdf"


# -- scheduling ------------------------------------------------------------------------------------------------------
def test_a_fax_beyond_the_quota_is_refused_and_nothing_is_written(box_with):
    client = box_with(disk_quota=100 * 1024)
    body = schedule_body(attachments=[attachment(text_bytes(12_000))])  # ~120 KB of text
    before, usage = box_state(client.box), client.box.quota.usage()

    assert_error(client.post(OFAX, body), 400, NOT_ENOUGH_STORAGE)

    assert box_state(client.box) == before
    assert client.box.quota.usage() == usage
    assert incoming_files(client.box) == []
    assert entries_of(client.get(OFAX)) == []
    assert_tally_is_the_disk(client.box)


def test_a_content_length_that_cannot_fit_is_refused_before_the_body_is_read(box_with):
    client = box_with(disk_quota=100 * 1024)
    body = schedule_body(attachments=[attachment(b"x" * 400_000)]).encode()
    before = box_state(client.box)
    read: list[int] = []

    async def stream() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            read.append(start)
            yield body[start : start + 65536]

    response = client.post(OFAX, stream(), headers={"content-length": str(len(body))})

    assert_error(response, 400, NOT_ENOUGH_STORAGE)
    assert response.headers["connection"] == "close"
    assert len(read) <= 1  # (the test client may hand over its first chunk before the answer)
    assert box_state(client.box) == before
    assert incoming_files(client.box) == []


def test_a_quota_that_allows_one_fax_refuses_the_next(box_with):
    pdf = pdf_bytes(PAGES)
    need = len(pdf) + conversion_reserve(len(pdf), "application/pdf")
    client = box_with(disk_quota=need + need // 2)

    schedule(client, fax_to("5551001", pages=PAGES))
    usage = client.box.quota.usage()
    assert (usage.used, usage.reserved) == (pytest.approx(len(pdf), abs=BASE_SLACK), len(pdf) + ATTACHMENT_OVERHEAD)
    before = box_state(client.box)

    assert_error(client.post(OFAX, fax_to("5551002", pages=PAGES)), 400, NOT_ENOUGH_STORAGE)
    assert box_state(client.box) == before
    assert client.box.quota.usage() == usage

    # Once converted, the fax takes its PDF instead of the reserve; the queue sends it as usual.
    advance(client, 5)
    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["pages"]) == ("sending", str(PAGES))
    usage = client.box.quota.usage()
    assert usage.reserved == 0
    assert usage.used == pytest.approx(2 * len(pdf), abs=BASE_SLACK)
    assert_tally_is_the_disk(client.box)


def test_no_quota_means_no_walk(box_with):
    client = box_with(disk_quota=0)
    schedule(client, fax_to("5551001"))
    advance(client, 600)
    assert client.get(preview_url(1)).status_code == 200
    assert client.box.quota.walks == 0


# -- conversion ------------------------------------------------------------------------------------------------------
def noise_jpeg(size: int = 300) -> bytes:
    """A JPEG of colour noise (~56 KB): its converted PDF (the pixels, flate-compressed) is ~6x larger, beyond the
    reserve (4x)."""
    image = Image.frombytes("RGB", (size, size), random.Random(7).randbytes(3 * size * size))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()


def test_a_conversion_beyond_the_quota_ends_its_fax_dead_and_the_queue_goes_on(box_with, tmp_path):
    jpeg = noise_jpeg()
    source, converted = tmp_path / "a.jpg", tmp_path / "a.pdf"
    source.write_bytes(jpeg)
    documents.attachment_to_pdf("image/jpeg", source, converted)
    reserve = conversion_reserve(len(jpeg), "image/jpeg")
    assert converted.stat().st_size > reserve + 2 * BASE_SLACK  # (what makes this test meaningful)
    client = box_with(disk_quota=len(jpeg) + reserve + BASE_SLACK)
    picture = schedule_body(attachments=[attachment(jpeg, "image/jpeg", "noise.jpg")])

    schedule(client, picture)
    advance(client, 600)

    entry = view(client, "00000001/0000")
    assert (entry["state"], entry["schedule_message"]) == ("dead", CONVERSION_NO_STORAGE)
    assert not client.box.store.attachment_pdf(1, 1).exists()
    assert incoming_files(client.box) == []
    usage = client.box.quota.usage()
    assert (usage.reserved, usage.used) == (0, pytest.approx(len(jpeg), abs=BASE_SLACK))
    # The queue keeps running: a fax that fits is converted and sent.
    schedule(client, schedule_body(attachments=[attachment(b"hello\n")]))
    advance(client, 600)
    assert view(client, "00000002/0000")["state"] == "sent"
    assert_tally_is_the_disk(client.box)


# -- previews --------------------------------------------------------------------------------------------------------
def test_previews_are_evicted_least_recently_served_first_to_stay_within_the_quota(box_with, tmp_path):
    pdf = pdf_bytes(PAGES)
    size, merged = len(pdf), merged_size(pdf, tmp_path)
    estimate = size + PREVIEW_OVERHEAD
    # Three faxes (each its attachment and its converted PDF) and room for two previews, not three.
    quota = 6 * size + merged + estimate + merged // 2
    client = box_with(disk_quota=quota)
    for number in ("5551001", "5551002", "5551003"):
        schedule(client, fax_to(number, pages=PAGES))
    advance(client, 5)  # converted, not sent yet
    assert client.box.store.attachment_pdf(1, 1).stat().st_size == size
    shared = [client.box.store.fax_dir(fax_id) / SHARED for fax_id in (1, 2, 3)]

    for fax_id in (1, 2, 1):  # fax 2's preview is now the least recently served
        assert client.get(preview_url(fax_id)).status_code == 200
    assert [p.exists() for p in shared] == [True, True, False]
    assert client.box.quota.usage().total <= quota

    before = box_state(client.box)
    assert client.get(preview_url(3)).status_code == 200
    assert [p.exists() for p in shared] == [True, False, True]
    assert client.box.quota.usage().total <= quota
    evicted = {name for name in before.documents if name not in box_state(client.box).documents}
    assert evicted == {"faxes/00000002/preview.pdf"}

    # An evicted preview is rendered again when asked for (evicting the one least recently served: fax 1's).
    assert client.get(preview_url(2)).content.startswith(b"%PDF")
    assert [p.exists() for p in shared] == [False, True, True]
    assert_tally_is_the_disk(client.box)


def test_a_preview_that_cannot_fit_answers_503_and_writes_nothing(box_with):
    pdf = pdf_bytes(PAGES)
    size = len(pdf)
    # The fax fits (its attachment and what is reserved for its PDF); its preview, beside the PDF, does not.
    quota = size + conversion_reserve(size, "application/pdf") + BASE_SLACK
    assert quota < 2 * size + size + PREVIEW_OVERHEAD
    client = box_with(disk_quota=quota)
    schedule(client, fax_to("5551001", pages=PAGES))
    advance(client, 5)
    before = box_state(client.box)

    response = client.get(preview_url(1))

    assert_error(response, 503, PREVIEW_NO_STORAGE)
    assert box_state(client.box) == before
    assert client.box.quota.usage().total <= quota
    assert_tally_is_the_disk(client.box)


def test_entries_of_a_fax_without_cover_page_share_one_preview_file(box_with):
    client = box_with()
    recipients = [recipient(f"555100{n}") for n in range(4)]
    schedule(client, schedule_body(recipients=recipients, attachments=[attachment(text_bytes(100))]))
    advance(client, 5)

    answers = [client.get(preview_url(1, n)) for n in range(4)]

    assert all(a.status_code == 200 for a in answers)
    assert len({a.content for a in answers}) == 1
    assert [p.name for p in client.box.store.fax_dir(1).glob("*.pdf") if "attachment" not in p.name] == [SHARED]


def test_entries_with_a_cover_page_keep_a_preview_each(box_with):
    client = box_with()
    body = schedule_body(
        cover_page=cover(subject="Hello"),
        recipients=[recipient("5551001", name="One"), recipient("5551002", name="Two")],
        attachments=[attachment(b"hello\n")],
    )
    schedule(client, body)
    advance(client, 5)

    answers = [client.get(preview_url(1, n)) for n in range(2)]

    assert all(a.status_code == 200 for a in answers)
    assert answers[0].content != answers[1].content
    assert (client.box.store.preview(1, 0).exists(), client.box.store.preview(1, 1).exists()) == (True, True)
    assert_tally_is_the_disk(client.box)


# -- the tally -------------------------------------------------------------------------------------------------------
def test_the_tally_is_walked_lazily_once_and_again_after_a_reset(box_with):
    client = box_with(disk_quota=64 * 1024 * 1024)
    quota = client.box.quota
    assert (quota.known, quota.walks) == (False, 0)  # nothing walked at start
    client.get(OFAX)
    assert quota.walks == 0  # nor by a request that stores nothing

    for number in ("5551001", "5551002", "5551003"):
        schedule(client, fax_to(number, pages=PAGES))
    advance(client, 600)
    assert client.get(preview_url(1)).status_code == 200
    assert quota.walks == 1  # the first schedule walked; the rest kept the tally up to date
    assert quota.usage().used > 6 * len(pdf_bytes(PAGES))
    assert_tally_is_the_disk(client.box)

    assert client.post("/_emulator/reset").status_code == 200
    assert not quota.known
    usage = quota.usage()
    assert (usage.used, usage.reserved, usage.cached) == (pytest.approx(0, abs=BASE_SLACK), 0, 0)


def test_the_tally_is_walked_again_after_an_import(box_with):
    client = box_with(disk_quota=64 * 1024 * 1024)
    schedule(client, fax_to("5551001", pages=PAGES))
    snapshot = client.get("/_emulator/state/export").json()
    assert client.post("/_emulator/reset").status_code == 200
    assert client.box.quota.usage().reserved == 0

    assert client.post("/_emulator/state/import", json=snapshot).status_code == 200

    usage = client.box.quota.usage()
    assert usage.reserved == conversion_reserve(len(pdf_bytes(PAGES)), "application/pdf")
    assert usage.used >= len(pdf_bytes(PAGES))
    assert_tally_is_the_disk(client.box)


def test_a_fax_aborted_before_its_conversion_keeps_no_reserve_once_walked(box_with):
    client = box_with(disk_quota=10 * 1024 * 1024)
    schedule(client, fax_to("5551001", pages=PAGES))
    assert client.box.quota.usage().reserved > 0
    assert client.delete("/ffws/v1/ofax/00000001").status_code in (200, 202)
    advance(client, 600)  # it is never converted: aborted while it was preprocessing
    assert view(client, "00000001/0000")["state"] == "aborted"
    client.box.quota.invalidate()
    assert client.box.quota.usage().reserved == 0
