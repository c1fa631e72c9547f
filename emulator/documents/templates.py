"""Generate the cover page template fixtures and their layouts.json.

Usage: ``python -m emulator.documents.templates fixtures/cover_pages``

Each template prints the labels; the matching layout says where render_cover_page draws the values, so
both are derived from the same coordinates here.
"""

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from .cover import DEFAULT_LAYOUT
from .pdf import PAGE_WIDTH, new_canvas

RECIPIENT_FIELDS = ("recipient_name", "recipient_organization", "recipient_fax_number", "recipient_phone_number")
SENDER_FIELDS = (
    "sender_name",
    "sender_organization",
    "sender_fax_number",
    "sender_phone_number",
    "sender_email_address",
)
FIELD_LABELS = {
    "recipient_name": "To:",
    "recipient_organization": "Organization:",
    "recipient_fax_number": "Fax:",
    "recipient_phone_number": "Phone:",
    "sender_name": "From:",
    "sender_organization": "Organization:",
    "sender_fax_number": "Fax:",
    "sender_phone_number": "Phone:",
    "sender_email_address": "E-mail:",
    "date": "Date:",
    "pages": "Pages:",
    "subject": "Subject:",
}
LEFT = 54
RIGHT = int(PAGE_WIDTH) - LEFT

Layout = dict[str, dict[str, float]]


def _line(x: float, y: float, width: float, size: float = 10) -> dict[str, float]:
    return {"x": x, "y": y, "size": size, "width": width}


def _draw_default(canvas: Canvas, layout: Layout) -> None:
    """A big "FAX" title over a single column of labels."""
    canvas.setFont("Helvetica-Bold", 64)
    canvas.drawString(LEFT, 690, "FAX")
    canvas.setLineWidth(3)
    canvas.line(LEFT, 672, RIGHT, 672)
    canvas.setFont("Helvetica-Bold", 11)
    for field, label in FIELD_LABELS.items():
        canvas.drawString(LEFT, layout[field]["y"], label)
    canvas.setLineWidth(0.5)
    for y in (550, 430):
        canvas.line(LEFT, y, RIGHT, y)
    comments = layout["comments"]
    canvas.drawString(LEFT, comments["y"] + 18, "Comments:")
    canvas.rect(LEFT, comments["y"] - comments["height"] - 8, RIGHT - LEFT, comments["height"] + 16)


_LETTERHEAD_LAYOUT: Layout = {
    **{field: _line(140, 640 - 20 * row, 166) for row, field in enumerate(RECIPIENT_FIELDS)},
    **{field: _line(400, 640 - 20 * row, 158) for row, field in enumerate(SENDER_FIELDS)},
    "date": _line(140, 515, 166),
    "pages": _line(400, 515, 158),
    "subject": _line(140, 495, RIGHT - 140),
    "comments": {"x": LEFT, "y": 440, "size": 10, "width": RIGHT - LEFT, "height": 360},
}


def _draw_letterhead(canvas: Canvas, layout: Layout) -> None:
    """A company-style dark header band, recipient and sender side by side."""
    canvas.setFillGray(0.15)
    canvas.rect(0, 702, PAGE_WIDTH, 90, stroke=0, fill=1)
    canvas.setFillGray(1)
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawString(LEFT, 752, "YOUR COMPANY NAME")
    canvas.setFont("Helvetica", 10)
    canvas.drawString(LEFT, 732, "100 Example Road, Springfield \xb7 Tel +1 555 0100")
    canvas.setFont("Helvetica-Bold", 26)
    canvas.drawRightString(RIGHT, 738, "FACSIMILE")
    canvas.setFillGray(0.4)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(LEFT, 665, "RECIPIENT")
    canvas.drawString(324, 665, "SENDER")
    canvas.setFillGray(0)
    canvas.setFont("Helvetica-Bold", 10)
    for field, label in FIELD_LABELS.items():
        spec = layout[field]
        canvas.drawString(LEFT if spec["x"] < PAGE_WIDTH / 2 else 324, spec["y"], label)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT, 540, RIGHT, 540)
    canvas.drawString(LEFT, layout["comments"]["y"] + 15, "Comments:")
    canvas.line(LEFT, layout["comments"]["y"] + 8, RIGHT, layout["comments"]["y"] + 8)
    canvas.setFont("Helvetica-Oblique", 7)
    canvas.drawString(LEFT, 50, "This facsimile may contain confidential information intended only for the addressee.")


# (field, cell left, cell top, cell width) for the boxed template; every cell is 40 pt high.
_CELLS = (
    ("recipient_name", 54, 712, 252),
    ("sender_name", 306, 712, 252),
    ("recipient_organization", 54, 672, 252),
    ("sender_organization", 306, 672, 252),
    ("recipient_fax_number", 54, 632, 252),
    ("sender_fax_number", 306, 632, 252),
    ("recipient_phone_number", 54, 592, 252),
    ("sender_phone_number", 306, 592, 252),
    ("date", 54, 552, 252),
    ("sender_email_address", 306, 552, 252),
    ("pages", 54, 512, 100),
    ("subject", 154, 512, 404),
)
_CELL_HEIGHT = 40
_COMMENTS_CELL = (54, 54, 504, 418)  # left, bottom, width, height

_BOXED_LAYOUT: Layout = {
    **{field: _line(x + 6, top - 30, width - 12, size=11) for field, x, top, width in _CELLS},
    "comments": {"x": 60, "y": 448, "size": 11, "width": 492, "height": 388},
}


def _draw_boxed(canvas: Canvas, layout: Layout) -> None:
    """Every field in its own ruled cell, with a small label in the cell's corner."""
    canvas.setFillGray(0.85)
    canvas.rect(LEFT, 722, RIGHT - LEFT, 40, stroke=1, fill=1)
    canvas.setFillGray(0)
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawCentredString(PAGE_WIDTH / 2, 734, "FAX TRANSMITTAL")
    canvas.setFont("Helvetica", 8)
    for field, x, top, width in _CELLS:
        canvas.rect(x, top - _CELL_HEIGHT, width, _CELL_HEIGHT)
        canvas.drawString(x + 4, top - 10, FIELD_LABELS[field])
    left, bottom, width, height = _COMMENTS_CELL
    canvas.rect(left, bottom, width, height)
    canvas.drawString(left + 4, bottom + height - 10, "Comments:")


TEMPLATES: dict[str, tuple[Callable[[Canvas, Layout], None], Layout]] = {
    "default.pdf": (_draw_default, DEFAULT_LAYOUT),
    "mts_template2.pdf": (_draw_letterhead, _LETTERHEAD_LAYOUT),
    "mts_template3.pdf": (_draw_boxed, _BOXED_LAYOUT),
}


def write_templates(directory: Path) -> list[Path]:
    """(Re)generate every template PDF and layouts.json in ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (draw, layout) in TEMPLATES.items():
        canvas = new_canvas(directory / name)
        canvas.setTitle(f"FaxFinder emulator cover page template {name}")
        draw(canvas, layout)
        canvas.showPage()
        canvas.save()
        written.append(directory / name)
    layouts = {"*": DEFAULT_LAYOUT, **{name: layout for name, (_, layout) in TEMPLATES.items()}}
    (directory / "layouts.json").write_text(_format_layouts(layouts), encoding="utf-8")
    written.append(directory / "layouts.json")
    return written


def _format_layouts(layouts: dict[str, Layout]) -> str:
    # One field per line keeps the file short enough to read and edit by hand.
    templates = []
    for name, layout in layouts.items():
        entries = ",\n".join(f"    {json.dumps(field)}: {json.dumps(spec)}" for field, spec in layout.items())
        templates.append(f"  {json.dumps(name)}: {{\n{entries}\n  }}")
    return "{\n" + ",\n".join(templates) + "\n}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the cover page template PDFs and layouts.json.")
    parser.add_argument("directory", type=Path, help="output folder, normally fixtures/cover_pages")
    for path in write_templates(parser.parse_args(argv).directory):
        print(path)


if __name__ == "__main__":
    main()
