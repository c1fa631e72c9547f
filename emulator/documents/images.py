"""Raster attachments (TIFF, PNG, JPEG): one fax page per image, or per frame for TIFF."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from .errors import ConversionError, reraise_as_conversion_error
from .limits import DEFAULT_LIMITS, Limits, TooManyPages
from .pdf import PAGE_HEIGHT, PAGE_WIDTH, atomic_output, new_canvas

ATTACHMENT_FORMATS = ("TIFF", "PNG", "JPEG")
MARGIN = 36
# Faxes are mostly sent at 200 dpi; beyond 300 dpi pixels only bloat the PDF and the memory used to build it.
MAX_DPI = 300


def image_to_pdf(
    source: BinaryIO, dst: Path, formats: tuple[str, ...] = ATTACHMENT_FORMATS, limits: Limits = DEFAULT_LIMITS
) -> int:
    """Draw every page of the image in ``source`` on its own Letter page at ``dst``; return the page count.

    Only TIFF contributes more than one page: extra frames of PNG (APNG) or JPEG (MPO) are alternative
    renderings of the same picture, not further pages. Every frame's size is checked against ``limits`` before any
    pixel is decoded (sizes are in the headers), so an image that is too large costs nothing to refuse.
    """
    with _open_image(source, formats, limits) as image:
        frame_count = _check_frames(image, limits)
        with atomic_output(dst) as tmp:
            canvas = new_canvas(tmp)
            for index in range(frame_count):
                _draw_page(canvas, *_read_frame(image, index))
                canvas.showPage()
            canvas.save()
    return frame_count


@contextmanager
def _open_image(source: BinaryIO, formats: tuple[str, ...], limits: Limits) -> Iterator[Image.Image]:
    try:
        image = Image.open(source, formats=list(formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # (a warning made an error)
        raise ConversionError(_too_large(limits)) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise ConversionError("unreadable image") from exc
    with image:
        yield image


def _check_frames(image: Image.Image, limits: Limits) -> int:
    """The number of pages of ``image`` once its frames are within the budgets (counted by seeking frame after
    frame, which reads only the frames' headers, and never past the first one over the budget)."""
    most = min(limits.tiff_frames, limits.max_pages) if image.format == "TIFF" else 1
    total = 0
    count = 0
    with reraise_as_conversion_error("unreadable image"):
        while count <= most:
            if count:
                try:
                    image.seek(count)
                except EOFError:
                    break
            width, height = image.size
            if width * height > limits.page_pixels:
                raise ConversionError(_too_large(limits))
            total += width * height
            if total > limits.image_pixels:
                raise ConversionError(f"image is too large (more than {limits.image_pixels:,} pixels in all)")
            count += 1
            if image.format != "TIFF":
                break
        if count > limits.tiff_frames:
            raise ConversionError(f"TIFF has more than {limits.tiff_frames} frames")
        if count > limits.max_pages:
            raise TooManyPages(limits.max_pages)
        image.seek(0)
    return count


def _too_large(limits: Limits) -> str:
    return f"image is too large (more than {limits.page_pixels:,} pixels a page)"


def _read_frame(image: Image.Image, index: int) -> tuple[Image.Image, float, float]:
    """Decode frame ``index`` flattened for paper, with its physical width and height in arbitrary units."""
    with reraise_as_conversion_error("unreadable image"):
        image.seek(index)
        x_dpi, y_dpi = _dpi(image)
        width, height = image.width / x_dpi, image.height / y_dpi
        # Phones and scanners record rotation in metadata rather than in the pixels.
        frame = _flatten(ImageOps.exif_transpose(image))
    if frame.size != image.size:
        width, height = height, width
    return frame, width, height


def _dpi(image: Image.Image) -> tuple[float, float]:
    # Fax TIFFs often have non-square pixels (204 x 98 dpi), so aspect ratio must come from the resolution.
    dpi = image.info.get("dpi")
    try:
        x_dpi, y_dpi = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return 1.0, 1.0
    return (x_dpi, y_dpi) if x_dpi > 0 and y_dpi > 0 else (1.0, 1.0)


def _flatten(frame: Image.Image) -> Image.Image:
    """Composite transparency onto white paper and reduce to the two modes reportlab embeds as-is."""
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if frame.mode != "P" and len(frame.getbands()) == 1:
        return frame.convert("L")
    return frame.convert("RGB")


def _draw_page(canvas: Canvas, frame: Image.Image, width: float, height: float) -> None:
    """Fit inside the margins keeping the physical aspect ratio, centred and top-aligned like a scan."""
    scale = min((PAGE_WIDTH - 2 * MARGIN) / width, (PAGE_HEIGHT - 2 * MARGIN) / height)
    draw_width, draw_height = width * scale, height * scale
    max_pixels = (round(draw_width / 72 * MAX_DPI), round(draw_height / 72 * MAX_DPI))
    if frame.width > max_pixels[0] or frame.height > max_pixels[1]:
        frame = frame.resize(
            (max(1, min(frame.width, max_pixels[0])), max(1, min(frame.height, max_pixels[1]))),
            Image.Resampling.LANCZOS,
        )
    x = (PAGE_WIDTH - draw_width) / 2
    y = PAGE_HEIGHT - MARGIN - draw_height
    canvas.drawImage(ImageReader(frame), x, y, width=draw_width, height=draw_height)
