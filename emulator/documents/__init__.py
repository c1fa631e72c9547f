"""Turning fax attachments into fax pages: conversions to PDF, cover pages, merging and placeholders."""

from .convert import SUPPORTED_CONTENT_TYPES, attachment_to_pdf, image_or_pdf_to_pdf
from .cover import CoverFields, load_layouts, render_cover_page
from .errors import ConversionError
from .pages import count_pages, first_pages, merge_pdfs, placeholder_fax_pdf

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
