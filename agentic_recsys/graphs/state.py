"""Where the turn's state types lived before they moved to `turn.state` (2026-12-01).

Conversations stored before then name their objects by this module; it is kept so that
they load as the objects they were (see `session.STATE_TYPES`), not as plain dicts.
"""

from agentic_recsys.turn.state import (
    BusItem,
    Critique,
    EvidenceNote,
    ModelUse,
    Plan,
    Request,
    Taste,
    ToolCall,
)

__all__ = [
    "BusItem",
    "Critique",
    "EvidenceNote",
    "ModelUse",
    "Plan",
    "Request",
    "Taste",
    "ToolCall",
]
