"""Titles the user names, resolved against the catalog.

Resolution is exact on a normalized key first (case, punctuation, accents, a leading
article, a year, roman numerals), then fuzzy with a small edit budget that grows with the
title's length. Finding titles in free text favours precision: only text after a cue
("like", "similar to", "loved", "seen", "why"), in quotes, or a whole message that is a
title is looked at, and words the lexicon gives another meaning ("kids", "funny") are
never a title unless the user quotes or capitalises them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from agentic_recsys.data.dataset import Items
from agentic_recsys.understanding.english import is_english
from agentic_recsys.understanding.lexicon import SEEN_VERBS, STOPWORDS, is_common_word

Cue = Literal["similar", "liked", "disliked", "seen", "explain", "quoted", "bare"]

MAX_TITLE_CHARS = 200
MAX_MESSAGE_CHARS = 2000
MAX_SPAN_TOKENS = 10
MAX_MENTIONS = 8
MAX_CANDIDATES = 24
FUZZY_SHORTLIST = 20
ARTICLES = ("the", "a", "an")
ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
NUMBERS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}
WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|&")
YEAR = re.compile(r"^(?:18[89]\d|19\d\d|20[0-3]\d)$")
QUOTED = re.compile(
    r"[\"\u201c\u201d\u00ab\u00bb]([^\"\u201c\u201d\u00ab\u00bb]{1,80})"
    r"[\"\u201c\u201d\u00ab\u00bb]|(?<!\w)'([^'\n]{1,60})'(?!\w)"
)
# A cue ends right before where a title may start. "I'd like", "feel like" and friends are
# not cues: they introduce wishes, not titles.
CUES: tuple[tuple[Cue, re.Pattern[str]], ...] = (
    (
        "explain",
        re.compile(
            r"\b(?:why\s+(?:(?:did|do|would|have)\s+you\s+|is\s+|was\s+)?"
            r"(?:(?:pick|choose|chose|chosen|recommend|suggest|include|show|select|add|list|put|"
            r"give)(?:ed|s|n)?\s+(?:me\s+)?)?|explain\s+(?:why\s+(?:you\s+\w+\s+)?)?|"
            r"what\s+makes\s+|how\s+is\s+)",
            re.IGNORECASE,
        ),
    ),
    (
        "disliked",
        re.compile(
            r"\b(?:hated|disliked|didn'?t\s+like|did\s+not\s+like|don'?t\s+like|do\s+not\s+like|"
            r"can'?t\s+stand|couldn'?t\s+stand|hate|dislike|not\s+a\s+fan\s+of)\s+",
            re.IGNORECASE,
        ),
    ),
    ("seen", re.compile(rf"\b(?:{'|'.join(SEEN_VERBS)})\s+(?:already\s+)?", re.IGNORECASE)),
    (
        "liked",
        re.compile(
            r"\b(?:(?:loved|liked|enjoyed|adored)|(?:i|we)\s+(?:really\s+|also\s+|do\s+)?"
            r"(?:love|like|enjoy|adore))\s+",
            re.IGNORECASE,
        ),
    ),
    (
        "similar",
        re.compile(
            r"(?<!would )(?<!'d )(?<!\bi )(?<!\bwe )(?<!feel )(?<!feels )(?<!look )(?<!looks )"
            r"(?<!sounds )(?<!seems )\b(?:like|similar\s+to|similar\s+as|such\s+as|as\s+good\s+as|"
            r"in\s+the\s+vein\s+of|along\s+the\s+lines\s+of|reminds?\s+me\s+of|akin\s+to|"
            r"comparable\s+to|in\s+the\s+style\s+of|the\s+likes\s+of|same\s+vibe\s+as|a\s+la|"
            r"\u00e0\s+la)\s+",
            re.IGNORECASE,
        ),
    ),
)
YEAR_IN_PARENS = re.compile(r"\((18[89]\d|19\d\d|20[0-3]\d)\)")
# Small words a title may hold in lowercase ("Man on Wire", "Lord of the Rings").
CONNECTORS = frozenset(
    {"of", "the", "a", "an", "and", "in", "on", "to", "for", "at", "with", "from"}
)
LIST_JOINER = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s(?:and|or|&|\+)\s+)(?:also\s+)?")
BARE_PREFIX = re.compile(r"^(?:what|how)\s+about\s+|^(?:and|maybe)\s+", re.IGNORECASE)
# Words that end the text of a title that could not be resolved.
SPAN_BREAKERS = frozenset(
    {
        "but",
        "and",
        "or",
        "with",
        "without",
        "from",
        "in",
        "on",
        "that",
        "which",
        "who",
        "for",
        "please",
        "except",
        "no",
        "not",
        "only",
        "because",
        "since",
        "after",
        "before",
        "between",
        "than",
        "where",
        "when",
        "plus",
        "though",
        "then",
        "also",
        "it",
        "is",
        "was",
    }
)


@dataclass(frozen=True)
class TitleMatch:
    """A catalog item a piece of text names, and how sure the match is (100 = exact)."""

    row: int
    item_id: str
    title: str
    score: float


@dataclass(frozen=True)
class TitleMention:
    """A title the user named: what they wrote, where, after which cue, and what it is."""

    text: str
    cue: Cue
    start: int
    end: int
    match: TitleMatch | None  # None: an explicit title the catalog does not have


@dataclass(frozen=True)
class _Word:
    key: str  # normalized
    raw: str
    start: int
    end: int


def _typed_title_before(message: str, words: list[_Word], end: int) -> list[_Word]:
    """The last words before `end` that may be a title as typed: capitalized, numbers, "of".

    Nothing but spaces and title punctuation between them ("Heat (1995)", "Star Wars movies").
    """
    run: list[_Word] = []
    for w in reversed(words[-MAX_SPAN_TOKENS:]):
        joined = message[w.end : (run[0].start if run else end)].strip(" '-:&,.!")
        if joined or not (w.raw[:1].isupper() or w.raw.isdigit() or w.key in CONNECTORS):
            break
        run.insert(0, w)
    return run


class TitleIndex:
    """Fuzzy title resolution over one catalog.

    `popularity` (e.g. interaction counts per row) breaks ties between items with the
    same title, so "Sabrina" is the one most people mean; without it the earlier row wins.
    """

    def __init__(
        self,
        items: Items,
        popularity: Sequence[float] | np.ndarray | None = None,
        nouns: Sequence[str] = ("item", "items"),
        verbs: Sequence[str] = (),
    ):
        self.items = items
        self._nouns = frozenset(title_key(n) for n in nouns)  # the domain's: "movie", "movies"
        self._cues = _cues_with(verbs)  # "I've read Dune" on books
        pop = np.zeros(len(items)) if popularity is None else np.asarray(popularity, float)
        rows_by_key: dict[str, list[tuple[int, float, int]]] = {}
        for row, title in enumerate(items.titles):
            if not items.usable[row]:  # a placeholder ("unknown") is no title anyone names
                continue
            year = int(items.years[row])
            for rank, key in enumerate(_title_keys(title)):
                for k in (key, f"{key} {year}") if year else (key,):
                    rows_by_key.setdefault(k, []).append((min(rank, 1), -pop[row], row))
        self._rows = {k: [r for *_, r in sorted(v)] for k, v in rows_by_key.items()}
        self._keys_by_length: dict[int, list[str]] = {}
        for k in self._rows:
            self._keys_by_length.setdefault(len(k), []).append(k)

    def twins(self, item_id: str) -> list[str]:
        """Other catalog items with the same title ("Cape Fear" 1962 and 1991)."""
        row = self.items.index[item_id]
        same = self._rows.get(title_key(self.items.titles[row]), [])
        return [self.items.ids[r] for r in same if r != row]

    def is_title(self, text: str) -> bool:
        """Tell whether the text is exactly a catalog title (case and punctuation aside)."""
        return title_key(text) in self._rows

    def resolve(self, title: str) -> TitleMatch | None:
        """Resolve a title as a user writes it, or None when no catalog title is close enough."""
        words = [w.key for w in _words(title[:MAX_TITLE_CHARS])]
        key = title_key_of_words(words)
        if not key:
            return None
        unyeared = title_key_of_words(words[:-1]) if YEAR.match(words[-1]) else key
        for k in dict.fromkeys((key, unyeared)):
            if k in self._rows:
                return self._match(self._rows[k][0], 100.0)
        return self._fuzzy(unyeared)

    def find_in(self, message: str) -> list[TitleMention]:
        """Titles the message names after a cue, in quotes, or as the whole message."""
        message = message[:MAX_MESSAGE_CHARS]  # offsets stay valid: a prefix
        mentions: list[TitleMention] = self._yeared_mentions(message)
        mentions += [
            k
            for k in self._kind_mentions(message)
            if not any(m.start < k.end and k.start < m.end for m in mentions)
        ]
        spans = _candidate_spans(message, self._cues)[
            :MAX_CANDIDATES
        ]  # "like like like ...": bounded
        while spans and len(mentions) < MAX_MENTIONS:
            start, end, cue, quoted = spans.pop(0)
            mention = self._mention_at(message, start, end, cue, quoted)
            if mention is None or any(
                m.start < mention.end and mention.start < m.end for m in mentions
            ):
                continue
            mentions.append(mention)
            more = LIST_JOINER.match(message, mention.end + quoted)
            if mention.match is not None and more:  # "like Heat and Fargo": same cue, next title
                spans.insert(0, (more.end(), min(len(message), more.end() + 120), cue, False))
        return sorted(mentions, key=lambda m: m.start)

    def _yeared_mentions(self, message: str) -> list[TitleMention]:
        """'Gladiator (2000)', 'the Usual Suspects (1995)': a title with its year is one mention.

        The year belongs to the title (it is never a wish for that year); the longest run of
        title-like words before it that names a catalog item wins, else the run is reported
        as a title the catalog lacks.
        """
        mentions = []
        for m in YEAR_IN_PARENS.finditer(message):
            words = _words(message[max(0, m.start() - 120) : m.start()], max(0, m.start() - 120))
            run = _typed_title_before(message, words, m.start())
            while run and run[0].key in CONNECTORS and not run[0].raw[:1].isupper():
                run.pop(0)
            if not run:
                continue
            year, match, start = m.group(1), None, run[0].start
            for i in range(len(run)):
                key = title_key_of_words([w.key for w in run[i:]])
                rows = self._rows.get(f"{key} {year}")
                if rows:
                    match, start = self._match(rows[0], 100.0), run[i].start
                    break
            if match is None:
                fuzzy = self._fuzzy(f"{title_key_of_words([w.key for w in run])} {year}")
                match = fuzzy if fuzzy is not None and fuzzy.score >= 90 else None
            if match is None:  # "Liked the The Matrix (1999)": a title we lack starts after a cue
                start = _after_cues(message, run, self._cues)
            cue = _cue_before(message, start, self._cues)
            mentions.append(
                TitleMention(
                    message[start : m.end()],
                    "similar" if cue == "quoted" else cue,
                    start,
                    m.end(),
                    match,
                )
            )
        return mentions

    def _kind_mentions(self, message: str) -> list[TitleMention]:
        """'Star Wars movies', 'any Harry Potter books': a title as typed, before the noun.

        The domain's noun is the cue (more like that title); only exact titles written with
        capitals, a lone word only when it is no English word ("Fargo movies", not "Heat
        movies"), and never in a message typed in capitals throughout.
        """
        if not re.search(r"[a-z]", message):
            return []
        words = _words(message)
        mentions = []
        for at, word in enumerate(words):
            if at == 0 or (word.key not in self._nouns and word.key != "ones"):
                continue
            run = _typed_title_before(message, words[:at], word.start)
            for i in range(len(run)):
                rows = self._rows.get(title_key_of_words([w.key for w in run[i:]]))
                lone = len(run) - i == 1 and is_english(run[i].key)
                if rows and run[i].raw[:1].isupper() and not lone:
                    start, end = run[i].start, run[-1].end
                    match = self._match(rows[0], 100.0)
                    mentions.append(TitleMention(message[start:end], "similar", start, end, match))
                    break
        return mentions

    def _mention_at(
        self, message: str, start: int, end: int, cue: Cue, quoted: bool
    ) -> TitleMention | None:
        words = _skip_lead_in(_words(message[start:end], offset=start))[:MAX_SPAN_TOKENS]
        if not words:
            return None
        if quoted:
            match = self.resolve(" ".join(w.key for w in words))
            if match is None and all(is_common_word(w.key) for w in words):
                return None  # a quoted phrase, not a title
            return TitleMention(message[start:end], cue, start, end, match)
        found = (
            self._whole_title(words, message)
            if cue == "bare"
            else self._longest_prefix_match(words, message)
        )
        if found is not None:
            n, match = found
            end = words[n - 1].end
            if message[end : end + 1] == ")" and "(" in message[words[0].start : end]:
                end += 1  # "Sabrina (1954)"
            return TitleMention(message[words[0].start : end], cue, words[0].start, end, match)
        if cue == "bare":
            return None
        named = _unresolved_span(words, message)
        if named:
            return TitleMention(
                message[named[0].start : named[-1].end], cue, named[0].start, named[-1].end, None
            )
        return None

    def _longest_prefix_match(
        self, words: list[_Word], message: str
    ) -> tuple[int, TitleMatch] | None:
        """Find the longest run of leading words that is a title, exactly, else fuzzily."""
        keys = [w.key for w in words]
        plausible = [
            n
            for n in range(len(words), 0, -1)
            if _plausible_title(words[:n], message) and not self._modifier(words, n)
        ]
        for n in plausible:
            rows = self._rows.get(title_key_of_words(keys[:n]))
            if rows:
                return n, self._match(rows[0], 100.0)
        fuzzy = [
            (m.score, n, m)
            for n in plausible
            if (m := self._fuzzy(title_key_of_words(keys[:n]))) is not None
        ]
        if not fuzzy:
            return None
        _, n, match = max(fuzzy, key=lambda x: (x[0], x[1]))
        return n, match

    def _modifier(self, words: list[_Word], n: int) -> bool:
        """Whether the first n words, in lowercase, qualify the domain's noun: "ghost movies"."""
        follows = words[n].key if n < len(words) else ""
        return follows in self._nouns and not any(w.raw[:1].isupper() for w in words[:n])

    def _whole_title(self, words: list[_Word], message: str) -> tuple[int, TitleMatch] | None:
        """Match a whole message against titles, exactly only: it has no cue to go on."""
        rows = self._rows.get(title_key_of_words([w.key for w in words]))
        if rows and _plausible_title(words, message):
            return len(words), self._match(rows[0], 100.0)
        return None

    def _fuzzy(self, key: str) -> TitleMatch | None:
        budget = _edit_budget(key)
        if budget == 0:
            return None
        near = [
            k
            for n in range(len(key) - budget, len(key) + budget + 1)
            for k in self._keys_by_length.get(n, ())
        ]  # an edit changes length by <= 1
        # Plain Levenshtein is fast and counts a swap as two edits: shortlist with it, then
        # score the shortlist with swaps as one edit ("stroy" is one typo from "story").
        shortlist = process.extract(
            key, near, scorer=Levenshtein.distance, score_cutoff=2 * budget, limit=FUZZY_SHORTLIST
        )
        digits = _digits(key)
        found = [
            (k, OSA.distance(key, k)) for k, _, _ in shortlist if _digits(k) == digits
        ]  # "Toy Story 3" is not "Toy Story"
        found = [(k, d) for k, d in found if d <= budget]
        if not found:
            return None
        best_key, distance = min(found, key=lambda f: (f[1], self._rows[f[0]][0]))
        score = 100.0 * (1.0 - distance / max(len(key), len(best_key)))
        return self._match(self._rows[best_key][0], round(score, 1))

    def _match(self, row: int, score: float) -> TitleMatch:
        return TitleMatch(row, self.items.ids[row], self.items.label(row), score)


def title_key(text: str) -> str:
    """Normalize a title for lookup: "The Godfather: Part II" -> "godfather 2"."""
    return title_key_of_words([w.key for w in _words(text[:MAX_TITLE_CHARS])])


def title_key_of_words(words: Sequence[str]) -> str:
    """Normalize already split, lowercased words (see `title_key`).

    Number words become digits, "part" before a number goes, and runs of single letters
    join up, so "E.T." is "et" and "M*A*S*H" is "mash".
    """
    out: list[str] = []
    for i, w in enumerate(words):
        if w == "part" and i + 1 < len(words) and (words[i + 1] in ROMAN or words[i + 1].isdigit()):
            continue
        w = NUMBERS.get(w, ROMAN.get(w, w) if i else w)
        if len(w) == 1 and w.isalpha() and i and len(words[i - 1]) == 1 and out:
            out[-1] += w
        else:
            out.append(w)
    if len(out) > 1 and out[0] in ARTICLES:
        out = out[1:]
    return " ".join(out)


def _title_keys(title: str) -> list[str]:
    """Every key a catalog title answers to, the main one first.

    "Seven (Se7en)" -> 7, se7en; "Terminator 2: Judgment Day" -> terminator 2 judgment
    day, terminator 2.
    """
    main, _, rest = title.partition(" (")
    keys = [title_key(main)]
    for alt in re.findall(r"\(([^()]+)\)", title):
        name, comma, article = alt.rpartition(", ")
        keys.append(title_key(f"{article} {name}" if comma and len(article) <= 3 else alt))
    if ":" in main:  # "Dr. Strangelove or: How I Learned..." -> dr strangelove
        keys.append(title_key(re.sub(r"\s+or$", "", main.split(":")[0])))
    return [k for k in dict.fromkeys(keys) if k]


def _words(text: str, offset: int = 0) -> list[_Word]:
    """Split into words keyed for matching: accents, case and apostrophes dropped, & is and."""
    out = []
    for m in WORD.finditer(text):
        raw = m.group()
        folded = unicodedata.normalize("NFKD", raw.lower())
        key = "".join(c for c in folded if c.isalnum())
        out.append(_Word("and" if raw == "&" else key, raw, m.start() + offset, m.end() + offset))
    return [w for w in out if w.key]


def _skip_lead_in(words: list[_Word]) -> list[_Word]:
    """Drop "the movie", "the film" before a title."""
    keys = [w.key for w in words[:2]]
    if keys[:1] in (["movie"], ["film"]):
        return words[1:]
    if len(keys) == 2 and keys[0] == "the" and keys[1] in ("movie", "film"):
        return words[2:]
    return words


def _cues_with(verbs: Sequence[str]) -> tuple[tuple[Cue, re.Pattern[str]], ...]:
    """The cues, with the domain's verbs of having had an item among the "seen" ones."""
    own = [v for v in verbs if v.casefold() not in SEEN_VERBS]
    if not own:
        return CUES
    said = "|".join(re.escape(v) for v in own)
    seen = re.compile(rf"\b(?:{said})\s+(?:already\s+)?", re.IGNORECASE)
    return (*CUES, ("seen", seen))


def _candidate_spans(
    message: str, cues: Sequence[tuple[Cue, re.Pattern[str]]]
) -> list[tuple[int, int, Cue, bool]]:
    """Where a title may start and end: (start, end, cue, quoted), in the message's order."""
    spans: list[tuple[int, int, Cue, bool]] = []
    for m in QUOTED.finditer(message):
        group = 1 if m.group(1) is not None else 2
        spans.append((m.start(group), m.end(group), _cue_before(message, m.start(), cues), True))
    for cue, pattern in cues:
        for m in pattern.finditer(message):
            spans.append((m.end(), min(len(message), m.end() + 120), cue, False))
    stripped = BARE_PREFIX.sub("", message.strip()).rstrip("?!. ")
    if stripped and not spans:
        start = message.find(stripped)
        spans.append((start, start + len(stripped), "bare", False))
    # Quoted spans first, then the earliest, then the longest cue.
    return sorted(spans, key=lambda s: (not s[3], s[0]))


def _cue_before(message: str, quote_start: int, cues: Sequence[tuple[Cue, re.Pattern[str]]]) -> Cue:
    before = message[max(0, quote_start - 40) : quote_start]
    for cue, pattern in cues:
        if any(m.end() == len(before) for m in pattern.finditer(before)):
            return cue
    return "quoted"


def _after_cues(message: str, run: list[_Word], cues: Sequence[tuple[Cue, re.Pattern[str]]]) -> int:
    """Where the run's title starts: after the cues ("Liked", "Saw") it opens with.

    A cue further in is part of the title ("Think Like a Man", "The Texas Chain Saw").
    """
    cut = run[0].start
    while cut < run[-1].start and (
        c := next((m for _, p in cues if (m := p.match(message, cut)) is not None), None)
    ):
        cut = c.end()
    rest = [w for w in run if w.start >= cut]
    while len(rest) > 1 and rest[0].key in CONNECTORS and not rest[0].raw[:1].isupper():
        rest.pop(0)
    return rest[0].start if rest else run[0].start


def _plausible_title(words: list[_Word], message: str) -> bool:
    """Whether these words may name a title: not all common words unless capitalised."""
    if not all(is_common_word(w.key) for w in words):
        return True
    content = [w for w in words if w.key not in STOPWORDS] or words
    return all(w.raw[:1].isupper() for w in content) and not _shouting(message)


def _shouting(message: str) -> bool:
    """Whether capitals carry no meaning: an all-caps or all-title-case message."""
    letters = [c for c in message if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        return True
    # Title Case leaves only a title's small words in lowercase ("I like Star Wars" is not it)
    small = {*CONNECTORS, "i"}
    words = [w for w in message.split() if w[:1].isalpha() and w.lower() not in small]
    return len(words) >= 4 and all(w[0].isupper() for w in words)


def _unresolved_span(words: list[_Word], message: str) -> list[_Word]:
    """Pick the words that look like a title the catalog lacks: capitalised, to a breaker."""
    span: list[_Word] = []
    for w in words[:6]:
        if w.key in SPAN_BREAKERS or YEAR.match(w.key):
            break
        if span and message[span[-1].end : w.start].strip(" '\u2019-:&"):
            break  # punctuation between words ends the title
        span.append(w)
    while span and span[-1].key in STOPWORDS and not span[-1].raw[:1].isupper():
        span.pop()
    if not span or all(is_common_word(w.key) for w in span) or _shouting(message):
        return []
    return span if span[0].raw[:1].isupper() else []


def _edit_budget(key: str) -> int:
    n = len(key)
    return 0 if n < 5 else 1 if n < 9 else 2 if n < 16 else 3


def _digits(key: str) -> set[str]:
    return {w for w in key.split() if w.isdigit()}
