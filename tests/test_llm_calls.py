"""ask_json / ask_text and their failure policy, driven by scripted and LangChain fake models."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agentic_recsys.llm import ask_json, ask_text
from agentic_recsys.llm.calls import ROLE_METADATA_KEY
from agentic_recsys.llm.json_replies import bounded_schema, extract_json_object
from agentic_recsys.llm.testing import Delayed, scripted_model
from agentic_recsys.understanding.schema import Intent


class Pick(BaseModel):
    kind: Literal["recommend", "chitchat"]
    items: list[str] = Field(default_factory=list)


GOOD = '{"kind": "recommend", "items": ["1", "50"]}'
EXPECTED = Pick(kind="recommend", items=["1", "50"])


def ask(model: BaseChatModel, timeout_s: float = 5) -> tuple[Pick | None, list[str | None]]:
    value, calls = ask_json(
        model, Pick, "Decide.", "a funny movie", role="intent", timeout_s=timeout_s
    )
    assert all(call.role == "intent" and call.seconds >= 0 for call in calls)
    return value, [call.error for call in calls]


def test_good_json_first_time() -> None:
    model = scripted_model([GOOD], spec="fake:intent")
    value, calls = ask_json(model, Pick, "Decide.", "a funny movie", role="intent")
    assert value == EXPECTED
    assert [(c.model, c.ok, c.error) for c in calls] == [("fake:intent", True, None)]
    system, user = model.received[0]
    assert system.text == "Decide."  # no schema in the prompt: decoders are held to it
    assert user.text == "a funny movie"


def test_fenced_json_with_prose() -> None:
    reply = f"Sure! Here is the answer:\n```json\n{GOOD}\n```\nHope that helps {{:"
    assert ask(scripted_model([reply])) == (EXPECTED, [None])


def test_bad_json_then_good_is_retried() -> None:
    model = scripted_model(['{"kind": "recommend", "items": [', GOOD])
    assert ask(model) == (EXPECTED, ["invalid_json", None])
    assert model.remaining == 0


def test_bad_twice_gives_up() -> None:
    model = scripted_model(["I think you want a comedy.", "{not json}", GOOD])
    assert ask(model) == (None, ["invalid_json", "invalid_json"])
    assert model.remaining == 1  # exactly one retry, never a third call


def test_wrong_schema() -> None:
    wrong = '{"kind": "buy", "items": "all of them"}'
    assert ask(scripted_model([wrong, wrong])) == (None, ["schema", "schema"])
    assert ask(scripted_model([wrong, GOOD])) == (EXPECTED, ["schema", None])


def test_timeout_then_answer() -> None:
    model = scripted_model([Delayed(GOOD, seconds=3), GOOD])
    assert ask(model, timeout_s=0.2) == (EXPECTED, ["timeout", None])


def test_timeout_twice_with_sleeping_fake() -> None:
    model = FakeListChatModel(responses=[GOOD], sleep=3)
    assert ask(model, timeout_s=0.2) == (None, ["timeout", "timeout"])


def test_exception_then_answer_and_exception_twice() -> None:
    assert ask(scripted_model([ConnectionError("refused"), GOOD])) == (EXPECTED, ["error", None])
    value, calls = ask_json(
        scripted_model([RuntimeError("boom"), RuntimeError("boom")]),
        Pick,
        "Decide.",
        "x",
        role="critic",
    )
    assert value is None and [c.error for c in calls] == ["error", "error"]
    assert "boom" in calls[0].detail


def test_langchain_fake_models_work_unchanged() -> None:
    assert ask(FakeListChatModel(responses=["nope", GOOD])) == (EXPECTED, ["invalid_json", None])
    generic = GenericFakeChatModel(messages=iter([AIMessage(content=GOOD)]))
    assert ask(generic) == (EXPECTED, [None])


def test_no_model_means_no_call() -> None:
    assert ask_json(None, Pick, "s", "u", role="intent") == (None, [])
    assert ask_text(None, "s", "u", role="explainer") == (None, [])


def test_validates_the_shared_intent_schema() -> None:
    reply = (
        '{"kind": "recommend", "constraints": {"genres_out": ["Horror"], "year_min": 1990,'
        ' "year_max": 1999}, "query": "funny"}'
    )
    value, calls = ask_json(scripted_model([reply]), Intent, "Understand.", "x", role="intent")
    assert value is not None and value.constraints.genres_out == ["Horror"]
    assert value.constraints.year_max == 1999 and calls[0].ok


def test_ask_text() -> None:
    model = scripted_model(["  Toy Story: you liked Aladdin.  "], spec="fake:explainer")
    text, calls = ask_text(model, "Explain.", "why Toy Story?", role="explainer")
    assert text == "Toy Story: you liked Aladdin."
    assert [(c.role, c.model, c.ok) for c in calls] == [("explainer", "fake:explainer", True)]


def test_ask_text_empty_is_retried_and_failures_give_none() -> None:
    assert ask_text(scripted_model(["   ", "Hi!"]), "s", "u", role="explainer")[0] == "Hi!"
    text, calls = ask_text(
        scripted_model([Delayed("late", 3), ValueError("x")]),
        "s",
        "u",
        role="explainer",
        timeout_s=0.2,
    )
    assert text is None and [c.error for c in calls] == ["timeout", "error"]


def test_ask_text_clips_at_a_word() -> None:
    text, _ = ask_text(scripted_model(["word " * 100]), "s", "u", role="explainer", max_chars=42)
    assert text is not None and len(text) <= 42 and text.endswith("word")


def test_streaming_progress_is_cumulative_and_restarts_on_retry() -> None:
    model = FakeListChatModel(responses=["Broken reply", "Fine."], error_on_chunk_number=3)
    seen: list[str] = []
    text, calls = ask_text(model, "s", "u", role="explainer", on_progress=seen.append)
    # The first stream fails at its 4th chunk; FakeListChatModel raises on every stream, so
    # the retry fails too: progress showed "Bro", then restarted with "Fin".
    assert text is None and [c.error for c in calls] == ["error", "error"]
    assert seen == ["B", "Br", "Bro", "F", "Fi", "Fin"]

    seen.clear()
    text, _ = ask_text(
        FakeListChatModel(responses=["Fine."]), "s", "u", role="explainer", on_progress=seen.append
    )
    assert text == "Fine." and seen[-1] == "Fine." and seen[0] == "F"


def test_extract_json_object() -> None:
    assert extract_json_object('x {"a": [1, {"b": 2}]} y {"c": 3}') == {"a": [1, {"b": 2}]}
    assert extract_json_object('[1, 2] then {"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="no JSON object"):
        extract_json_object("[1, 2]")


def test_bounded_schema_caps_arrays_and_strings_only_downwards() -> None:
    schema = bounded_schema(Intent.model_json_schema(), max_items=3, max_length=50)
    assert schema["properties"]["like_items"]["maxItems"] == 3
    assert schema["properties"]["query"]["maxLength"] == 50  # was 500
    constraints = schema["$defs"]["Constraints"]["properties"]
    assert constraints["genres_in"]["items"]["maxLength"] == 50
    small = bounded_schema({"type": "string", "maxLength": 10}, max_length=50)
    assert small["maxLength"] == 10


def test_tokens_reach_a_langgraph_messages_stream_tagged_with_the_role() -> None:
    class State(TypedDict):
        reply: str

    model = FakeListChatModel(responses=["Hello there."])

    def explainer(state: State) -> dict[str, str]:
        text, _ = ask_text(model, "s", "u", role="explainer")
        return {"reply": text or ""}

    builder = StateGraph(State)
    builder.add_node("explainer", explainer)
    builder.add_edge(START, "explainer")
    builder.add_edge("explainer", END)
    events: list[Any] = list(builder.compile().stream({"reply": ""}, stream_mode="messages"))
    tokens = [(message.text, meta.get(ROLE_METADATA_KEY)) for message, meta in events]
    assert "".join(text for text, _ in tokens) == "Hello there."
    assert {role for _, role in tokens} == {"explainer"}
