"""ReDial-format dialogues read as replay scripts: what the seeker says, and what to find when.

A ReDial line holds one dialogue between a seeker (`initiatorWorkerId`) and a human
recommender; movies are written `@id` and named in `movieMentions`. A script keeps the
seeker's consecutive messages as one turn, each `@id` written as the mention's name, and
places a target after a turn when the recommender's next messages suggest a movie that

- the seeker said they liked: `suggested == 1 and liked == 1` in `initiatorQuestions`
  (the seeker's own answers; the recommender's `respondentQuestions` when that is empty),
- is in the catalog: same normalised title ("Usual Suspects, The" = "The Usual
  Suspects") and year (a name or an item without a year matches only one without),
- was not mentioned earlier in the dialogue (by either side),
- and comes after the seeker's first turn (before it no system has said anything).

A seeker turn "asks for items" when the recommender's reply to it names a movie the
answers mark as suggested, in the catalog or not: what the person did, not what any
parser reads in the words. Turns after the last target are dropped (they cannot change a
hit), so a dialogue without a target has nothing to replay.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from agentic_recsys.data.dataset import Items
from agentic_recsys.errors import DataError

MENTION = re.compile(r"@(\d+)")
NAME_YEAR = re.compile(r"^(.*?)\s*\((\d{4})\)\s*$")
ALTERNATE = re.compile(r"^(.+?)\s*\(([^()]+)\)$")  # "Seven (Se7en)": two names of one film
TRAILING_ARTICLE = re.compile(r"^(.*),\s*(the|a|an)$")
LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+")


class Message(BaseModel):
    """One chat message of a dialogue."""

    model_config = ConfigDict(extra="ignore")

    senderWorkerId: int  # noqa: N815 (ReDial's field names)
    text: str


class Answer(BaseModel):
    """A worker's answers about one mentioned movie (0 no, 1 yes, 2 did not say)."""

    model_config = ConfigDict(extra="ignore")

    suggested: int
    seen: int = 2
    liked: int = 2


class Dialogue(BaseModel):
    """One ReDial line (fields the replay does not use are ignored)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    conversationId: str  # noqa: N815
    initiatorWorkerId: int  # noqa: N815
    messages: list[Message]
    movieMentions: dict[str, str | None] | list[object] = {}  # noqa: N815 (empty: a list)
    initiatorQuestions: dict[str, Answer] | list[object] = {}  # noqa: N815
    respondentQuestions: dict[str, Answer] | list[object] = {}  # noqa: N815

    def name(self, mention: str) -> str:
        """The mention's name as a person would write it ("" when ReDial has none)."""
        names = self.movieMentions if isinstance(self.movieMentions, dict) else {}
        return " ".join((names.get(mention) or "").split())

    def answers(self) -> dict[str, Answer]:
        """The seeker's answers about the mentioned movies, else the recommender's."""
        for answers in (self.initiatorQuestions, self.respondentQuestions):
            if isinstance(answers, dict) and answers:
                return answers
        return {}


def read_dialogues(path: Path, limit: int | None = None) -> list[Dialogue]:
    """Read a ReDial-format JSONL file; a bad line is a DataError naming its line number."""
    if not path.is_file():
        raise DataError("no such file; give a ReDial-format .jsonl file", path=path)
    dialogues: list[Dialogue] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if limit is not None and len(dialogues) >= limit:
                break
            if not line.strip():
                continue
            try:
                dialogues.append(Dialogue.model_validate(json.loads(line)))
            except json.JSONDecodeError as e:
                raise DataError(f"not JSON ({e.msg})", path=path, line=number) from None
            except ValidationError as e:
                error = e.errors()[0]
                field = ".".join(str(part) for part in error["loc"])
                raise DataError(error["msg"], path=path, line=number, field=field) from None
    return dialogues


def title_key(title: str) -> str:
    """A title compared loosely: case, accents, punctuation and a leading article ignored."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    text = text.strip().replace("&", " and ")
    moved = TRAILING_ARTICLE.match(text)
    if moved:
        text = f"{moved.group(2)} {moved.group(1)}"
    text = " ".join(re.sub(r"[^\w\s]", " ", text).split())
    return LEADING_ARTICLE.sub("", text)


class CatalogNames:
    """Find a movie named "Title (Year)" in the catalog by its normalised title and year."""

    def __init__(self, items: Items) -> None:
        self.rows: dict[tuple[str, int], set[int]] = defaultdict(set)  # year 0: none
        for row, (title, year) in enumerate(zip(items.titles, items.years.tolist(), strict=True)):
            alternate = ALTERNATE.match(title)
            names = {title, *(alternate.groups() if alternate else ())}
            for key in {title_key(name) for name in names}:
                self.rows[key, int(year)].add(row)

    def find(self, name: str) -> int | None:
        """The catalog row a name means, or None (not in the catalog, or ambiguous)."""
        dated = NAME_YEAR.match(name)
        key = title_key(dated.group(1) if dated else name)
        rows = self.rows.get((key, int(dated.group(2)) if dated else 0), set())
        return next(iter(rows)) if key and len(rows) == 1 else None


@dataclass(frozen=True)
class Target:
    """A liked suggestion of the human recommender, in the catalog: what the list should hold."""

    row: int  # catalog row
    name: str  # as ReDial names it
    after_turn: int  # seeker turns sent before the suggestion (at least 1)


@dataclass(frozen=True)
class SeekerTurn:
    """The seeker's consecutive messages, sent as one message."""

    text: str
    named: tuple[int, ...]  # catalog rows of the movies the seeker mentioned
    asks: bool  # the recommender's reply suggested a movie


@dataclass(frozen=True)
class Script:
    """A dialogue ready to replay: seeker turns up to the last target, and the targets."""

    dialogue_id: str
    turns: tuple[SeekerTurn, ...]
    targets: tuple[Target, ...]


def script_of(dialogue: Dialogue, catalog: CatalogNames) -> Script:
    """Turn a dialogue into seeker turns and targets (see the module docstring for the rules)."""
    answers = dialogue.answers()
    turns: list[SeekerTurn] = []
    targets: list[Target] = []
    mentioned: set[str] = set()
    mentioned_rows: set[int | None] = set()
    seeker = dialogue.initiatorWorkerId
    for from_seeker, block in groupby(dialogue.messages, lambda m: m.senderWorkerId == seeker):
        messages = list(block)
        ids = list(dict.fromkeys(i for m in messages for i in MENTION.findall(m.text)))
        if from_seeker:
            text = "\n".join(_written(m.text, dialogue) for m in messages)
            rows = (catalog.find(dialogue.name(i)) for i in ids)
            turns.append(SeekerTurn(text, tuple(r for r in rows if r is not None), asks=False))
        elif turns:  # the recommender answering a seeker turn
            suggested = [i for i in ids if i in answers and answers[i].suggested == 1]
            if suggested:
                turns[-1] = dataclasses.replace(turns[-1], asks=True)
            for i in suggested:
                row = catalog.find(dialogue.name(i))
                fresh = i not in mentioned and row not in mentioned_rows
                if fresh and answers[i].liked == 1 and row is not None:
                    targets.append(Target(row, dialogue.name(i), after_turn=len(turns)))
        mentioned.update(ids)
        mentioned_rows.update(catalog.find(dialogue.name(i)) for i in ids)
    last = max((t.after_turn for t in targets), default=0)
    return Script(dialogue.conversationId, tuple(turns[:last]), tuple(targets))


def _written(text: str, dialogue: Dialogue) -> str:
    """The message with each @id written as the movie's name (dropped when it has none)."""
    replaced = MENTION.sub(lambda m: dialogue.name(m.group(1)), text)
    return " ".join(replaced.split())
