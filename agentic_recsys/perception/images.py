"""Pictures the user sends, made safe before anything looks at them, and stored by content.

A picture arrives as a path, raw bytes, a data URL (or bare base64), or an http(s) URL
(fetched only when the user allowed it). Its type is decided by its content, never its
name: PNG, JPEG, WebP and GIF only (SVG can carry scripts and is refused). Its size is
bounded twice: in bytes before it is read, and in pixels before it is decoded (a
decompression bomb is a small file of enormous dimensions). What is kept is the pixels
alone, re-encoded as an RGB PNG with a bounded longest side, so EXIF (GPS, camera),
ICC profiles and any other metadata never reach a model or the disk. The PNG is stored as
`<state_dir>/images/<sha256>.png`; the graph's state and checkpoints carry only the hex ref.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import urllib.error
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from PIL import Image, ImageOps, UnidentifiedImageError

from agentic_recsys.errors import ArsError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # 8K x 5K; Pillow's own bomb limit is higher (89 M)
MAX_SIDE = 1024  # what a vision model is shown; larger pictures are scaled down
MAX_IMAGES_PER_TURN = 4
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")  # the only decoders Pillow may try
IMAGES_DIR = "images"
URLS_ENV = "ARS_IMAGE_URLS"
URL_FETCH_TIMEOUT_S = 15
ALLOW_URLS_HINT = f"pass --allow-image-urls or set {URLS_ENV}=allow"
REF = re.compile(r"^[0-9a-f]{64}$")
DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w-]+=[^;,]*)*;base64,", re.IGNORECASE)
SVG_START = re.compile(rb"^\s*(<\?xml|<!doctype\s+svg|<svg)", re.IGNORECASE)

ImageSource = str | bytes | Path


class ImageError(ArsError):
    """A picture that cannot be used: unreadable, too big, not an allowed type, not allowed."""


@dataclass(frozen=True)
class StoredImage:
    """A sanitised picture in the state folder: its content ref, and what to call it."""

    ref: str  # sha256 hex of the sanitised PNG
    name: str  # the file's name, or "the picture" (never its data)


def urls_allowed() -> bool:
    """Whether the user allowed fetching pictures over the network ($ARS_IMAGE_URLS=allow)."""
    return os.environ.get(URLS_ENV, "").strip().lower() == "allow"


def image_path(state_dir: Path, ref: str) -> Path:
    """Where the sanitised picture `ref` is stored; an ImageError for anything but a sha256 hex."""
    if not REF.match(ref):
        raise ImageError(f"'{ref[:80]}' is not a picture reference (a sha256 hex digest)")
    return state_dir / IMAGES_DIR / f"{ref}.png"


def image_base64(state_dir: Path, ref: str) -> str:
    """The stored PNG of `ref`, base64-encoded, for a model's image content block."""
    path = image_path(state_dir, ref)
    if not path.is_file():
        raise ImageError(f"no stored picture {ref[:12]}…; send the picture again")
    return base64.b64encode(path.read_bytes()).decode("ascii")


def store_image(state_dir: Path, source: ImageSource, *, allow_urls: bool) -> StoredImage:
    """Read, check, sanitise and store one picture; an ImageError (one line) if it is bad."""
    data, name = read_source(source, allow_urls=allow_urls)
    png = sanitised_png(data, name)
    ref = hashlib.sha256(png).hexdigest()
    path = image_path(state_dir, ref)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{ref}.{os.getpid()}.tmp")
        tmp.write_bytes(png)
        os.replace(tmp, path)  # content-addressed: a concurrent writer writes the same bytes
    return StoredImage(ref, name)


def store_images(
    state_dir: Path, sources: Sequence[ImageSource], *, allow_urls: bool
) -> list[StoredImage]:
    """Store a turn's pictures (at most MAX_IMAGES_PER_TURN), all checked before any is kept."""
    if len(sources) > MAX_IMAGES_PER_TURN:
        raise ImageError(
            f"{len(sources)} pictures in one message; send at most {MAX_IMAGES_PER_TURN}"
        )
    return [store_image(state_dir, s, allow_urls=allow_urls) for s in sources]


def is_image_url(text: str) -> bool:
    """Whether `text` is an http(s) URL (what `read_source` would fetch)."""
    return urlparse(text).scheme in ("http", "https") and bool(urlparse(text).netloc)


def block_images(content: object) -> list[str]:
    """The pictures in a message's content blocks, as data: or http(s) URLs.

    LangGraph and OpenAI's `{"type": "image_url", "image_url": {"url": ...}}`, and
    LangChain's `{"type": "image", "source_type": "base64", "data": ...}` (or `"url"`), in
    its older and its v1 spelling (`"base64": ...`). A block naming a provider's file id
    cannot be read here and is refused.
    """
    if not isinstance(content, list):
        return []
    found = []
    for block in content:
        if not isinstance(block, dict) or block.get("type") not in ("image_url", "image"):
            continue
        if block["type"] == "image_url":
            url = block.get("image_url")
            found.append(str(url.get("url", "") if isinstance(url, dict) else url or ""))
            continue
        data = block.get("base64") or (
            block.get("data") if block.get("source_type") == "base64" else None
        )
        if data:
            found.append(f"data:{block.get('mime_type') or 'image/unknown'};base64,{data}")
        elif block.get("url"):
            found.append(str(block["url"]))
        else:
            raise ImageError("a picture was sent by file id; send its data (base64) or a URL")
    return found


def picture_mark(count: int) -> str:
    """How a turn's pictures are recorded in the conversation and in memory: never their data."""
    return "" if not count else "[a picture]" if count == 1 else f"[{count} pictures]"


def read_source(source: ImageSource, *, allow_urls: bool) -> tuple[bytes, str]:
    """The picture's bytes (at most MAX_IMAGE_BYTES) and a name for it, from any source."""
    if isinstance(source, bytes):
        return _bounded(source, "the picture"), "the picture"
    if isinstance(source, Path):
        return _read_file(source), source.name
    text = source.strip()
    if DATA_URL.match(text):
        return _decode_base64(text.partition(",")[2]), "the picture"
    if is_image_url(text):
        if not allow_urls:
            raise ImageError(
                f"not fetching {text[:120]}: pictures from URLs are off; {ALLOW_URLS_HINT}"
            )
        return _fetch(text), Path(urlparse(text).path).name or "the picture"
    if "://" in text:
        raise ImageError(
            f"cannot read a picture from {text[:120]}: give a file path, a data: URL "
            "or an http(s) URL"
        )
    path = Path(text).expanduser()
    return _read_file(path), path.name


def sanitised_png(data: bytes, name: str) -> bytes:
    """Decode an allowed picture within the pixel limit; its pixels alone, as a bounded PNG."""
    if SVG_START.match(data[:512]):
        raise ImageError(
            f"{name} is an SVG drawing; SVG is refused (it can carry scripts): "
            f"send a {_formats()} picture"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as im:
                width, height = im.size  # read from the header: nothing decoded yet
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageError(
                        f"{name} is {width}x{height} pixels, more than "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} million; send a smaller picture"
                    )
                im.seek(0)  # an animation: its first frame
                im.load()
                upright = ImageOps.exif_transpose(im)
                rgb = upright.convert("RGB")
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not a {_formats()} picture; nothing was sent") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"{name} has too many pixels to open safely; send a smaller picture"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # what Pillow raises on damage
        raise ImageError(
            f"{name} is damaged or truncated ({_first_line(exc)}); send it again"
        ) from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    # A new image from the pixels alone: EXIF, ICC, XMP and text chunks stay behind.
    clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ImageError(f"{path} is not a file; give the path of a picture")
        if size > MAX_IMAGE_BYTES:
            raise ImageError(
                f"{path.name} is {size / 1e6:.1f} MB, more than {_mb()}; send a smaller picture"
            )
        with path.open("rb") as f:
            return _bounded(f.read(MAX_IMAGE_BYTES + 1), path.name)
    except FileNotFoundError:
        raise ImageError(f"no picture at {path}") from None
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _decode_base64(text: str) -> bytes:
    if len(text) > MAX_IMAGE_BYTES * 4 // 3 + 8:
        raise ImageError(f"the picture is more than {_mb()}; send a smaller picture")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("the picture's base64 data is damaged; send it again") from None


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "agentic-recsys"})
    try:
        with urllib.request.urlopen(request, timeout=URL_FETCH_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_IMAGE_BYTES:
                raise ImageError(f"{url[:120]} is more than {_mb()}; send a smaller picture")
            return _bounded(response.read(MAX_IMAGE_BYTES + 1), url[:120])
    except urllib.error.URLError as exc:
        raise ImageError(f"could not fetch {url[:120]}: {_first_line(exc.reason)}") from None
    except (OSError, ValueError) as exc:
        raise ImageError(f"could not fetch {url[:120]}: {_first_line(exc)}") from None


def _bounded(data: bytes, name: str) -> bytes:
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"{name} is more than {_mb()}; send a smaller picture")
    if not data:
        raise ImageError(f"{name} is empty; nothing was sent")
    return data


def _formats() -> str:
    return "PNG, JPEG, WebP or GIF"


def _mb() -> str:
    return f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB"


def _first_line(exc: object) -> str:
    return " ".join(str(exc).split())[:160]
