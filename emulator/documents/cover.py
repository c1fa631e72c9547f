"""Cover pages: field values drawn on a reportlab overlay and stamped onto a one-page PDF template."""

import dataclasses
import io
import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .errors import ConversionError, reraise_as_conversion_error
from .fonts import font_name
from .pdf import atomic_output, fit_text, new_canvas, open_pdf

DEFAULT_FONT_SIZE = 11
LINE_SPACING = 1.2
# Values are cut off this far from the page edge even where the layout gives no width.
EDGE_MARGIN = 18


@dataclasses.dataclass(frozen=True)
class CoverFields:
    sender_name: str = ""
    sender_organization: str = ""
    sender_phone_number: str = ""
    sender_fax_number: str = ""
    sender_email_address: str = ""
    recipient_name: str = ""
    recipient_organization: str = ""
    recipient_fax_number: str = ""
    recipient_phone_number: str = ""
    subject: str = ""
    comments: str = ""
    pages: int = 0  # total pages of the fax, cover page included
    date: str = ""  # preformatted by the caller, e.g. "2026-01-01T00:00:00"


FIELD_NAMES = tuple(field.name for field in dataclasses.fields(CoverFields))

# The layout of fixtures/cover_pages/default.pdf, also used for templates that have no layout entry.
# Single-line fields: baseline start (x, y), font size, optional width beyond which text is cut off.
# comments: a box given by its top-left corner (x, y), width and height; text wraps inside it.
DEFAULT_LAYOUT: dict[str, dict[str, float]] = {
    "recipient_name": {"x": 160, "y": 630, "size": 11, "width": 398},
    "recipient_organization": {"x": 160, "y": 610, "size": 11, "width": 398},
    "recipient_fax_number": {"x": 160, "y": 590, "size": 11, "width": 398},
    "recipient_phone_number": {"x": 160, "y": 570, "size": 11, "width": 398},
    "sender_name": {"x": 160, "y": 530, "size": 11, "width": 398},
    "sender_organization": {"x": 160, "y": 510, "size": 11, "width": 398},
    "sender_fax_number": {"x": 160, "y": 490, "size": 11, "width": 398},
    "sender_phone_number": {"x": 160, "y": 470, "size": 11, "width": 398},
    "sender_email_address": {"x": 160, "y": 450, "size": 11, "width": 398},
    "date": {"x": 160, "y": 410, "size": 11, "width": 398},
    "pages": {"x": 160, "y": 390, "size": 11, "width": 398},
    "subject": {"x": 160, "y": 370, "size": 11, "width": 398},
    "comments": {"x": 62, "y": 312, "size": 11, "width": 488, "height": 232},
}


def load_layouts(directory: Path) -> dict[str, dict]:
    """Read ``directory/layouts.json`` -> {template file name: layout}; key "*" is the default layout.

    A missing file means no layouts (every template then uses DEFAULT_LAYOUT); a malformed one raises
    ValueError because silently misplaced cover text is harder to diagnose than a loud failure.
    """
    path = directory / "layouts.json"
    if not path.exists():
        return {}
    try:
        layouts = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(layouts, dict):
        raise ValueError(f"{path}: expected an object mapping template file names to layouts")
    for name, layout in layouts.items():
        validate_layout(layout, f"{path} [{name}]")
    return layouts


def validate_layout(layout: Any, where: str) -> None:
    """Raise ValueError unless ``layout`` maps CoverFields names to positions with numeric coordinates."""
    if not isinstance(layout, dict):
        raise ValueError(f"{where}: a layout must be an object")
    for name, spec in layout.items():
        if name not in FIELD_NAMES:
            raise ValueError(f"{where}: unknown field {name!r}")
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: {name} must be an object")
        required = ("x", "y", "width", "height") if name == "comments" else ("x", "y")
        for key in {*required, *spec.keys() & {"size", "width", "height"}}:
            value = spec.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where}: {name}.{key} must be a number")
        if spec.get("size", DEFAULT_FONT_SIZE) <= 0:
            raise ValueError(f"{where}: {name}.size must be positive")


def render_cover_page(
    template: Path, fields: CoverFields, dst: Path, layout: dict | None = None, *, font: Path | None = None
) -> int:
    """Render a one-page cover at ``dst`` from the first page of ``template``; return 1.

    ``layout`` None means the entry for ``template.name`` in the layouts.json beside the template, else its
    "*" entry, else DEFAULT_LAYOUT. ``font``: the TrueType font the values are drawn in (the box gives the one its
    settings found, see fonts.py); None means Helvetica, Latin-1 only. A character the font lacks is drawn as its
    missing-glyph box.
    """
    if layout is None:
        layout = _layout_for(template)
    validate_layout(layout, template.name)
    try:
        name = font_name(font)
    except ValueError as exc:  # checked at start-up, so gone or changed since: it may be back next time
        raise ConversionError(f"cover page font unusable: {exc}", permanent=False) from None
    with open_pdf(template) as reader:
        with reraise_as_conversion_error("not a valid PDF"):
            writer = PdfWriter()
            page = writer.add_page(reader.pages[0])
            box = page.mediabox
            bounds = (float(box.left), float(box.bottom), float(box.right), float(box.top))
        overlay = _render_overlay(fields, layout, bounds, name)
        with reraise_as_conversion_error("not a valid PDF"):
            page.merge_page(PdfReader(io.BytesIO(overlay)).pages[0])
        with atomic_output(dst) as tmp:
            writer.write(tmp)
    return 1


def _layout_for(template: Path) -> dict:
    layouts = load_layouts(template.parent)
    if template.name in layouts:
        return layouts[template.name]
    return layouts.get("*", DEFAULT_LAYOUT)


def _render_overlay(fields: CoverFields, layout: dict, bounds: tuple[float, float, float, float], font: str) -> bytes:
    """A transparent page, in the template's coordinate space, carrying only the field values."""
    left, bottom, right, top = bounds
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, pagesize=(right, top))
    for name, spec in layout.items():
        value = _field_text(fields, name)
        # A position off the page would put text outside it whatever the cut-off.
        if not value or not (left <= spec["x"] <= right and bottom <= spec["y"] <= top):
            continue
        size = spec.get("size", DEFAULT_FONT_SIZE)
        canvas.setFont(font, size)
        if name == "comments":
            _draw_box(canvas, value, spec, font, size, (bottom + EDGE_MARGIN, right - EDGE_MARGIN))
        else:
            width = min(spec.get("width", right), right - EDGE_MARGIN - spec["x"])
            canvas.drawString(spec["x"], spec["y"], fit_text(" ".join(value.split()), font, size, width))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _field_text(fields: CoverFields, name: str) -> str:
    value = getattr(fields, name)
    if name == "pages":
        return str(value) if value > 0 else ""
    return value


def _draw_box(canvas: Canvas, text: str, spec: dict, font: str, size: float, limits: tuple[float, float]) -> None:
    """Wrap ``text`` into the box line by line, dropping whatever does not fit inside the box or the page."""
    lowest, rightmost = limits
    width = min(spec["width"], rightmost - spec["x"])
    height = min(spec["height"], spec["y"] - lowest)
    leading = size * LINE_SPACING
    if width <= 0 or height < size:
        return
    max_lines = int((height - size) // leading) + 1
    baseline = spec["y"] - size
    for line in islice(wrap_lines(text, font, size, width), max_lines):
        canvas.drawString(spec["x"], baseline, line)
        baseline -= leading


def wrap_lines(text: str, font: str, size: float, width: float) -> Iterator[str]:
    """Greedy word wrap; newlines in ``text`` are kept and words wider than ``width`` are broken."""
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                yield line
            line = word
            while line and stringWidth(line, font, size) > width:
                # At least one character per line, or a box narrower than a glyph would loop forever.
                head = fit_text(line, font, size, width) or line[0]
                yield head
                line = line[len(head) :]
        yield line
