"""A user's structured taste: active preferences, item verdicts, the episode count.

The profile is where memory decides: a statement on a known key supersedes the old
one, a repeat merges into it, a new verdict on an item replaces the earlier one, and
episodes are numbered so the oldest is replaced. Each change is returned as the
`Memory` record to write.

It is stored as a few small state records, not one big one: a head (preferences,
counters, the summary) and verdicts spread over `BUCKETS` records by item, so a turn
rewrites only the records it touched. Chroma logs every write in full until it
compacts, and rewriting one record with 1,600 verdicts on every turn made each write
read hundreds of megabytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentic_recsys.memory.records import Episode, Memory, MemoryKind
from agentic_recsys.understanding.schema import Feedback, Preference, Verdict

PROFILE_ID = "profile"  # the head state record, and the profile's id in `show()`
BUCKETS = 128  # ~12 verdicts each at 1,600: a turn rewrites about 1 KB per item
STATE_IDS = [PROFILE_ID] + [f"verdicts:{b:02d}" for b in range(BUCKETS)]
NOTHING_YET = "Nothing remembered yet."


class PreferenceEntry(BaseModel):
    """The active statement on one key."""

    key: str
    polarity: Literal["like", "avoid"]
    text: str
    created: float
    updated: float


class FeedbackEntry(BaseModel):
    """The latest verdict on one item."""

    verdict: Verdict
    title: str = ""
    created: float
    updated: float


class Profile(BaseModel):
    """The structured part of a user's memory: active preferences, verdicts, episode count."""

    preferences: dict[str, PreferenceEntry] = Field(default_factory=dict)  # by normalised key
    feedback: dict[str, FeedbackEntry] = Field(default_factory=dict)  # by item id
    episodes: int = 0  # episodes ever written; episode n is kept in slot n % slots
    created: float = 0.0
    updated: float = 0.0

    @classmethod
    def from_state(cls, records: Mapping[str, dict[str, Any]]) -> Profile:
        """Rebuild the profile from its state records (head and verdict buckets)."""
        feedback = {
            item: entry
            for record_id, data in records.items()
            if record_id != PROFILE_ID
            for item, entry in data.items()
        }
        return cls.model_validate({**records.get(PROFILE_ID, {}), "feedback": feedback})

    def state(self, items: Iterable[str], now: float) -> dict[str, dict[str, Any]]:
        """Stamp the change; return the head and the buckets of these items, to write."""
        self.created = self.created or now
        self.updated = now
        changed = {_bucket(item) for item in items}
        records: dict[str, dict[str, Any]] = {PROFILE_ID: self.model_dump(exclude={"feedback"})}
        records.update({bucket: {} for bucket in changed})
        for item, entry in self.feedback.items():
            bucket = _bucket(item)
            if bucket in changed:
                records[bucket][item] = entry.model_dump()
        return records

    def remember_preference(self, preference: Preference, now: float) -> Memory:
        """Supersede or merge the statement on this key, and return the record to write."""
        old = self.preferences.get(_normalise(preference.key))
        same = old is not None and old.polarity == preference.polarity
        entry = PreferenceEntry(
            key=preference.key,
            polarity=preference.polarity,
            text=preference.text,
            created=old.created if same and old else now,
            updated=now,
        )
        self.preferences[_normalise(preference.key)] = entry
        verb = "likes" if entry.polarity == "like" else "avoids"
        return _memory(
            "preference:" + _digest(_normalise(entry.key)),
            "preference",
            entry.key,
            f"{verb} {_label(entry.key)}: {entry.text}",
            {"key": entry.key, "polarity": entry.polarity, "text": entry.text},
            entry.created,
            now,
        )

    def remember_feedback(self, feedback: Feedback, title: str, now: float) -> Memory:
        """Replace the verdict on this item (a repeat keeps its first time); return the record."""
        old = self.feedback.get(feedback.item)
        same = old is not None and old.verdict == feedback.verdict
        entry = FeedbackEntry(
            verdict=feedback.verdict,
            title=title or (old.title if old else ""),
            created=old.created if same and old else now,
            updated=now,
        )
        self.feedback[feedback.item] = entry
        return _memory(
            "feedback:" + _digest(feedback.item),
            "feedback",
            feedback.item,
            f"{entry.verdict} {entry.title or feedback.item}",
            {"item": feedback.item, "verdict": entry.verdict, "title": entry.title},
            entry.created,
            now,
        )

    def remember_episode(
        self, episode: Episode, titles: Mapping[str, str], now: float, slots: int
    ) -> Memory:
        """Number the episode; return its record, in the oldest one's place once `slots` are full.

        Reusing the id replaces the oldest episode in the same write, with no delete.
        """
        number = self.episodes
        self.episodes += 1
        return _memory(
            f"episode:{number % slots:010d}",
            "episode",
            str(number),
            episode.text(titles),
            episode.model_dump(),
            now,
            now,
            matched_by=episode.gist(titles),
        )

    def active_preferences(self) -> list[Preference]:
        """Every active statement, oldest first."""
        entries = sorted(self.preferences.values(), key=lambda e: e.created)
        return [Preference(key=e.key, polarity=e.polarity, text=e.text) for e in entries]

    def verdicts(self) -> dict[str, Verdict]:
        """Item id -> latest verdict."""
        return {item: entry.verdict for item, entry in self.feedback.items()}

    def summary(self, limit: int = 5) -> str:
        """Describe the user in one line: "Enjoys Comedy; avoids Horror; liked Fargo"."""
        prefs = sorted(self.preferences.values(), key=lambda e: e.created)
        recent = sorted(self.feedback.items(), key=lambda kv: kv[1].updated, reverse=True)

        def titles(verdict: Verdict) -> list[str]:
            return [e.title or item for item, e in recent if e.verdict == verdict]

        parts = [
            _clause("Enjoys", [_label(e.key) for e in prefs if e.polarity == "like"], limit, True),
            _clause("avoids", [_label(e.key) for e in prefs if e.polarity == "avoid"], limit, True),
            _clause("liked", titles("liked"), limit, False),
            _clause("disliked", titles("disliked"), limit, False),
            _clause("has seen", titles("seen"), limit, False),
        ]
        text = "; ".join(p for p in parts if p)
        return text[0].upper() + text[1:] if text else NOTHING_YET

    def as_memory(self, summary: str) -> Memory:
        """The profile as `show()` lists it: the summary, and how much is remembered."""
        counts = {
            "preferences": len(self.preferences),
            "verdicts": len(self.feedback),
            "episodes": self.episodes,
        }
        return _memory(
            PROFILE_ID, "profile", PROFILE_ID, summary, counts, self.created, self.updated
        )


def _memory(
    record_id: str,
    kind: MemoryKind,
    key: str,
    text: str,
    data: dict[str, Any],
    created: float,
    updated: float,
    matched_by: str = "",
) -> Memory:
    return Memory(
        id=record_id,
        kind=kind,
        key=key,
        text=text,
        data=data,
        created=datetime.fromtimestamp(created, UTC),
        updated=datetime.fromtimestamp(updated, UTC),
        matched_by=matched_by,
    )


@lru_cache(maxsize=1 << 16)  # a write buckets every verdict the user has (1,600 hashes)
def _bucket(item: str) -> str:
    return STATE_IDS[1 + int(_digest(item)[:8], 16) % BUCKETS]


def _normalise(key: str) -> str:
    return " ".join(key.split()).casefold()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _label(key: str) -> str:
    # "genre:Horror" reads as "Horror"
    return key.split(":", 1)[-1].strip() or key


def _clause(verb: str, names: list[str], limit: int, final_and: bool) -> str:
    # "Enjoys A, B and C", "liked A, B", "liked A, B and 3 more"
    head, rest = names[:limit], len(names) - limit
    if not head:
        return ""
    if rest > 0:
        return f"{verb} {', '.join(head)} and {rest} more"
    if final_and and len(head) > 1:
        return f"{verb} {', '.join(head[:-1])} and {head[-1]}"
    return f"{verb} {', '.join(head)}"
