"""The font cover-page values are drawn in: a TrueType font with Latin, Greek, Cyrillic and CJK glyphs.

Fonts come from the system, never from the network: by default the first installed of a few Debian fonts
(``fonts-wqy-zenhei``, which the Docker image installs, then ``fonts-wqy-microhei``), or one given by
``--cover-font``. Without any, values are drawn in Helvetica as before, which has Latin-1 only: other characters come
out as boxes. reportlab embeds TrueType outlines only, so CFF fonts (Noto CJK's, Unifont's .otf) are no use here;
nor is Droid Sans Fallback (CJK without Latin, Greek or Cyrillic).

Light on purpose: the settings find and check the font at start-up, and reportlab is imported only to check or
load one.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger("emulator.documents")

KNOWN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian fonts-wqy-microhei
)
FONT_PACKAGE = "fonts-wqy-zenhei"
FALLBACK_FONT = "Helvetica"


def installed_font() -> Path | None:
    """The first of KNOWN_FONTS that is installed, or None."""
    return next((path for path in KNOWN_FONTS if path.is_file()), None)


def configured_font(value: Path | None) -> Path | None:
    """The settings' check of ``--cover-font``: a given font must load (ValueError otherwise, a start-up error) and
    is made absolute (the conversion workers do not share this process's working directory)."""
    if value is None:
        return None
    check_font(value)
    return value.absolute()


def warn_if_no_unicode_font(given: Path | None) -> bool:
    """At start-up: with no font given and none of KNOWN_FONTS installed, one warning names the package to install.
    Returns whether it warned."""
    if given is not None or installed_font() is not None:
        return False
    log.warning(
        "no Unicode font for cover pages: their values are drawn in %s, and characters beyond Latin-1 (Greek, "
        "Cyrillic, CJK) come out as boxes; install the Debian package %s (or give --cover-font)",
        FALLBACK_FONT,
        FONT_PACKAGE,
    )
    return True


def check_font(path: Path) -> None:
    """Raise ValueError unless ``path`` is a TrueType font (.ttf, or .ttc: its first face) reportlab can embed."""
    if not path.is_file():
        raise ValueError(f"no such font file: {path}")
    _load(path)  # not registered: the conversion workers load it, not this process


def font_name(path: Path | None) -> str:
    """The reportlab name of the font at ``path`` (Helvetica for None), registered in this process on first use."""
    if path is None:
        return FALLBACK_FONT
    return _registered(path)


@functools.cache
def _registered(path: Path) -> str:
    from reportlab.pdfbase import pdfmetrics

    font = _load(path)
    pdfmetrics.registerFont(font)
    return font.fontName


def _load(path: Path) -> TTFont:
    from reportlab.pdfbase.ttfonts import TTFont

    # Named after the path, not a counter: the same font gets the same name in every worker, whatever it drew before.
    name = "CoverFont-" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    try:
        return TTFont(name, str(path), subfontIndex=0)
    except MemoryError:
        raise
    except Exception as exc:  # reportlab's TTFError, or whatever a truncated file makes its parser raise
        raise ValueError(f"{path}: not a TrueType font that can be embedded ({exc})") from None
