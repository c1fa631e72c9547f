"""text/plain attachments: typeset like a line printer would, Courier 10 pt on US-Letter."""

import codecs
from pathlib import Path

from .errors import ConversionError
from .pdf import PAGE_HEIGHT, PAGE_WIDTH, atomic_output, new_canvas

COLUMNS = 80
LINES_PER_PAGE = 60
TAB_SIZE = 8
FONT = "Courier"
FONT_SIZE = 10
LEADING = 11.5
# Courier advances 0.6 em per character, so 80 columns are 480 pt wide; centre them on the page.
LEFT_MARGIN = (PAGE_WIDTH - COLUMNS * 0.6 * FONT_SIZE) / 2
TOP_MARGIN = 54

# Control characters other than tab, newline and form feed have no glyph and would print as boxes.
_INVISIBLE_CONTROLS = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\t\n\f"), 0x7F])

# cp1252 before latin-1: files that are "Latin-1" in practice are usually Windows-1252, whose 0x80-0x9F
# are printable (quotes, euro sign) where latin-1 would give invisible C1 controls.
_FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Windows editors save "Unicode" text as UTF-16 with a byte order mark and no declared charset.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset or a UTF-16 BOM if that works, else UTF-8, else Latin-1 (cp1252).

    NUL characters mean binary data mislabelled as text, which would fax as pages of gibberish.
    """
    encodings = [charset] if charset else []
    if data.startswith(_UTF16_BOMS):
        encodings.append("utf-16")
    for encoding in [*encodings, *_FALLBACK_ENCODINGS]:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" not in text:
            return text
    raise ConversionError("text is not valid UTF-8 or Latin-1")


def paginate(text: str) -> list[list[str]]:
    """Split text into pages of at most LINES_PER_PAGE lines of at most COLUMNS characters.

    A form feed starts a new page; a final form feed only ends the last page, as on a printer.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE_CONTROLS)
    sheets = text.split("\f")
    if len(sheets) > 1 and not sheets[-1].strip("\n"):
        sheets.pop()
    pages: list[list[str]] = []
    for sheet in sheets:
        lines = [piece for line in _sheet_lines(sheet) for piece in _wrap(line.expandtabs(TAB_SIZE))]
        pages.extend([lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]])
    return pages


def _sheet_lines(sheet: str) -> list[str]:
    lines = sheet.split("\n")
    # A newline terminates a line rather than starting another one.
    if sheet.endswith("\n"):
        lines.pop()
    return lines


def _wrap(line: str) -> list[str]:
    # Hard wrapping keeps the column alignment of tables and preformatted text intact.
    return [line[i : i + COLUMNS] for i in range(0, len(line), COLUMNS)] or [""]


def text_to_pdf(data: bytes, dst: Path, charset: str | None = None) -> int:
    """Typeset ``data`` as fax pages at ``dst``; return the page count (one blank page for empty text)."""
    pages = paginate(decode_text(data, charset))
    with atomic_output(dst) as tmp:
        canvas = new_canvas(tmp)
        for lines in pages:
            text = canvas.beginText(LEFT_MARGIN, PAGE_HEIGHT - TOP_MARGIN - FONT_SIZE)
            text.setFont(FONT, FONT_SIZE, LEADING)
            for line in lines:
                text.textLine(line)
            canvas.drawText(text)
            canvas.showPage()
        canvas.save()
    return len(pages)
