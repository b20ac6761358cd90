"""Pictures from the user are made safe before anything sees them: type by content, bounded
bytes and pixels, metadata stripped, stored by content; every bad one is one clear line."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from agentic_recsys.perception.images import (
    MAX_IMAGE_BYTES,
    MAX_SIDE,
    ImageError,
    block_images,
    image_path,
    store_image,
    store_images,
    urls_allowed,
)

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: a decompression bomb's shape."""
    data = bytearray(picture(size=(1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def one_line(error: pytest.ExceptionInfo[ImageError]) -> str:
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_allowed_formats_are_stored_by_content_as_png(tmp_path: Path, fmt: str) -> None:
    stored = store_image(tmp_path, picture(fmt), allow_urls=False)
    path = image_path(tmp_path, stored.ref)
    assert path == tmp_path / "images" / f"{stored.ref}.png"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.ref
    with Image.open(path) as im:
        assert (im.format, im.mode, im.size) == ("PNG", "RGB", (64, 48))
    # the same picture again is the same file
    assert store_image(tmp_path, picture(fmt), allow_urls=False) == stored


def test_exif_and_other_metadata_are_gone(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8298] = "Jane Doe 2026"  # Copyright
    exif[0x0112] = 6  # Orientation: rotated 90 degrees
    sent = picture("JPEG", size=(80, 40), exif=exif.tobytes(), icc_profile=b"\0" * 128)
    assert b"SecretCam" in sent
    source = tmp_path / "holiday.jpg"
    source.write_bytes(sent)
    stored = store_image(tmp_path, source, allow_urls=False)
    kept = image_path(tmp_path, stored.ref).read_bytes()
    assert b"SecretCam" not in kept and b"Jane Doe" not in kept
    with Image.open(io.BytesIO(kept)) as im:
        assert not im.getexif() and "icc_profile" not in im.info and "exif" not in im.info
        assert im.size == (40, 80)  # turned upright from its orientation, then the tag dropped
    assert stored.name == "holiday.jpg"


def test_a_big_picture_is_scaled_down(tmp_path: Path) -> None:
    stored = store_image(tmp_path, picture(size=(3000, 1500)), allow_urls=False)
    with Image.open(image_path(tmp_path, stored.ref)) as im:
        assert max(im.size) == MAX_SIDE


def test_type_is_decided_by_content_not_by_name(tmp_path: Path) -> None:
    named_wrong = tmp_path / "poster.jpg"
    named_wrong.write_bytes(picture("PNG"))
    assert store_image(tmp_path, named_wrong, allow_urls=False).name == "poster.jpg"

    text_as_png = tmp_path / "notes.png"
    text_as_png.write_text("just some notes, not a picture")
    with pytest.raises(ImageError) as e:
        store_image(tmp_path, text_as_png, allow_urls=False)
    assert one_line(e) == "notes.png is not a PNG, JPEG, WebP or GIF picture; nothing was sent"


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (SVG, "logo.png", "logo.png is an SVG drawing; SVG is refused (it can carry scripts)"),
        (picture("BMP"), "old.bmp", "old.bmp is not a PNG, JPEG, WebP or GIF picture"),
        (picture("TIFF"), "scan.tif", "scan.tif is not a PNG, JPEG, WebP or GIF picture"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "not a PNG, JPEG, WebP or GIF"),
        (picture("JPEG", size=(300, 300))[:400], "cut.jpg", "cut.jpg is damaged or truncated"),
        (picture("PNG", size=(300, 300))[:-30], "cut.png", "cut.png is damaged or truncated"),
        (png_claiming(10_000, 5_000), "bomb.png", "bomb.png is 10000x5000 pixels, more than 40"),
        (png_claiming(60_000, 60_000), "bomb2.png", "bomb2.png has too many pixels to open"),
        (b"", "empty.png", "empty.png is empty"),
    ],
)
def test_bad_pictures_are_one_clear_line(tmp_path: Path, data: bytes, name: str, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ImageError) as e:
        store_image(tmp_path, path, allow_urls=False)
    assert says in one_line(e)
    assert not (tmp_path / "images").exists() or not list((tmp_path / "images").iterdir())


def test_too_many_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as f:
        f.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(ImageError) as e:
        store_image(tmp_path, huge, allow_urls=False)
    assert one_line(e) == "huge.png is 10.5 MB, more than 10 MB; send a smaller picture"
    with pytest.raises(ImageError, match="more than 10 MB"):
        store_image(tmp_path, b"\0" * (MAX_IMAGE_BYTES + 1), allow_urls=False)


def test_sources_data_urls_missing_files_and_urls(tmp_path: Path) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(picture()).decode()
    assert store_image(tmp_path, data_url, allow_urls=False).name == "the picture"
    with pytest.raises(ImageError) as e:
        store_image(tmp_path, "data:image/png;base64,@@@not base64", allow_urls=False)
    assert one_line(e) == "the picture's base64 data is damaged; send it again"
    with pytest.raises(ImageError) as e:
        store_image(tmp_path, str(tmp_path / "nowhere.png"), allow_urls=False)
    assert one_line(e) == f"no picture at {tmp_path / 'nowhere.png'}"
    with pytest.raises(ImageError) as e:
        store_image(tmp_path, "https://example.com/poster.png", allow_urls=False)
    assert one_line(e) == (
        "not fetching https://example.com/poster.png: pictures from URLs are off; "
        "pass --allow-image-urls or set ARS_IMAGE_URLS=allow"
    )
    with pytest.raises(ImageError, match="give a file path, a data: URL or an http"):
        store_image(tmp_path, "ftp://example.com/poster.png", allow_urls=True)
    with pytest.raises(ImageError, match="at most 4"):
        store_images(tmp_path, [picture()] * 5, allow_urls=False)


def test_a_ref_is_a_sha256_and_nothing_else(tmp_path: Path) -> None:
    for ref in ("../../etc/passwd", "abc", "A" * 64, "0" * 63 + "/"):
        with pytest.raises(ImageError, match="is not a picture reference"):
            image_path(tmp_path, ref)


def test_image_blocks_of_a_message() -> None:
    encoded = base64.b64encode(picture()).decode()
    content = [
        {"type": "text", "text": "like this"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}},
        {"type": "image", "source_type": "base64", "data": encoded, "mime_type": "image/png"},
        {"type": "image", "base64": encoded, "mime_type": "image/png"},
        {"type": "image", "source_type": "url", "url": "https://example.com/a.png"},
    ]
    found = block_images(content)
    assert found[:3] == [f"data:image/png;base64,{encoded}"] * 3
    assert found[3] == "https://example.com/a.png"
    assert block_images("just words") == []
    with pytest.raises(ImageError, match="file id"):
        block_images([{"type": "image", "source_type": "id", "id": "file-123"}])


def test_urls_are_fetched_only_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = picture("JPEG")

    class Pictures(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            big = self.path == "/huge.png"
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_IMAGE_BYTES + 1 if big else len(served)))
            self.end_headers()
            if not big:
                self.wfile.write(served)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pictures)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        monkeypatch.delenv("ARS_IMAGE_URLS", raising=False)
        assert not urls_allowed()
        monkeypatch.setenv("ARS_IMAGE_URLS", "allow")
        assert urls_allowed()
        stored = store_image(tmp_path, f"{base}/poster.jpg", allow_urls=True)
        assert stored.name == "poster.jpg" and image_path(tmp_path, stored.ref).is_file()
        with pytest.raises(ImageError) as e:
            store_image(tmp_path, f"{base}/huge.png", allow_urls=True)
        assert one_line(e) == f"{base}/huge.png is more than 10 MB; send a smaller picture"
    finally:
        server.shutdown()
        server.server_close()
