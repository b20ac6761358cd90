"""What a memory is: one record per preference, item verdict, episode, and the profile summary.

Each record is stored in Chroma as a document (the text that is embedded and recalled)
and metadata (kind, key, the structured data as JSON, times). The structured data is
what code acts on; the text is only ever shown, as data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentic_recsys.understanding.schema import Preference, Verdict

MemoryKind = Literal["profile", "preference", "feedback", "episode"]
KIND_ORDER: dict[str, int] = {"profile": 0, "preference": 1, "feedback": 2, "episode": 3}

Metadata = dict[str, str | int | float | bool]


class Episode(BaseModel):
    """One turn as it happened: what was asked, which items were shown, which were chosen."""

    asked: str = Field(default="", max_length=2000)
    shown: list[str] = Field(default_factory=list)  # item ids, in the order shown
    chosen: list[str] = Field(default_factory=list)  # item ids

    def text(self, titles: Mapping[str, str]) -> str:
        """How the episode reads when recalled."""
        parts = [f"asked: {self.asked}"] if self.asked else []
        if self.shown:
            parts.append("shown: " + ", ".join(titles.get(i, i) for i in self.shown))
        if self.chosen:
            parts.append("chose: " + ", ".join(titles.get(i, i) for i in self.chosen))
        return "; ".join(parts) or "an empty turn"

    def gist(self, titles: Mapping[str, str]) -> str:
        """What a later message is matched against: the user's words and choices.

        Not the list shown (the system's words): its titles were most of an episode's
        tokens, and embedding them most of a turn's memory write.
        """
        return Episode(asked=self.asked, chosen=self.chosen).text(titles)


@dataclass(frozen=True)
class Memory:
    """One remembered thing: `data` is structured and acted on, `text` is only shown."""

    id: str
    kind: MemoryKind
    key: str  # "genre:Horror", an item id, an episode number, "profile"
    text: str
    data: dict[str, Any]
    created: datetime
    updated: datetime
    matched_by: str = ""  # what its vector is made of, when not `text` (never stored)

    def to_dict(self) -> dict[str, Any]:
        """Give the JSON-able form, for export."""
        return {
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "text": self.text,
            "data": self.data,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }

    def metadata(self) -> Metadata:
        """How Chroma stores everything but the text."""
        return {
            "kind": self.kind,
            "key": self.key,
            "data": json.dumps(self.data),
            "created": self.created.timestamp(),
            "updated": self.updated.timestamp(),
        }

    @classmethod
    def from_chroma(cls, record_id: str, text: str, metadata: Mapping[str, Any]) -> Memory:
        """Read a record back from Chroma."""
        return cls(
            id=record_id,
            kind=metadata["kind"],
            key=str(metadata["key"]),
            text=text,
            data=json.loads(str(metadata["data"])),
            created=datetime.fromtimestamp(float(metadata["created"]), UTC),
            updated=datetime.fromtimestamp(float(metadata["updated"]), UTC),
        )


@dataclass(frozen=True)
class Recall:
    """What memory holds for one message: relevant memories, and always the structured taste."""

    memories: list[Memory] = field(default_factory=list)  # semantic: closest to the message
    preferences: list[Preference] = field(default_factory=list)  # every active one
    feedback: dict[str, Verdict] = field(default_factory=dict)  # item id -> latest verdict
    summary: str = ""

    @property
    def liked(self) -> list[str]:
        """Items the user liked: fold-in history for the recommenders."""
        return [i for i, v in self.feedback.items() if v == "liked"]

    @property
    def disliked(self) -> list[str]:
        """Items the user disliked: never recommended again."""
        return [i for i, v in self.feedback.items() if v == "disliked"]

    @property
    def seen(self) -> list[str]:
        """Items the user has seen: not recommended again."""
        return [i for i, v in self.feedback.items() if v == "seen"]
