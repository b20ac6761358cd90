"""The model layer: specs per role, chat models for every provider, validated calls."""

from agentic_recsys.llm.calls import LLMCall, ask_json, ask_text, ask_tools
from agentic_recsys.llm.factory import (
    clear_model_cache,
    load_chat_model,
    model_label,
    register_chat_model,
)
from agentic_recsys.llm.roles import ROLES, Role
from agentic_recsys.llm.specs import Decision, ModelSpec, decisions, parse_spec, sees

__all__ = [
    "ROLES",
    "Decision",
    "LLMCall",
    "ModelSpec",
    "Role",
    "ask_json",
    "ask_text",
    "ask_tools",
    "decisions",
    "clear_model_cache",
    "load_chat_model",
    "model_label",
    "parse_spec",
    "register_chat_model",
    "sees",
]
