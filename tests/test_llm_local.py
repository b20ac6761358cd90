"""The embedded SmolLM2 through llama-cpp-python: in process, and behind its OpenAI-compatible
server called through langchain-openai. Skipped where the `local` extra is not installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field
from servers import free_port, running

from agentic_recsys.llm import ask_json, ask_text, load_chat_model
from agentic_recsys.llm.llama_chat import LlamaCppChatModel
from agentic_recsys.llm.weights import local_gguf

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.local_llm


class Ticket(BaseModel):
    """Values a 135M model would not produce unprompted: only a grammar makes them reliable."""

    code: Literal["XK-42", "QZ-17"]
    tags: list[Literal["alpha", "omega"]] = Field(default_factory=list)
    note: str


SYSTEM = "You file support tickets."
USER = "My movie app crashes when I open it."


@pytest.fixture(scope="module")
def smollm2() -> LlamaCppChatModel:
    model = load_chat_model("local:smollm2")
    assert isinstance(model, LlamaCppChatModel)
    return model


def test_smollm2_is_loaded_once(smollm2: LlamaCppChatModel) -> None:
    assert load_chat_model("local:smollm2") is smollm2
    assert smollm2.n_threads == 1


def test_grammar_constrained_json(smollm2: LlamaCppChatModel) -> None:
    schema = Ticket.model_json_schema()
    raw = smollm2.invoke([("system", SYSTEM), ("user", USER)], json_schema=schema)
    ticket = Ticket.model_validate(json.loads(raw.text))  # the bare reply is valid JSON
    assert len(ticket.note) <= 200 and len(ticket.tags) <= 8  # grammar bounds hold

    value, calls = ask_json(smollm2, Ticket, SYSTEM, USER, role="intent", timeout_s=60)
    assert isinstance(value, Ticket)
    assert [(c.model, c.ok) for c in calls] == [("local:smollm2", True)]


def test_text_streams_and_timeout_leaves_model_usable(smollm2: LlamaCppChatModel) -> None:
    seen: list[str] = []
    text, calls = ask_text(
        smollm2,
        "Reply in one short sentence.",
        "Say hello to a movie fan.",
        role="explainer",
        max_chars=300,
        on_progress=seen.append,
        timeout_s=60,
    )
    assert text and calls[0].ok and len(text) <= 300
    assert len(seen) > 1 and seen[-1].strip().startswith(text[:10])

    text, calls = ask_text(smollm2, "Write a long story.", "Go.", role="explainer", timeout_s=0.01)
    assert text is None and [c.error for c in calls] == ["timeout", "timeout"]
    # The abandoned generations stop at their own deadline and release the model.
    again, _ = ask_json(smollm2, Ticket, SYSTEM, USER, role="intent", timeout_s=60)
    assert isinstance(again, Ticket)


@pytest.fixture(scope="module")
def smollm2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port, stopped by PID."""
    pytest.importorskip("starlette_context", reason="needs llama-cpp-python[server]")
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(local_gguf("smollm2")),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "1",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with running(command, f"{base_url}/models", log, timeout=90):
        yield base_url


def test_openai_path_against_local_server(smollm2_server: str) -> None:
    spec = f"openai:smollm2@{smollm2_server}"
    model = load_chat_model(spec)
    assert isinstance(model, ChatOpenAI)

    text, calls = ask_text(
        model,
        "Reply in one short sentence.",
        "Say hello.",
        role="explainer",
        max_chars=300,
        timeout_s=60,
    )
    assert text and [(c.model, c.ok) for c in calls] == [(spec, True)]

    # The schema travels as response_format and the server turns it into a grammar.
    value, calls = ask_json(model, Ticket, SYSTEM, USER, role="intent", timeout_s=60)
    assert isinstance(value, Ticket) and calls[0].ok


def test_whole_turns_through_the_openai_path(smollm2_server: str, ml100k_dir: Path) -> None:
    """Every role on SmolLM2 behind the OpenAI-compatible server: outputs are validated and
    grounded, so the turn answers with real items whatever the small model says."""
    import agentic_recsys as ars

    app = ars.open(ml100k_dir)
    spec = f"openai:smollm2@{smollm2_server}"
    session = app.session(user_id="42", model=spec, llm_timeout_s=120)
    first = session.send("three comedies from the 90s, no horror")
    second = session.send("none of those")
    for r in (first, second):
        assert r.text
        assert all(i in app.dataset.items.index for i in r.items)
        explainer = next(m for m in r.models if m.role == "explainer")
        assert explainer.model == spec and explainer.calls >= 1
        intent = next(m for m in r.models if m.role == "intent")
        assert intent.model == "rules"  # the parser read both messages surely: no LLM call
        assert 1 <= r.llm_calls <= 8  # at most one retry per role
    assert not set(first.items) & set(second.items)


def test_saved_states_are_held_to_the_cache_size_with_their_logits() -> None:
    """llama.cpp counts a saved state without its logits; ours counts them, and evicts."""
    model = LlamaCppChatModel(model_path=str(local_gguf("smollm2")), cache_bytes=12 << 20)
    for n in range(8):  # different prompts: a state saved for each, ~5 MB with its logits
        model.invoke(f"Name the number {n}, then the number {n * 13}.", max_tokens=2)
    states = list(model._llama.cache.cache_state.values())
    held = sum(s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in states)
    assert held == model._llama.cache.cache_size <= 12 << 20
    assert 1 <= len(states) < 8  # the oldest went
    assert all(s.scores.nbytes > s.llama_state_size for s in states)  # what it left out
