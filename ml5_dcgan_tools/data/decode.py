"""One image file -> one square RGB uint8 array, or the reason it cannot be used.

Very large files are decoded at a reduced scale where the format allows it (JPEG draft mode), and
anything past Pillow's decompression-bomb limit is refused before it is decoded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"})
Rgb = tuple[int, int, int]


class Unusable(Exception):
    """A file that is skipped, with the reason counted in the load summary."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def smallest_side(size: int) -> int:
    """Images whose shorter side is below this would be blown up into mush: skipped as tiny."""
    return max(8, size // 4)


def decode_image(path: Path, size: int, background: Rgb = (255, 255, 255)) -> np.ndarray:
    """Decode, composite transparency onto `background`, centre-crop and resize to `size`."""
    if path.stat().st_size == 0:
        raise Unusable("empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if min(image.size) < smallest_side(size):
                    raise Unusable("too small")
                image.draft("RGB", (size, size))  # JPEG: decode at 1/2..1/8 scale, never below size
                image.load()  # GIF and other animations: the first frame
                return _square_rgb(image, size, background)
    except Unusable:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError, MemoryError) as error:
        raise Unusable("too large") from error
    except UnidentifiedImageError as error:
        reason = "corrupt" if path.suffix.lower() in IMAGE_SUFFIXES else "not an image"
        raise Unusable(reason) from error
    except Exception as error:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ...
        raise Unusable("truncated" if "truncated" in str(error) else "corrupt") from error


def _square_rgb(image: Image.Image, size: int, background: Rgb) -> np.ndarray:
    if image.mode.startswith("I") or image.mode == "F":  # 16-bit or float grayscale
        image = _to_8bit(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    # Pillow premultiplies alpha when it resamples, so transparent pixels do not bleed colour.
    image = image.crop((left, top, left + side, top + side))
    image = image.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if has_alpha:
        canvas = Image.new("RGBA", image.size, (*background, 255))
        canvas.alpha_composite(image)
        image = canvas.convert("RGB")
    return np.asarray(image, dtype=np.uint8)


def _to_8bit(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    peak = 65535.0 if values.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(values * (255.0 / peak), 0, 255).astype(np.uint8), "L")
