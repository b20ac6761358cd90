"""What a turn reads: our `message`, or LangGraph's chat input `{"messages": [...]}`,
recorded once in the conversation either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

import agentic_recsys as ars
from agentic_recsys.app import App
from agentic_recsys.graphs.memory_steps import turn_message
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.state import State


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def run(app: App, thread: str, payload: dict[str, Any]) -> dict[str, Any]:
    config: Any = {"configurable": {"thread_id": thread}}
    payload = {"user_id": f"user-of-{thread}", **payload}  # no turn is served without a user
    out = app.graph.invoke(payload, config, context=Context(data_dir=str(app.dataset.path)))
    assert isinstance(out, dict)
    return out


def humans(app: App, thread: str) -> list[str]:
    values = app.graph.get_state({"configurable": {"thread_id": thread}}).values
    return [str(m.content) for m in values["messages"] if isinstance(m, HumanMessage)]


def test_langgraphs_messages_input_is_the_message(app: App) -> None:
    first = run(
        app, "chat-ui", {"messages": [{"role": "user", "content": "an animated film for kids"}]}
    )
    assert len(first["items"]) == 5
    assert all(
        "Animation" in app.dataset.items.genres[app.dataset.items.index[i]]
        or "Children's" in app.dataset.items.genres[app.dataset.items.index[i]]
        for i in first["items"]
    )
    # the next turn refines it, through either input, and each message is recorded once
    second = run(app, "chat-ui", {"message": "none of those"})
    third = run(app, "chat-ui", {"messages": [HumanMessage("older ones, please")]})
    assert second["items"] and third["items"]
    assert not set(first["items"]) & set(second["items"])
    assert humans(app, "chat-ui") == [
        "an animated film for kids",
        "none of those",
        "older ones, please",
    ]


def test_the_message_a_turn_heard_is_not_heard_again() -> None:
    heard = HumanMessage("a western", id="h1")
    after_a_reply: State = {"messages": [heard, AIMessage("...")], "heard": "h1", "message": "more"}
    assert turn_message(after_a_reply)[0] == "more"
    # a turn that failed after recording its message: the next `message` is still read
    failed: State = {"messages": [heard], "heard": "h1", "message": "a comedy"}
    message, said, _ = turn_message(failed)
    assert message == "a comedy" and said.id != "h1"
    sent: State = {
        "messages": [heard, AIMessage("..."), HumanMessage("  a\tthriller ", id="h2")],
        "heard": "h1",
        "message": "a western",
    }
    message, said, _ = turn_message(sent)
    assert (message, said.content, said.id) == ("  a\tthriller ", "a thriller", "h2")
