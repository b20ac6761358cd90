"""JSON in model replies: the schema a decoder may be held to, and the object a reply holds."""

from __future__ import annotations

import json
import re
from typing import Any

GRAMMAR_MAX_ITEMS = 8
GRAMMAR_MAX_LENGTH = 200


class InvalidJsonError(ValueError):
    """The reply holds no JSON object."""


def extract_json_object(text: str) -> dict[str, Any]:
    """Find the first JSON object in `text`, tolerating ```json fences and prose around it."""
    decoder = json.JSONDecoder()
    for brace in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, brace.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise InvalidJsonError(f"no JSON object in the reply: {text[:80]!r}")


def bounded_schema(
    schema: dict[str, Any],
    *,
    max_items: int = GRAMMAR_MAX_ITEMS,
    max_length: int = GRAMMAR_MAX_LENGTH,
) -> dict[str, Any]:
    """Copy `schema` with every array and string capped, so grammar-held decoding ends.

    An unbounded grammar lets a small model repeat list items until it runs out of tokens;
    the caps only narrow the schema, so whatever they let through still validates.
    """

    def bound(node: Any) -> Any:
        if isinstance(node, list):
            return [bound(child) for child in node]
        if not isinstance(node, dict):
            return node
        node = {key: bound(child) for key, child in node.items()}
        if node.get("type") == "array":
            node["maxItems"] = min(node.get("maxItems", max_items), max_items)
        elif node.get("type") == "string":
            node["maxLength"] = min(node.get("maxLength", max_length), max_length)
        return node

    bounded: dict[str, Any] = bound(schema)
    return bounded
