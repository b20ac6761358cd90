"""How a node reaches what is not in its state: the dataset and engines, the models, the user.

Dataset and models are cached per process, so a turn never reloads an index or a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from agentic_recsys.app import App, app_for_dir
from agentic_recsys.errors import require_user_id
from agentic_recsys.graphs.context import Context
from agentic_recsys.graphs.state import ModelUse
from agentic_recsys.llm import Capability, capability, load_chat_model


@dataclass(frozen=True)
class RoleModel:
    """The model a role uses this turn, and how far it may be trusted."""

    role: str
    spec: str
    capability: Capability
    model: BaseChatModel | None

    def use(self, calls: int = 0, fell_back: bool = False) -> ModelUse:
        """How this role ran, for the turn's result."""
        name = self.spec if self.model is not None and calls else "rules"
        return ModelUse(role=self.role, model=name, calls=calls, fell_back=fell_back)


def app_of(runtime: Runtime[Context]) -> App:
    """The opened dataset, engines, memory and title index for this run's data folder."""
    return app_for_dir(context_of(runtime).data_dir)


def role_model(runtime: Runtime[Context], role: str) -> RoleModel:
    """The chat model configured for `role` (None for "none")."""
    spec = context_of(runtime).model_for(role)
    level: Capability = capability(spec)
    return RoleModel(role, spec, level, None if level == "none" else load_chat_model(spec))


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
