"""Run-time settings of a turn, read by every node through `Runtime[Context]`.

Each field falls back to an environment variable, so `langgraph dev` and the CLI agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(kw_only=True)
class Context:
    """Which dataset, which model for each role (and for seeing pictures), the loop budget."""

    data_dir: str = field(
        default_factory=lambda: _env("ARS_DATA", "data/ml-100k"),
        metadata={"description": "A prepared dataset folder (see `ars data`)."},
    )
    model: str = field(
        default_factory=lambda: _env("ARS_MODEL", "none"),
        metadata={
            "description": "provider:model for every role, e.g. openai:gpt-4o-mini, "
            "local:smollm2, or none (deterministic policies only)."
        },
    )
    intent_model: str = field(default="", metadata={"description": "Overrides `model` for intent."})
    planner_model: str = field(
        default="", metadata={"description": "Overrides `model` for the planner."}
    )
    critic_model: str = field(
        default="", metadata={"description": "Overrides `model` for the critic."}
    )
    explainer_model: str = field(
        default="", metadata={"description": "Overrides `model` for the explainer."}
    )
    vision_model: str = field(
        default_factory=lambda: _env("ARS_VISION_MODEL", ""),
        metadata={
            "description": "Overrides `model` for reading the pictures a user sends: a "
            "vision-capable provider:model, e.g. openai:gpt-4o-mini, or "
            "openai:<model>@http://127.0.0.1:8080/v1 (llama.cpp's server with an mmproj)."
        },
    )
    max_revisions: int = field(
        default=2, metadata={"description": "How often the critic may send a plan back."}
    )
    default_count: int = field(default=5, metadata={"description": "Items per reply by default."})
    llm_timeout_s: float = field(default=30.0, metadata={"description": "Per LLM call."})

    def model_for(self, role: str) -> str:
        """The model spec a role uses: its own override, else the shared one."""
        override: str = getattr(self, f"{role}_model", "")
        return override or self.model
