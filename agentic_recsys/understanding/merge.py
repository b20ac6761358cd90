"""One Intent from two readings of a message: the rule parser's and an LLM's.

The parser is precise: what it found (titles, numbers, field values, people, constraints,
feedback, refinements) always stands. An LLM reads what rules cannot (themes, moods,
indirect wishes) but also says things the message never said: a "liked #2" nobody gave,
ten genres excluded for one "no horror". So an LLM's proposal is kept only where the
message supports it:

- its kind, only when the parser could not tell (a vague message);
- moods and themes, added to the query;
- a genre, only when the message names it (or a synonym) outside a negation;
- an exclusion, only when the message names that genre inside a negated span;
- feedback on a shown item, only when the message points at it: its position ("#2",
  "the second one"), its title, or "that one" / "those" right after a list;
- a liked title, only when a span of the message fuzzy-matches it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from agentic_recsys.data.dataset import Items
from agentic_recsys.understanding.intent_rules import GO_ON_QUESTION, VAGUE_QUESTION
from agentic_recsys.understanding.lexicon import NUMBER_WORDS, ORDINALS, lexicon_of
from agentic_recsys.understanding.schema import Feedback, Intent
from agentic_recsys.understanding.titles import title_key, title_key_of_words

MAX_ADDED_QUERY_WORDS = 8
TITLE_MATCH = 0.85  # SequenceMatcher ratio between a title's key and a span of the message
ACTING = ("recommend", "refine")
# A negation cue opens a span that runs to the end of its clause.
NEGATION = re.compile(
    r"\b(?:no|not|never|nothing|none|nor|neither|without|except|excluding|minus|avoid|skip|"
    r"hate|hates|dislike|dislikes|can'?t\s+stand|cannot\s+stand|sick\s+of|tired\s+of|"
    r"enough\s+with|(?:do|does|did|is|are|was|were|wo|ca|could|would|have|has|ai)n'?t)\b"
)
CLAUSE_END = re.compile(r"[.;!?\n]|\b(?:but|though|however|instead|rather)\b")
_COUNTED = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ORDINAL = "|".join(sorted(ORDINALS, key=len, reverse=True))
POSITION = re.compile(
    rf"#\s?(\d{{1,2}})\b|\b(?:number|no\.?|num\.?)\s?(\d{{1,2}}|{_COUNTED})\b|"
    rf"\b({_ORDINAL})\b(?!\s+(?:time|timer|date|half|act|season|place))"
)
ONE_SHOWN = re.compile(r"\b(?:that|this)(?:\s+one|\s+movie|\s+film)?\b|\bit\b")
ALL_SHOWN = re.compile(r"\b(?:those|these|them|all\s+of\s+them|both|all\s+three|all\s+five)\b")


def parser_is_sure(parsed: Intent, message: str, items: Items) -> bool:
    """Whether the parser's Intent has enough to act on, so an LLM reading adds nothing.

    Feedback, explanations, small talk and requests with a genre, year, title, person,
    count, any other field or a refinement are sure; a vague "clarify", a request of
    free words only, and a reading that missed a genre the message negates ("doesn't
    care for animated films") are not.
    """
    _, negated = _genres_named(_plain(message), items)
    if (
        negated
        - set(parsed.constraints.genres_out)
        - {p.key.removeprefix("genre:") for p in parsed.preferences}
    ):
        return False
    if parsed.kind == "clarify":
        return not _vague(parsed)
    if parsed.kind not in ACTING:
        return True
    c = parsed.constraints
    return bool(
        c.genres_in
        or c.genres_out
        or c.year_min
        or c.year_max
        or c.predicates
        or parsed.like_items
        or parsed.feedback
        or parsed.reject_shown
        or parsed.refinements
    )


def merge_intent(
    parsed: Intent,
    proposed: Intent,
    message: str,
    shown: Sequence[str],
    items: Items,
    *,
    feedback: bool = True,
) -> Intent:
    """The Intent a turn uses: the parser's, plus what of the LLM's the message supports.

    `proposed` is the LLM's reading with titles, genres and positions already resolved
    against the catalog and the shown list; `feedback=False` ignores its feedback and
    liked titles (a model not measured fit to decide them).
    """
    text = _plain(message)
    named, negated = _genres_named(text, items)
    c = parsed.constraints
    genres_out = list(
        dict.fromkeys(
            [*c.genres_out, *(g for g in proposed.constraints.genres_out if g in negated)]
        )
    )
    wanted = [*c.genres_in, *(g for g in proposed.constraints.genres_in if g in named)]
    genres_in = [g for g in dict.fromkeys(wanted) if g not in genres_out]
    like = list(parsed.like_items)
    verdicts = list(parsed.feedback)
    if feedback:
        like += [i for i in proposed.like_items if i not in like and _title_in(i, text, items)]
        pointed = _pointed_at(proposed.feedback, text, shown, items)
        judged = {f.item for f in verdicts}
        verdicts += [f for f in pointed if f.item not in judged]
    query = _added_query(parsed.query, proposed.query)
    merged = parsed.model_copy(
        update={
            "constraints": c.model_copy(update={"genres_in": genres_in, "genres_out": genres_out}),
            "query": query,
            "like_items": like,
            "feedback": verdicts,
        }
    )
    kind = _kind(parsed, proposed, merged, parser_is_sure(parsed, message, items), bool(shown))
    if kind == parsed.kind:
        return merged
    return merged.model_copy(
        update={"kind": kind, "question": "" if kind != "clarify" else parsed.question}
    )


def _plain(message: str) -> str:
    return " ".join(message.lower().replace("\u2019", "'").split())


def _vague(parsed: Intent) -> bool:
    """A clarify the parser chose because it read nothing, not because of a conflict."""
    return parsed.question == VAGUE_QUESTION or parsed.question.endswith(GO_ON_QUESTION)


def _kind(parsed: Intent, proposed: Intent, merged: Intent, sure: bool, shown: bool) -> str:
    """The parser's kind, unless it was unsure and the merged reading supports the LLM's."""
    if sure:
        return parsed.kind
    if proposed.kind in ("chitchat", "clarify"):
        return proposed.kind
    if proposed.kind == "feedback" and merged.feedback:
        return "feedback"
    c = merged.constraints
    if proposed.kind in ACTING and (
        merged.query or merged.like_items or c.genres_in or c.genres_out
    ):
        return proposed.kind if shown else "recommend"
    return parsed.kind


def _added_query(parsed: str, proposed: str) -> str:
    """The parser's query, then the LLM's new words (moods, themes), a few at most."""
    have = parsed.split()
    extra = [w for w in dict.fromkeys(proposed.lower().split()) if w not in have]
    return " ".join([*have, *extra[:MAX_ADDED_QUERY_WORDS]])[:500]


def _genres_named(text: str, items: Items) -> tuple[set[str], set[str]]:
    """Catalog genres the message names outside a negation, and inside one."""
    lexicon = lexicon_of(items)
    spans = _negated_spans(text)
    named: set[str] = set()
    negated: set[str] = set()
    for m in lexicon.pattern.finditer(text):
        inside = any(start <= m.start() < end for start, end in spans)
        (negated if inside else named).update(lexicon.lookup(m.group()))
    return named, negated


def _negated_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for cue in NEGATION.finditer(text):
        end = CLAUSE_END.search(text, cue.end())
        spans.append((cue.start(), end.start() if end else len(text)))
    return spans


def _pointed_at(
    proposed: Sequence[Feedback], text: str, shown: Sequence[str], items: Items
) -> list[Feedback]:
    """The proposed verdicts whose item the message points at."""
    if not shown:
        return []
    positions = _positions(text, len(shown))
    singles = bool(ONE_SHOWN.search(text)) and len(proposed) == 1
    everyone = bool(ALL_SHOWN.search(text))
    kept = []
    for f in proposed:
        if f.item not in shown:
            continue
        at = shown.index(f.item) + 1
        if at in positions or singles or everyone or _title_in(f.item, text, items):
            kept.append(f)
    return kept


def _positions(text: str, count: int) -> set[int]:
    found: set[int] = set()
    for m in POSITION.finditer(text):
        digits, counted, ordinal = m.groups()
        if digits:
            found.add(int(digits))
        elif counted:
            found.add(int(counted) if counted.isdigit() else NUMBER_WORDS[counted])
        elif ordinal:
            n = ORDINALS[ordinal]
            found.add(count if n < 0 else n)
    return found


def _title_in(item: str, text: str, items: Items) -> bool:
    """Whether some span of the message fuzzy-matches the item's title."""
    if item not in items.index:
        return False
    key = title_key(items.titles[items.index[item]])
    if not key:
        return False
    words = title_key_of_words(re.findall(r"[\w']+", text)).split()
    if f" {key} " in f" {' '.join(words)} ":
        return True
    n = len(key.split())
    return any(
        SequenceMatcher(None, " ".join(words[i : i + n]), key).ratio() >= TITLE_MATCH
        for i in range(max(1, len(words) - n + 1))
    )
