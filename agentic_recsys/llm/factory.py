"""Chat models from specs, built once per process per spec."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel

from agentic_recsys.errors import ArsError
from agentic_recsys.llm.specs import ModelSpec, parse_spec
from agentic_recsys.llm.weights import LOCAL_MODELS, local_gguf

SPEC_METADATA_KEY = "ars_model_spec"
# OpenAI-compatible servers that want no key still refuse an empty one.
PLACEHOLDER_API_KEY = "not-needed"
LOCAL_INSTALL_HINT = "pip install 'agentic-recsys[local]'"

_models: dict[str, BaseChatModel | None] = {}
_models_lock = threading.Lock()


def load_chat_model(spec: str) -> BaseChatModel | None:
    """Return the chat model a spec names (None for "none"), loading it once per process."""
    parsed = parse_spec(spec)
    with _models_lock:
        if parsed.text not in _models:
            _models[parsed.text] = _build(parsed)
        return _models[parsed.text]


def register_chat_model(spec: str, model: BaseChatModel) -> None:
    """Make `spec` resolve to a model built elsewhere (a service's own client, a test's script)."""
    parsed = parse_spec(spec)
    model.metadata = {**(model.metadata or {}), SPEC_METADATA_KEY: parsed.text}
    with _models_lock:
        _models[parsed.text] = model


def clear_model_cache() -> None:
    """Forget loaded models, so a changed environment (keys, base URLs) takes effect."""
    with _models_lock:
        _models.clear()


def model_label(model: BaseChatModel) -> str:
    """Name a model by the spec it was loaded from, else by its class (models built elsewhere)."""
    spec = (model.metadata or {}).get(SPEC_METADATA_KEY)
    return str(spec) if spec else type(model).__name__


def _build(spec: ModelSpec) -> BaseChatModel | None:
    if spec.provider == "none":
        return None
    if spec.provider == "local":
        model = _local(spec)
    elif spec.provider == "openai":
        model = _openai(spec)
    else:
        model = _other_provider(spec)
    model.metadata = {**(model.metadata or {}), SPEC_METADATA_KEY: spec.text}
    return model


def _local(spec: ModelSpec) -> BaseChatModel:
    if importlib.util.find_spec("llama_cpp") is None:
        raise ArsError(f"model {spec.text} needs llama-cpp-python: {LOCAL_INSTALL_HINT}")
    from agentic_recsys.llm.llama_chat import LlamaCppChatModel

    name = spec.model.lower()
    path = local_gguf(name) if name in LOCAL_MODELS else Path(spec.model).expanduser()
    if not path.is_file():
        known = ", ".join(f"local:{n}" for n in LOCAL_MODELS)
        raise ArsError(f"no GGUF file at {path}: use local:/path/to/model.gguf or {known}")
    try:
        return LlamaCppChatModel(model_path=str(path))
    except ValueError as exc:
        raise ArsError(f"llama.cpp could not load {path}: {exc}") from exc


def _openai(spec: ModelSpec) -> BaseChatModel:
    base_url = (
        spec.base_url or os.environ.get("ARS_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
    )
    key = os.environ.get("OPENAI_API_KEY")
    if is_openai_endpoint(base_url):
        if not key:
            raise ArsError(
                f"model {spec.text} needs OPENAI_API_KEY: export OPENAI_API_KEY=sk-..., or run "
                f"offline with --model local:smollm2 ({LOCAL_INSTALL_HINT}) or an OpenAI-"
                "compatible server: --model openai:<model>@http://127.0.0.1:8000/v1"
            )
    else:
        key = os.environ.get("ARS_OPENAI_API_KEY") or key or PLACEHOLDER_API_KEY
    # No client-side retries: ask_json/ask_text retry once themselves, then fall back.
    return init_chat_model(
        spec.model,
        model_provider="openai",
        base_url=base_url,
        api_key=key,
        max_retries=0,
    )


def is_openai_endpoint(base_url: str | None) -> bool:
    """Whether a base URL is OpenAI's own API (which needs a real key), not another server."""
    if base_url is None:
        return True
    host = urlparse(base_url).hostname or ""
    return host == "openai.com" or host.endswith(".openai.com")


def _other_provider(spec: ModelSpec) -> BaseChatModel:
    try:
        return init_chat_model(spec.model, model_provider=spec.provider, max_retries=0)
    except ImportError as exc:
        raise ArsError(f"model {spec.text}: {exc}".splitlines()[0]) from exc
    except ValueError as exc:  # unknown provider, or the integration refused its settings
        said = " ".join(str(exc).split())  # the known providers are on its later lines
        if "unsupported provider" in said.lower():
            said += "; also none, local:MODEL and openai:MODEL@URL"
        raise ArsError(f"model {spec.text}: {said}") from exc
