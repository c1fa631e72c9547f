"""Turning fax attachments into fax pages: conversions to PDF, cover pages, merging and placeholders.

The PDF and image libraries take a noticeable part of a second to import, so this package loads them the first time
one of its functions is used, not when the emulator starts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import ConversionError
from .types import SUPPORTED_CONTENT_TYPES

if TYPE_CHECKING:
    from .convert import attachment_to_pdf, image_or_pdf_to_pdf
    from .cover import CoverFields, load_layouts, render_cover_page
    from .pages import count_pages, first_pages, merge_pdfs, placeholder_fax_pdf

_LAZY = {
    "attachment_to_pdf": "convert",
    "image_or_pdf_to_pdf": "convert",
    "CoverFields": "cover",
    "load_layouts": "cover",
    "render_cover_page": "cover",
    "count_pages": "pages",
    "first_pages": "pages",
    "merge_pdfs": "pages",
    "placeholder_fax_pdf": "pages",
}

__all__ = [
    "SUPPORTED_CONTENT_TYPES",
    "ConversionError",
    "CoverFields",
    "attachment_to_pdf",
    "count_pages",
    "first_pages",
    "image_or_pdf_to_pdf",
    "load_layouts",
    "merge_pdfs",
    "placeholder_fax_pdf",
    "render_cover_page",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
