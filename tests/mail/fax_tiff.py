"""What a fax TIFF must be (TIFF-F, as fax machines and fax software read it): every frame 1728 pixels wide (T.4's
width of a page), Group 4, 204x196 dpi, bilevel with PhotometricInterpretation 0 (WhiteIsZero), and still the page:
mostly white, with its black text."""

from __future__ import annotations

import io

from PIL import Image

WIDTH = 1728
PHOTOMETRIC, WHITE_IS_ZERO = 262, 0


def check_fax_tiff(data: bytes, frames: int) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == frames
    for frame in range(frames):
        image.seek(frame)
        assert image.size[0] == WIDTH, f"frame {frame}: {image.size[0]} pixels wide"
        assert image.tag_v2[PHOTOMETRIC] == WHITE_IS_ZERO
        assert image.mode == "1" and image.info["compression"] == "group4"
        assert tuple(round(d) for d in image.info["dpi"]) == (204, 196)
        black = image.convert("L").histogram()[0] / (image.size[0] * image.size[1])
        assert 0 < black < 0.5, f"frame {frame}: {black:.2%} black (inverted, or the page was lost)"
