"""The planner as a tool-calling step, and suggest_titles, with scripted models that call tools."""

from __future__ import annotations

import importlib.util
import operator
from collections.abc import Iterator
from functools import reduce
from pathlib import Path

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.utils.function_calling import convert_to_openai_tool

import agentic_recsys as ars
from agentic_recsys.agents.tool_plan import model_steps
from agentic_recsys.app import App
from agentic_recsys.llm import register_chat_model
from agentic_recsys.llm.calls import ask_tools
from agentic_recsys.llm.testing import scripted_model
from agentic_recsys.session import TurnResult
from agentic_recsys.tools.retrieval import PICTURE_TOOLS, PLAN_TOOLS, SUGGEST_TOOL, TOOLS, ToolScope
from agentic_recsys.turn.resources import RoleModel
from agentic_recsys.turn.state import ModelUse, ToolCall

HEIST = "heist films"


pytestmark = pytest.mark.usefixtures("registered_models_forgotten")


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def calls(*steps: tuple[str, dict[str, object]]) -> AIMessage:
    """A provider's reply to bound tools: these calls, nothing else."""
    return AIMessage(
        content="",
        tool_calls=[{"name": n, "args": a, "id": f"call-{i}"} for i, (n, a) in enumerate(steps)],
    )


def planner_use(result: TurnResult) -> ModelUse:
    return next(m for m in result.models if m.role == "planner")


def test_a_valid_tool_plan_is_the_plan(app: App) -> None:
    planner = scripted_model(
        [calls(("search_catalog", {"query": "heist"}), ("similar_items", {"titles": ["Heat"]}))]
    )
    register_chat_model("fake:plan-valid", planner)
    s = app.session(user_id="tools-1", planner_model="fake:plan-valid", max_revisions=0)
    r = s.send(HEIST)
    assert s.values()["plan"].steps == [
        ToolCall(tool="search_catalog", args={"query": "heist"}),
        ToolCall(tool="similar_items", args={"titles": ["Heat"]}),
    ]
    use = planner_use(r)
    assert (use.model, use.calls, use.fell_back) == ("fake:plan-valid", 1, False)
    assert r.items
    # bound with the schemas LangChain derives from the tool functions; the scope is not in them
    bound = planner.tools[0]
    offered = [t for t in PLAN_TOOLS.values() if t.name not in PICTURE_TOOLS]  # no image index
    assert bound == [convert_to_openai_tool(t) for t in [*offered, SUGGEST_TOOL]]
    assert all("scope" not in t["function"]["parameters"].get("properties", {}) for t in bound)


POLICY_FOR_HEIST = [
    ToolCall(tool="search_catalog", args={"query": "heist"}),
    ToolCall(tool="popular"),
]


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (calls(("delete_user", {"user_id": "1"})), "unknown tool 'delete_user'"),
        (calls(("similar_items", {"titles": "Heat"})), "similar_items: titles: Input should be"),
        (calls(("search_catalog", {"query": ""})), "search_catalog: query: String should have"),
        (calls(("similar_items", {"titles": list("abcdefghijk")})), "similar_items: titles:"),
        (calls(("personalized", {"user_id": "1"})), "personalized: user_id is not the model's"),
        (
            calls(("search_catalog", {"query": "heist", "exclude": [], "scope": {}})),
            "search_catalog: exclude, scope are not the model's",
        ),
        (AIMessage(content="I would search for heist films."), "no tool call"),
        (calls(*[("popular", {})] * 5), "5 tool calls, at most 4"),
    ],
    ids=["unknown", "wrong-type", "empty", "too-many-titles", "user", "exclusions", "none", "five"],
)
def test_an_invalid_tool_plan_falls_back_to_the_policy(
    app: App, reply: AIMessage, why: str, request: pytest.FixtureRequest
) -> None:
    spec = f"fake:plan-{request.node.callspec.id}"
    register_chat_model(spec, scripted_model([reply, reply]))  # the retry is as bad
    s = app.session(user_id="tools-2", planner_model=spec, max_revisions=0)
    r = s.send(HEIST)
    assert s.values()["plan"].steps == POLICY_FOR_HEIST
    use = planner_use(r)
    assert use.fell_back and use.calls == 2 and "\n" not in use.why
    assert use.why.startswith(f"tool_call: {why}"), use.why
    assert r.items  # the policy's plan answered


def test_a_model_that_cannot_call_tools_falls_back_without_a_call() -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage(content="")]))
    steps, made = ask_tools(model, list(PLAN_TOOLS.values()), "s", "u", list, role="planner")
    assert steps is None
    assert [(c.ok, c.error, c.detail) for c in made] == [
        (False, "tool_call", "this model cannot call tools")
    ]


def test_a_model_that_may_only_suggest_adds_its_titles_to_the_policy_plan() -> None:
    model = scripted_model([calls(("suggest_titles", {"titles": ["Heat (1995)"]}))])
    role = RoleModel("planner", "fake:suggest", frozenset({"suggest"}), model)
    steps, use = model_steps(
        role, POLICY_FOR_HEIST, HEIST, "mood/themes: heist", "", 5.0, pictures=False
    )
    assert steps == [
        *POLICY_FOR_HEIST,
        ToolCall(tool="suggest_titles", args={"titles": ["Heat (1995)"]}),
    ]
    assert [t["function"]["name"] for t in model.tools[0]] == ["suggest_titles"]
    assert not use.fell_back
    # it may not plan: any other tool is unknown to it
    model = scripted_model([calls(("popular", {}))] * 2)
    role = RoleModel("planner", "fake:suggest", frozenset({"suggest"}), model)
    steps, use = model_steps(role, POLICY_FOR_HEIST, HEIST, "", "", 5.0, pictures=False)
    assert steps == POLICY_FOR_HEIST and use.why == "tool_call: unknown tool 'popular'"


def scope(app: App, exclude: tuple[str, ...] = (), mask: np.ndarray | None = None) -> ToolScope:
    allowed = np.ones(len(app.dataset.items), dtype=bool) if mask is None else mask
    return ToolScope(app, "tools-3", (), exclude, allowed, k=20, wish=HEIST)


def suggest(app: App, titles: list[str], tool_scope: ToolScope) -> list[str]:
    call = {"name": "suggest_titles", "args": {"titles": titles, "scope": tool_scope}}
    return [
        b.item
        for b in TOOLS["suggest_titles"].invoke({**call, "id": "1", "type": "tool_call"}).artifact
    ]


def test_suggest_titles_resolves_catalog_titles_and_drops_the_rest(app: App) -> None:
    named = [
        "Heat (1995)",
        "The Italian Job (2003)",  # not in MovieLens-100K
        "reservoir dogs",
        "Invented Heist Movie (1999)",
        "Fargo (1970)",  # Fargo is 1996: another film of that name, if any
        "Heat",  # the same item again
    ]
    call = {"name": "suggest_titles", "args": {"titles": named, "scope": scope(app)}}
    found = TOOLS["suggest_titles"].invoke({**call, "id": "1", "type": "tool_call"}).artifact
    assert [b.item for b in found] == ["273", "156"]  # Heat (1995), Reservoir Dogs (1992)
    assert all([(e.source, e.detail) for e in b.evidence] == [("suggested", HEIST)] for b in found)
    assert found[0].score > found[1].score  # named first, ranked first


def test_suggest_titles_keeps_the_scope(app: App) -> None:
    assert suggest(app, ["Heat (1995)", "Reservoir Dogs (1992)"], scope(app, exclude=("273",))) == [
        "156"
    ]
    items = app.dataset.items
    no_crime = np.array(["Crime" not in g for g in items.genres])
    assert suggest(app, ["Heat (1995)", "Toy Story"], scope(app, mask=no_crime)) == ["1"]


def test_suggested_items_are_explained_by_that_evidence_only(app: App) -> None:
    named = ["Heat (1995)", "Reservoir Dogs (1992)", "Invented Heist Movie (1999)"]
    register_chat_model(
        "fake:plan-suggest", scripted_model([calls(("suggest_titles", {"titles": named}))])
    )
    s = app.session(user_id="tools-4", planner_model="fake:plan-suggest", max_revisions=0)
    r = s.send(HEIST)
    assert r.items == ["273", "156"]
    items = app.dataset.items
    for item in r.items:  # what the catalog says of it, and that the model named it: no more
        genres, *evidence = r.explanations[item].split("; ")
        assert evidence == [f"named by the model for '{HEIST}'"]
        assert genres == f"a Crime pick ({', '.join(items.genres[items.index[item]])})"


class CannedLlama:
    """Stands in for llama.cpp: replies `text` in two pieces and keeps the call's options."""

    def __init__(self, text: str) -> None:
        self.text, self.options = text, {}

    def create_chat_completion(self, **options: object) -> Iterator[dict[str, object]]:
        self.options = options
        pieces = (self.text[:17], self.text[17:])
        return iter({"choices": [{"delta": {"content": piece}}]} for piece in pieces)


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs the local extra")
def test_llama_cpp_tool_calls_reach_the_reply_streamed_or_not() -> None:
    from agentic_recsys.llm.llama_chat import LlamaCppChatModel

    reply = (
        '<tool_call>\n{"name": "search_catalog", "arguments": {"query": "heist"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "popular", "arguments": {}}\n</tool_call>\n'
        '<tool_call>\n{"name": "similar_items", "arguments": {"titles": ["He'  # cut off
    )
    llama = CannedLlama(reply)

    class Canned(LlamaCppChatModel):
        def model_post_init(self, context: object, /) -> None:
            self._llama = llama

    bound = Canned(model_path="canned.gguf").bind_tools(list(TOOLS.values()))
    expected = [("search_catalog", {"query": "heist"}), ("popular", {})]
    invoked = bound.invoke("heist films")
    assert [(c["name"], c["args"]) for c in invoked.tool_calls] == expected
    # inside a graph run, LangChain streams: the calls must survive that path too
    streamed = reduce(operator.add, bound.stream("heist films"))
    assert isinstance(streamed, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in streamed.tool_calls] == expected
    sent = llama.options
    assert sent["grammar"] is not None  # decoding held to calls of the bound tools
    assert [t["function"]["name"] for t in sent["tools"]] == list(TOOLS)  # for the template
