"""agentic-recsys: an LLM-based agentic recommender over real recommendation engines.

`agentic_recsys.open(path)` opens a dataset folder for embedding in a service; it is
imported lazily so that `import agentic_recsys.errors` (and the CLI's --help) stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentic_recsys.app import App, open

__all__ = ["App", "open"]


def __getattr__(name: str) -> Any:
    """Load `App` and `open` on first use."""
    if name in __all__:
        app = importlib.import_module("agentic_recsys.app")
        return getattr(app, name)
    raise AttributeError(f"module 'agentic_recsys' has no attribute {name!r}")
