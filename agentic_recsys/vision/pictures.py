"""Reading a picture from disk for an encoder: checked, bounded, never trusted.

A catalog's `image` column names files the user did not check one by one; a bad one
(missing, not a picture, truncated, enormous) is a `PictureError` with a short reason,
which the index build counts and skips. URLs are not fetched: network image fetches are
off for catalog images, so an item whose image is a URL has no picture here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # a poster or a cover is far smaller; above this, a decompression bomb
MAX_BYTES = 50_000_000


class PictureError(Exception):
    """Why a picture cannot be read (a few words: "missing", "not a picture", ...)."""


def open_picture(path: Path) -> Image.Image:
    """The picture in a local file as RGB, fully decoded; a PictureError if it is not one."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PictureError("missing") from None
    except OSError as e:
        raise PictureError(f"unreadable ({e.strerror})") from None
    if size > MAX_BYTES:
        raise PictureError(f"too large ({size:,} bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                w, h = image.size
                if w * h > MAX_PIXELS:
                    raise PictureError(f"too large ({w}x{h} pixels)")
                image.draft("RGB", (1024, 1024))  # JPEGs decode at a reduced scale: faster
                return image.convert("RGB")
    except PictureError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureError("not a picture Pillow can read") from None
    except (OSError, ValueError, SyntaxError) as e:  # truncated or corrupt data
        raise PictureError(f"damaged ({type(e).__name__})") from None


def user_picture(path: Path) -> Image.Image | None:
    """A picture the user sent (already sanitised when it was stored), or None if gone."""
    try:
        return open_picture(path)
    except PictureError:
        return None
