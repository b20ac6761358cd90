"""A simulated user who wants one hidden movie and describes it, one true fact per turn.

The target is the user's held-out test item; the facts come from the catalog (genres, year,
title words, knowledge-graph relations) and the user's own history, never invented. The
user never says the target's id, nor its exact title before the last-resort title turn,
and stops as soon as the target is among the top `TOP_K` items shown.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.evaluation import simulator_phrases as phrases

TOP_K = 5  # the target counts as found when it is among the first TOP_K items shown
MAX_TURNS = 5
TYPO_RATE = 0.2  # share of messages with one misspelled filler word

FactKind = Literal["genre", "era", "like", "mood", "title"]
# Entities a similar movie may share with the target: people and stories, not languages.
SHARED_RELATIONS = frozenset(
    {
        "film.film.directed_by",
        "film.film.actor",
        "film.film.written_by",
        "film.film.produced_by",
        "film.film.sequel",
        "film.film.prequel",
        "film.film.subjects",
    }
)


@dataclass(frozen=True)
class Target:
    """What the simulated user knows about the movie they want."""

    item_id: str
    title: str
    year: int  # 0 when unknown
    genres: tuple[str, ...]
    title_word: str | None  # the title's most distinctive word
    like: tuple[str, str] | None  # (item id, title) of a similar movie from the user's history


@dataclass(frozen=True)
class Fact:
    """One thing the user said about the target, with the claim it makes, for checking."""

    kind: FactKind
    text: str
    genres: tuple[str, ...] = ()  # the target has every one of these
    not_genres: tuple[str, ...] = ()  # the target has none of these
    year_min: int | None = None
    year_max: int | None = None
    like_item: str | None = None  # an item of the user's history that resembles the target
    title_word: str | None = None  # a word of the target's title


@dataclass(frozen=True)
class UserMessage:
    """What the user says in one turn, and the facts it reveals."""

    text: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class SystemReply:
    """What the simulated user sees of the system's turn."""

    text: str
    items: Sequence[str]  # item ids, ranked
    question: str = ""


class UserSimulator(Protocol):
    """A simulated user: opens the conversation, then answers each reply until satisfied."""

    target: Target

    def opening(self) -> UserMessage:
        """Start the conversation."""
        ...

    def respond(self, reply: SystemReply) -> UserMessage:
        """Answer a reply that did not show the target."""
        ...


def found(target: Target, items: Sequence[str]) -> bool:
    """Tell whether the target is among the first TOP_K items: the user stops there."""
    return target.item_id in items[:TOP_K]


class CatalogFacts:
    """What any simulated user may know about catalog items, computed once per dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.items = dataset.items
        rel = dataset.relations
        self.entities: list[set[str]] = [set() for _ in range(len(self.items))]
        for row, relation, entity in zip(
            rel.items.tolist(), rel.relations, rel.entities, strict=True
        ):
            if relation in SHARED_RELATIONS:
                self.entities[row].add(entity)
        self.word_counts = Counter(w for t in self.items.titles for w in set(_title_words(t)))

    def target(self, row: int, history: Sequence[int]) -> Target:
        """Describe the target at catalog `row` for a user who consumed `history` (oldest first)."""
        items = self.items
        like = self._most_similar(row, history)
        return Target(
            item_id=items.ids[row],
            title=items.titles[row],
            year=int(items.years[row]),
            genres=tuple(items.genres[row]),
            title_word=self._distinctive_word(row),
            like=(items.ids[like], items.titles[like]) if like is not None else None,
        )

    def _most_similar(self, row: int, history: Sequence[int]) -> int | None:
        """Pick the history item sharing most people/genres with the target; recent wins ties."""
        title, item_id = self.items.titles[row], self.items.ids[row]
        genres = set(self.items.genres[row])
        best, best_score = None, 0
        for h in history:
            other = self.items.titles[h]
            if names_title(other, title) or names_id(other, item_id):
                continue  # naming this movie would give the target away
            score = 2 * len(self.entities[row] & self.entities[h])
            score += len(genres & set(self.items.genres[h]))
            if score >= best_score and score > 0:
                best, best_score = h, score
        return best

    def _distinctive_word(self, row: int) -> str | None:
        words = [
            w
            for w in re.findall(r"[\w']+", self.items.titles[row])
            if len(w) >= 3 and w.lower() not in phrases.TITLE_STOPWORDS
        ]
        if not words:
            return None
        return min(words, key=lambda w: (self.word_counts[w.lower()], -len(w)))


class RulesSimulator:
    """The deterministic simulated user: templates with varied phrasings, a seeded RNG.

    Turn 1 reveals the genre or the era; each later turn rejects what was shown and reveals
    one more fact: the other of genre/era, a similar movie from the user's history, a mood,
    and last a word of the title. A clarifying question is answered from the same facts.
    """

    def __init__(self, target: Target, seed: int | str, typo_rate: float = TYPO_RATE) -> None:
        self.target = target
        self.rng = random.Random(f"{seed}")
        self.typo_rate = typo_rate
        self.revealed: list[FactKind] = []
        self.said_genres: set[str] = set()
        self.pending = self._schedule()

    def opening(self) -> UserMessage:
        """Ask for a movie, naming its genre or its era."""
        kind = self.pending.pop(0) if self.pending else "mood"
        fact = self._fact(kind, opening=True)
        return self._message("", [fact])

    def respond(self, reply: SystemReply) -> UserMessage:
        """Reject what was shown and reveal the next fact, or answer the question asked."""
        asked = question_topic(reply.question or (reply.text if not reply.items else ""))
        if asked is not None and self._available(asked):
            facts = [self._fact(asked)]
            if asked in self.pending:
                self.pending.remove(asked)
            elif self.pending:  # already said: repeat it, and add something new
                facts.append(self._fact(self.pending.pop(0)))
            return self._message(self.rng.choice(phrases.ANSWER_PREFIXES), facts)
        kind = self.pending.pop(0) if self.pending else self.rng.choice(self.revealed)
        lead = self.rng.choice(phrases.REJECTIONS) + " " if reply.items else ""
        return self._message(lead, [self._fact(kind)])

    def _schedule(self) -> list[FactKind]:
        first: list[FactKind] = [k for k in ("genre", "era") if self._available(k)]
        self.rng.shuffle(first)
        rest: list[FactKind] = [k for k in ("like", "mood") if self._available(k)]
        order = first + rest
        while len(order) < MAX_TURNS - 1 and self._available("mood"):
            order.append("mood")
        return order + (["title"] if self._available("title") else [])

    def _available(self, kind: FactKind) -> bool:
        t = self.target
        return {
            "genre": bool(t.genres),
            "era": t.year > 0,
            "like": t.like is not None,
            "mood": any(g in phrases.MOODS for g in t.genres),
            "title": t.title_word is not None,
        }[kind]

    def _message(self, lead: str, facts: list[Fact]) -> UserMessage:
        text = lead + " ".join(f.text for f in facts)
        if self.rng.random() < self.typo_rate:
            keep = {w.lower() for f in facts for w in _fact_words(f, self.target)}
            text = misspell(text, self.rng, keep)
        return UserMessage(text=text, facts=tuple(facts))

    def _fact(self, kind: FactKind, opening: bool = False) -> Fact:
        self.revealed.append(kind)
        for _ in range(20):  # a phrasing that happens to spell the title is redrawn
            fact = self._draw(kind, opening)
            if leak(fact.text, self.target, title_allowed=kind == "title") is None:
                self.said_genres |= set(fact.genres)
                return fact
        return Fact(kind=kind, text="Something else, please.")

    def _draw(self, kind: FactKind, opening: bool) -> Fact:
        rng, t = self.rng, self.target
        if kind == "genre":
            fresh = [g for g in t.genres if g not in self.said_genres] or list(t.genres)
            chosen = tuple(rng.sample(fresh, k=min(len(fresh), rng.choice((1, 1, 2)))))
            name = _genre_phrase(chosen, rng)
            templates = phrases.OPENING_GENRE if opening else phrases.LATER_GENRE
            text = rng.choice(templates).format(genre=name, genre_a=_with_article(name))
            return Fact("genre", _capitalize(text), genres=chosen)
        if kind == "era":
            era, lo, hi = rng.choice(era_phrases(t.year))
            templates = phrases.OPENING_ERA if opening else phrases.LATER_ERA
            return Fact("era", rng.choice(templates).format(era=era), year_min=lo, year_max=hi)
        if kind == "like":
            assert t.like is not None
            text = rng.choice(phrases.LIKE).format(like=t.like[1])
            return Fact("like", text, like_item=t.like[0])
        if kind == "mood":
            return self._mood()
        assert t.title_word is not None
        text = rng.choice(phrases.TITLE).format(word=t.title_word)
        return Fact("title", text, title_word=t.title_word)

    def _mood(self) -> Fact:
        rng, t = self.rng, self.target
        moody = [g for g in t.genres if g in phrases.MOODS]
        fresh = [g for g in moody if g not in self.said_genres] or moody
        genre = rng.choice(fresh)
        text = rng.choice(phrases.MOOD).format(mood=rng.choice(phrases.MOODS[genre]))
        absent = [g for g in phrases.NEGATIONS if g not in t.genres]
        if absent and rng.random() < 0.5:
            neg = rng.choice(absent)
            joiner = rng.choice(phrases.NEGATION_JOINERS)
            said = joiner.format(neg=rng.choice(phrases.NEGATIONS[neg]))
            text = text.removesuffix(".") + said + "."
            return Fact("mood", text, genres=(genre,), not_genres=(neg,))
        return Fact("mood", text, genres=(genre,))


def era_phrases(year: int) -> list[tuple[str, int, int]]:
    """Ways to say when a movie is from, each with the year range it claims (all true)."""
    decade = year // 10 * 10
    short = f"{decade % 100:02d}s"
    found_ = [
        (f"from the {short}", decade, decade + 9),
        (f"from the '{short}", decade, decade + 9),
        (f"from the {decade}s", decade, decade + 9),
        (f"from around {year}", year - 2, year + 2),
        (f"made before {decade + 10}", 0, decade + 9),
    ]
    if decade in phrases.DECADE_NAMES:
        found_.append((f"from the {phrases.DECADE_NAMES[decade]}", decade, decade + 9))
    after = decade if year > decade else decade - 5
    found_.append((f"made after {after}", after + 1, 9999))
    if year < 1980:
        found_.append((f"that's older, from before {decade + 10}", 0, decade + 9))
    else:
        found_.append((f"not too old, after {after}", after + 1, 9999))
    return found_


QUESTION_TOPICS: tuple[tuple[FactKind, re.Pattern[str]], ...] = (
    ("era", re.compile(r"\b(year|decade|era|old|older|new|newer|recent|when|period|classic)")),
    ("genre", re.compile(r"\b(genre|kind|type|sort)\b")),
    ("mood", re.compile(r"\b(mood|feel|tone|vibe)")),
    ("like", re.compile(r"\b(similar|favou?rite|enjoyed|liked|example)\b")),
)


def question_topic(question: str) -> FactKind | None:
    """Which fact a clarifying question asks for, or None if it asks none we know."""
    text = question.lower()
    if "?" not in text:
        return None
    return next((kind for kind, pattern in QUESTION_TOPICS if pattern.search(text)), None)


def leak(text: str, target: Target, title_allowed: bool) -> str | None:
    """Say why `text` gives the target away (its id, or its exact title too early), or None."""
    if names_id(text, target.item_id):
        return "names the target's id"
    if not title_allowed and names_title(text, target.title):
        return "names the target's exact title"
    return None


def names_id(text: str, item_id: str) -> bool:
    """Tell whether the id appears in the text as a token of its own."""
    return re.search(rf"(?<![\w.-]){re.escape(item_id)}(?![\w-])", text) is not None


def names_title(text: str, title: str) -> bool:
    """Tell whether the whole title appears in the text (case and punctuation ignored)."""
    return f" {_normal(title)} " in f" {_normal(text)} "


def misspell(text: str, rng: random.Random, keep: set[str]) -> str:
    """Swap two inner letters of one filler word (never a fact word or a negation)."""
    words = text.split(" ")
    candidates = [
        i
        for i, w in enumerate(words)
        if len(w) >= 5
        and w.isalpha()
        and w.lower() not in keep
        and w.lower() not in phrases.PROTECTED_WORDS
    ]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _fact_words(fact: Fact, target: Target) -> list[str]:
    """Words that carry the fact: a typo there would change what the user said."""
    title_words = set(re.findall(r"[\w']+", target.like[1] if target.like else ""))
    return [
        w
        for w in re.findall(r"[\w']+", fact.text)
        if any(c.isdigit() for c in w)
        or w in title_words
        or w == fact.title_word
        or w.lower() in _PHRASE_WORDS
    ]


# Every word of a genre name, mood, negation or decade: the words that carry facts.
_PHRASE_WORDS = frozenset(
    w.lower()
    for table in (phrases.GENRE_NAMES, phrases.MOODS, phrases.NEGATIONS)
    for names in table.values()
    for name in names
    for w in re.findall(r"[\w']+", name)
) | frozenset(phrases.DECADE_NAMES.values())


def _genre_phrase(genres: tuple[str, ...], rng: random.Random) -> str:
    names = [rng.choice(phrases.GENRE_NAMES.get(g, (g.lower(),))) for g in genres]
    if len(names) == 1:
        return names[0]
    return rng.choice(phrases.TWO_GENRES).format(a=names[0], b=names[1])


def _with_article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_words(title: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[\w']+", title)]


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
