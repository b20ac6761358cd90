"""Model specs: which model a role uses, written as one `provider:model` string.

`none` (no LLM), `openai:gpt-4o-mini`, `openai:qwen2.5@http://127.0.0.1:8000/v1` (any
OpenAI-compatible server), `local:smollm2` (the embedded model), `local:/path/model.gguf`,
or any other provider `init_chat_model` knows (`anthropic:...`), if its package is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentic_recsys.errors import ArsError

Capability = Literal["none", "weak", "capable"]
SMOLLM2 = "smollm2"
SPEC_EXAMPLES = "e.g. openai:gpt-4o-mini, openai:<model>@http://host:port/v1, local:smollm2, none"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec; `base_url` is only the one written in the spec (env fallbacks apply later)."""

    text: str
    provider: str
    model: str = ""
    base_url: str | None = None


def parse_spec(text: str) -> ModelSpec:
    """Split `provider:model[@http(s)://base/url]`, refusing anything else with a hint."""
    spec = text.strip()
    if spec.lower() == "none":
        return ModelSpec("none", "none")
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model:
        raise ArsError(f"model '{text}' is not provider:model ({SPEC_EXAMPLES})")
    base_url = None
    head, at, tail = model.rpartition("@")
    if at and tail.startswith(("http://", "https://")):
        model, base_url = head, tail
        if not model:
            raise ArsError(f"model '{text}' names no model before '@' ({SPEC_EXAMPLES})")
    return ModelSpec(spec, provider.lower(), model, base_url)


def capability(spec: str) -> Capability:
    """How far a role may trust this model by default.

    The embedded SmolLM2-135M parses JSON grammars but decides wrongly and invents facts
    (measured: intent right in 2-4 of 10 messages), so it may only word what a policy decided.
    """
    parsed = parse_spec(spec)
    if parsed.provider == "none":
        return "none"
    if parsed.provider == "local" and parsed.model.lower() == SMOLLM2:
        return "weak"
    return "capable"
