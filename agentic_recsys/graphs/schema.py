"""Where the intent types lived before they moved to `understanding.schema` (2026-12-01).

Conversations stored before then name their objects by this module; it is kept so that
they load as the objects they were (see `session.STATE_TYPES`), not as plain dicts.
"""

from agentic_recsys.understanding.schema import Constraints, Feedback, Intent, Preference

__all__ = ["Constraints", "Feedback", "Intent", "Preference"]
