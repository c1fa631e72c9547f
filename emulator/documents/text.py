"""text/plain attachments: typeset like a line printer would, Courier 10 pt on US-Letter."""

import codecs
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from .errors import ConversionError
from .limits import TooManyPages
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
# A tab never reaches past the end of a row, so rows can be expanded one at a time.
assert COLUMNS % TAB_SIZE == 0

# Control characters other than tab, newline and form feed have no glyph and would print as boxes. (A regular
# expression, not str.translate: translate goes character by character through Python for non-ASCII text.)
_INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b\x0d-\x1f\x7f]+")

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


def paginate(text: str) -> Iterator[list[str]]:
    """The pages of ``text``, one at a time: at most LINES_PER_PAGE lines of at most COLUMNS characters each.

    A form feed starts a new page; a final form feed only ends the last page, as on a printer. Lazy, so that a
    caller taking the first N pages does work for N pages whatever the text holds (a file of form feeds or of
    empty lines would otherwise make millions of pages before anyone counted them).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for sheet in _sheets(text):
        page: list[str] = []
        for line in _lines(sheet):
            for row in _wrap(line):
                page.append(row)
                if len(page) == LINES_PER_PAGE:
                    yield page
                    page = []
        if page:
            yield page


def _sheets(text: str) -> Iterator[str]:
    """The text between form feeds; a last one holding only newlines is not a sheet (the form feed ended the page)."""
    start = 0
    while (end := text.find("\f", start)) >= 0:
        yield text[start:end]
        start = end + 1
    last = text[start:]
    if start == 0 or _visible(last).strip("\n"):
        yield last


def _lines(sheet: str) -> Iterator[str]:
    # A newline terminates a line rather than starting another one.
    start = 0
    while (end := sheet.find("\n", start)) >= 0:
        yield sheet[start:end]
        start = end + 1
    rest = sheet[start:]
    if start == 0 or _visible(rest):
        yield rest


def _wrap(line: str) -> Iterator[str]:
    """Hard wrapping (tabs expanded) keeps the column alignment of tables and preformatted text intact."""
    line = _visible(line)
    if not line:
        yield ""
        return
    if "\t" not in line:
        for start in range(0, len(line), COLUMNS):
            yield line[start : start + COLUMNS]
        return
    start = 0
    while start < len(line):
        # Each character takes at least one column, so a row never needs more than COLUMNS of them.
        chunk = line[start : start + COLUMNS]
        taken = _fitting(chunk)
        yield chunk[:taken].expandtabs(TAB_SIZE)
        start += taken


def _visible(text: str) -> str:
    return _INVISIBLE_CONTROLS.sub("", text)


def _fitting(chunk: str) -> int:
    """How many characters of ``chunk``, from the start of a row, fill at most one row once tabs are expanded."""
    if len(chunk.expandtabs(TAB_SIZE)) <= COLUMNS:
        return len(chunk)
    column = 0
    for taken, char in enumerate(chunk, start=1):
        column = (column // TAB_SIZE + 1) * TAB_SIZE if char == "\t" else column + 1
        if column == COLUMNS:
            return taken
    return len(chunk)  # (not reached: the row fills up before the chunk ends)


def text_to_pdf(data: bytes, dst: Path, charset: str | None = None, max_pages: int | None = None) -> int:
    """Typeset ``data`` as fax pages at ``dst``; return the page count (one blank page for empty text).

    More than ``max_pages`` pages raise TooManyPages as soon as page ``max_pages + 1`` is reached."""
    pages = paginate(decode_text(data, charset))
    if max_pages is not None:
        pages = list(islice(pages, max_pages + 1))
        if len(pages) > max_pages:
            raise TooManyPages(max_pages)
    count = 0
    with atomic_output(dst) as tmp:
        canvas = new_canvas(tmp)
        for lines in pages:
            text = canvas.beginText(LEFT_MARGIN, PAGE_HEIGHT - TOP_MARGIN - FONT_SIZE)
            text.setFont(FONT, FONT_SIZE, LEADING)
            for line in lines:
                text.textLine(line)
            canvas.drawText(text)
            canvas.showPage()
            count += 1
        canvas.save()
    return count
