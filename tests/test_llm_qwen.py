"""Whole turns through the real Qwen2.5-1.5B: skipped without llama-cpp-python or the model
file in the models cache (fetch it once: `python -c "from agentic_recsys.llm.weights import
local_gguf; local_gguf('qwen2.5-1.5b')"`). Quality and latency are the benchmark's, not these."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

import agentic_recsys as ars
from agentic_recsys.agents.intent import intent_system, intent_user
from agentic_recsys.app import App
from agentic_recsys.llm import load_chat_model
from agentic_recsys.llm.weights import LOCAL_MODELS, models_dir

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.local_llm
SPEC = "local:qwen2.5-1.5b"
MAX_INTENT_PROMPT_TOKENS = 600

if not (models_dir() / LOCAL_MODELS["qwen2.5-1.5b"].file_name).is_file():
    pytest.skip("the Qwen2.5-1.5B GGUF is not in the models cache", allow_module_level=True)


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def test_the_intent_prompt_fits_its_budget_in_the_models_tokens(app: App) -> None:
    model = load_chat_model(SPEC)
    shown = app.recommend("42", 10)
    state: Any = {
        "messages": [
            HumanMessage("I want a funny movie from the nineties with a lot of heart " * 3),
            AIMessage("Here are 5 picks in Comedy from 1990 to 1999: " + "a long line " * 30),
        ]
        * 2,
        "memories": ["likes Comedy; avoids Horror; loved Toy Story (1995) " * 3] * 5,
    }
    user = intent_user(state, app, "something like the third one but darker and older", shown)
    text = f"{intent_system(app)}\n{user}"
    tokens = len(model._llama.tokenize(text.encode(), add_bos=False))  # type: ignore[union-attr]
    assert tokens <= MAX_INTENT_PROMPT_TOKENS, tokens


def test_whole_turns_through_the_real_model(app: App) -> None:
    session = app.session(user_id="qwen-1", model=SPEC, llm_timeout_s=180)
    first = session.send("something to cheer me up after a long week")  # the LLM is asked
    intent = next(m for m in first.models if m.role == "intent")
    assert intent.model == SPEC and 1 <= intent.calls <= 2
    assert first.items and all(i in app.dataset.items.index for i in first.items)
    second = session.send("MY DAUGHTER DOESNT CARE MUCH FOR ANIMATED FILMS")
    assert second.items
    genres_out = session.values()["intent"].constraints.genres_out
    assert set(genres_out) <= {"Animation"}  # nothing the message did not negate
    if genres_out:
        items = app.dataset.items
        assert not any("Animation" in items.genres[items.index[i]] for i in second.items)
