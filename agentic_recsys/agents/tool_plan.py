"""The planner's tool-calling step: a capable model's plan is its calls of the retrieval tools.

The tools are bound with the schemas LangChain derives from their functions. Each call is
checked before it becomes a step: a tool that was bound, arguments its schema accepts, and
none that the scope holds (who the user is, what is excluded, the filters: the retrieval
agent injects those, whatever a model says). One invalid call, no call, or too many calls
reject the whole answer; the policy plan then stands, and the turn says why in one line.

A model that may only suggest (`suggest`, not `plan`) gets `suggest_titles` alone, and its
call is added to the policy plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from agentic_recsys.agents.prompts import PLANNER_SYSTEM, PLANNER_USER, SUGGEST_SYSTEM
from agentic_recsys.llm import ask_tools
from agentic_recsys.llm.calls import InvalidToolCallError
from agentic_recsys.tools.retrieval import PICTURE_TOOLS, PLAN_TOOLS, SUGGEST_TOOL
from agentic_recsys.turn.resources import RoleModel
from agentic_recsys.turn.state import ModelUse, ToolCall

MAX_CALLS = 4  # a plan of more calls is rejected, not cut (which calls would be the plan?)
PLANNER_MAX_TOKENS = 200  # four short calls, or one of eight titles
WISH_CHARS = 60


def wants_model(role: RoleModel, has_themes: bool, replanning: bool) -> bool:
    """Whether the planner asks its model this time.

    The policy plans a first try well from what the parser read; a model earns its call
    where its knowledge can add (moods and themes this message says, for which it may know
    titles) or after a critique said the policy's plan fell short. A turn that only gives
    feedback or says "older" keeps the policy plan, and one LLM call fewer.
    """
    return (role.may("plan") or role.may("suggest")) and (has_themes or replanning)


def model_steps(
    role: RoleModel,
    policy: list[ToolCall],
    message: str,
    request: str,
    critique: str,
    timeout_s: float,
    pictures: bool,
) -> tuple[list[ToolCall], ModelUse]:
    """The model's plan when it is valid, else the policy's; and how the planner ran.

    The picture tools are offered only with a catalog image index (`pictures`): without
    one they can find nothing.
    """
    planning = role.may("plan")
    offered = [t for t in PLAN_TOOLS.values() if pictures or t.name not in PICTURE_TOOLS]
    tools: list[BaseTool] = offered if planning else []
    if role.may("suggest"):
        tools.append(SUGGEST_TOOL)
    bound = {t.name: t for t in tools}
    steps, calls = ask_tools(
        role.model,
        tools,
        PLANNER_SYSTEM if planning else SUGGEST_SYSTEM,
        PLANNER_USER.format(message=message[:300], request=request, critique=critique or "-"),
        lambda reply: checked_steps(reply, bound),
        role="planner",
        timeout_s=timeout_s,
        max_tokens=PLANNER_MAX_TOKENS,
    )
    use = role.use(calls)
    if steps is None:
        return policy, use
    return (steps if planning else [*policy, *steps]), use


def checked_steps(reply: AIMessage, tools: dict[str, BaseTool]) -> list[ToolCall]:
    """The reply's tool calls as plan steps; InvalidToolCallError (one line) if any is wrong."""
    if reply.invalid_tool_calls:
        name = reply.invalid_tool_calls[0].get("name") or "a call"
        raise InvalidToolCallError(f"{name}: arguments are not JSON")
    if not reply.tool_calls:
        raise InvalidToolCallError("no tool call")
    if len(reply.tool_calls) > MAX_CALLS:
        raise InvalidToolCallError(f"{len(reply.tool_calls)} tool calls, at most {MAX_CALLS}")
    return [_checked(call["name"], call["args"], tools) for call in reply.tool_calls]


def _checked(name: str, args: dict[str, object], tools: dict[str, BaseTool]) -> ToolCall:
    tool = tools.get(name)
    if tool is None:
        raise InvalidToolCallError(f"unknown tool {name[:40]!r}")
    schema = tool.tool_call_schema
    assert isinstance(schema, type) and issubclass(schema, BaseModel)  # from the function
    foreign = sorted(set(args) - set(schema.model_fields))
    if foreign:  # "user_id", "exclude", "scope", ...: the scope is injected, never chosen
        raise InvalidToolCallError(f"{name}: {_names(foreign)} not the model's to choose")
    try:
        valid = schema.model_validate(args)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InvalidToolCallError(f"{name}: {where}: {error['msg']}"[:120]) from None
    return ToolCall(tool=name, args=valid.model_dump())


def wish_of(message: str) -> str:
    """The request in the user's words (cut short), cited as what a model named items for."""
    said = " ".join(message.split())
    if len(said) <= WISH_CHARS:
        return said
    cut = said.rfind(" ", 0, WISH_CHARS)
    return said[: cut if cut > 0 else WISH_CHARS] + "..."


def _names(keys: Sequence[str]) -> str:
    shown = ", ".join(k[:30] for k in keys[:3])
    return f"{shown} is" if len(keys) == 1 else f"{shown} are"
