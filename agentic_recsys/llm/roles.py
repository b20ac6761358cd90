"""Which model each agent role uses, and how much each may decide."""

from __future__ import annotations

import os
from typing import Literal, get_args

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentic_recsys.llm.factory import load_chat_model
from agentic_recsys.llm.specs import Capability, capability, parse_spec

Role = Literal["intent", "planner", "critic", "explainer"]
ROLES: tuple[Role, ...] = get_args(Role)


class ModelRoles(BaseModel):
    """One model spec per LLM-using role; `ModelRoles.single(...)` gives every role the same."""

    model_config = ConfigDict(frozen=True)

    intent: str = Field(default="none", description="Understands the message.")
    planner: str = Field(default="none", description="Plans tool calls, revises on a critique.")
    critic: str = Field(default="none", description="Judges whether the candidates fit.")
    explainer: str = Field(default="none", description="Words the reply and explanations.")
    capabilities: dict[str, Capability] = Field(
        default_factory=dict,
        description="Override capability() by spec, e.g. {'local:/m/tiny.gguf': 'weak'}.",
    )

    @field_validator("intent", "planner", "critic", "explainer")
    @classmethod
    def _valid_spec(cls, spec: str) -> str:
        return parse_spec(spec).text

    @classmethod
    def single(
        cls,
        spec: str | None = None,
        *,
        capabilities: dict[str, Capability] | None = None,
        **per_role: str,
    ) -> ModelRoles:
        """Use `spec` (else $ARS_MODEL, else none) for every role not overridden: `--model`."""
        unknown = set(per_role) - set(ROLES)
        if unknown:
            raise TypeError(f"not model roles: {sorted(unknown)}; roles are {ROLES}")
        shared = spec or os.environ.get("ARS_MODEL") or "none"
        specs = {role: per_role.get(role) or shared for role in ROLES}
        return cls.model_validate({**specs, "capabilities": capabilities or {}})

    def spec_for(self, role: Role) -> str:
        """Return the spec the role runs on, for display and for `LLMCall.model`."""
        spec: str = getattr(self, role)
        return spec

    def capability_for(self, role: Role) -> Capability:
        """Return the role's capability: the override for its spec, else the spec's default."""
        spec = self.spec_for(role)
        return self.capabilities.get(spec) or capability(spec)

    def model_for(self, role: Role) -> BaseChatModel | None:
        """Return the role's chat model (loaded once per process), or None: no LLM."""
        return load_chat_model(self.spec_for(role))
