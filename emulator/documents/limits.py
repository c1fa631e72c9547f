"""What one conversion may cost: pages, pixels, frames, CPU time and memory (the box's settings give the values).

Light on purpose (no PDF or image library): the settings, the box and the control plane import it at start-up.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .errors import ConversionError


@dataclasses.dataclass(frozen=True)
class Limits:
    """The budgets of a conversion. ``max_pages`` is what the attachment being converted may have: the
    attachment's own budget, or less when the fax it belongs to has only that many pages left. With them travels
    the one other setting a worker needs, the font of cover pages."""

    max_pages: int = 500  # pages of one attachment (text form feeds and lines, PDF pages, TIFF frames)
    fax_pages: int = 1000  # pages of one fax, its cover page included
    page_pixels: int = 50_000_000  # one PNG or JPEG picture, one TIFF frame
    image_pixels: int = 1_000_000_000  # every frame of one image file together
    tiff_frames: int = 500
    cpu_seconds: float = 60.0  # one conversion job, in its worker process
    memory_mib: int = 2048  # address space one job may add to its worker process
    wall_seconds: float | None = None  # None: max(4 x cpu_seconds, cpu_seconds + 30)
    cover_font: Path | None = None  # a TrueType font checked at start-up (fonts.cover_font); None: Helvetica

    @property
    def deadline(self) -> float:
        """The parent's backstop: a job still running this long (wall-clock seconds) after it was handed over is
        killed, whatever stopped it from using its CPU seconds (a wait, a busy machine)."""
        if self.wall_seconds is not None:
            return self.wall_seconds
        return max(4 * self.cpu_seconds, self.cpu_seconds + 30)

    def for_pages(self, max_pages: int) -> Limits:
        return dataclasses.replace(self, max_pages=max_pages)


class TooManyPages(ConversionError):
    """A document has more pages than its budget (``limit``); the caller may say whose budget it was."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} pages")
        self.limit = limit

    def __reduce__(self) -> tuple:  # crosses the worker's pipe intact
        return type(self), (self.limit,)


DEFAULT_LIMITS = Limits()
