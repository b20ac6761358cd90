"""Long-term memory on Chroma: per-user preferences, item verdicts, episodes and a profile summary.

Short-term memory (the conversation) is the LangGraph checkpointer's job, not this package's.
"""

from agentic_recsys.memory.records import Episode, Memory, MemoryKind, Recall
from agentic_recsys.memory.store import MemoryConfig, MemoryStore

__all__ = ["Episode", "Memory", "MemoryConfig", "MemoryKind", "MemoryStore", "Recall"]
