"""How a node reaches what is not in its state: the dataset and engines, the models, the user.

Dataset and models are cached per process, so a turn never reloads an index or a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from agentic_recsys.errors import require_user_id
from agentic_recsys.llm import Decision, LLMCall, decisions, load_chat_model, sees
from agentic_recsys.resources import Resources, shared
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.state import ModelUse


@dataclass(frozen=True)
class RoleModel:
    """The model a role uses this turn, and what it may decide."""

    role: str
    spec: str
    decisions: frozenset[Decision]
    model: BaseChatModel | None

    def may(self, decision: Decision) -> bool:
        """Whether this role's model exists and was measured fit to make `decision`."""
        return self.model is not None and decision in self.decisions

    def use(self, calls: Sequence[LLMCall] = (), why: str | None = None) -> ModelUse:
        """How this role ran, for the turn's result.

        It fell back when `why` says so, or, by default, when no call succeeded: then the
        last call's error is why ("timeout", "schema: ...").
        """
        name = self.spec if self.model is not None and calls else "rules"
        if why is None and calls and not any(c.ok for c in calls):
            last = calls[-1]
            why = f"{last.error}: {last.detail}" if last.detail else str(last.error)
        reason = " ".join((why or "").split())[:120]
        return ModelUse(
            role=self.role, model=name, calls=len(calls), fell_back=bool(reason), why=reason
        )


def app_of(runtime: Runtime[Context]) -> Resources:
    """The opened dataset, engines, memory and title index for this run's data folder."""
    return shared(context_of(runtime).data_dir, Resources)


def role_model(runtime: Runtime[Context], role: str) -> RoleModel:
    """The chat model configured for `role` (None for "none")."""
    spec = context_of(runtime).model_for(role)
    may = decisions(spec)
    return RoleModel(role, spec, may, load_chat_model(spec) if may else None)


def vision_model(runtime: Runtime[Context]) -> RoleModel:
    """The model that reads this turn's pictures (None when the spec cannot see)."""
    spec = context_of(runtime).model_for("vision")
    return RoleModel("vision", spec, frozenset(), load_chat_model(spec) if sees(spec) else None)


def context_of(runtime: Runtime[Context]) -> Context:
    """The run's context; Studio may send none or a plain dict, so defaults fill in."""
    ctx = runtime.context
    if isinstance(ctx, Context):
        return ctx
    return Context(**ctx) if isinstance(ctx, dict) else Context()


def turn_user(state: Mapping[str, object], config: RunnableConfig) -> str:
    """Whose turn this is: the authenticated user on the LangGraph server, else the input's.

    On the server the input is the client's to write (and a thread's state keeps it), so
    a `user_id` there is ignored: naming someone else reaches nothing of theirs.
    """
    authenticated = config.get("configurable", {}).get("langgraph_auth_user_id")
    return require_user_id(state.get("user_id") if authenticated is None else authenticated)
