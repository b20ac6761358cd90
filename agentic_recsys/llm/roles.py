"""The agent roles that may use an LLM (each configured by `turn.context.Context`)."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["intent", "planner", "critic", "explainer"]
ROLES: tuple[Role, ...] = get_args(Role)
