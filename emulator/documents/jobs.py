"""What a conversion worker process may be asked to do, by name (emulator.documents.worker runs them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .convert import attachment_to_pdf, received_to_pdf
from .cover import CoverFields, render_cover_page
from .limits import Limits
from .pages import merge_pdfs


def convert_attachment(content_type: str, src: Path, dst: Path, *, limits: Limits) -> int:
    return attachment_to_pdf(content_type, src, dst, limits)


def convert_received(src: Path, dst: Path, *, limits: Limits) -> int:
    return received_to_pdf(src, dst, limits, rewrite=True)


def render_preview(
    cover: tuple[Path, CoverFields, Path] | None, parts: list[Path], target: Path, *, limits: Limits
) -> int:
    """A fax as transmitted: its cover page (``(template, fields, where to write it)``), if any, then ``parts``."""
    if cover is not None:
        template, fields, cover_pdf = cover
        render_cover_page(template, fields, cover_pdf, font=limits.cover_font)
        parts = [cover_pdf, *parts]
    return merge_pdfs(parts, target)


JOBS: dict[str, Callable[..., Any]] = {
    "convert_attachment": convert_attachment,
    "convert_received": convert_received,
    "render_preview": render_preview,
}
