"""The rule-based intent parser: a message becomes an `Intent` with no LLM at all.

It reads the message as a sequence of passes over a lowercase working copy; each pass
recognises one kind of phrase (a reference to a shown item, a year range, a count, a
negated genre, ...), records what it means and blanks it out, so later passes and the
free-text query only see what is left. Every title is resolved against the catalog and
every position against the items shown last turn; what cannot be grounded is reported
(`unresolved_titles`) or asked about (`kind="clarify"`), never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from agentic_recsys.data.dataset import Dataset, Items
from agentic_recsys.data.fields import DOMAINS, CatalogSchema, Domain
from agentic_recsys.understanding.english import is_english
from agentic_recsys.understanding.entities import EntityIndex
from agentic_recsys.understanding.kinds import turn_kind
from agentic_recsys.understanding.lexicon import (
    CHITCHAT,
    DECADE_WORDS,
    FILLER,
    MOODS,
    NUMBER_WORDS,
    ORDINALS,
    SEEN_VERBS,
    STOPWORDS,
    UNSUPPORTED,
    VAGUE,
    correct_typo,
    genre_lexicon,
    typo_vocabulary,
)
from agentic_recsys.understanding.predicates import Predicate
from agentic_recsys.understanding.readers import (
    CLAUSE_BREAK,
    NEGATED_WISH,
    NEGATIVE_AUXILIARY,
    read_fields,
)
from agentic_recsys.understanding.schema import (
    Constraints,
    Feedback,
    Intent,
    Preference,
    Refinement,
    Verdict,
)
from agentic_recsys.understanding.titles import TitleIndex, TitleMention

MAX_CHARS = 1000  # a 100 kB paste is read as its first 1000 characters
MAX_QUERY_WORDS = 20
MAX_QUERY_CHARS = 200
MAX_COUNT = 50
MAX_REJECT_WORDS = 8  # a longer sentence says more than "not those": other readers read it
OLD_BEFORE = 1980  # "old movies", "classics": released before this year
RECENT_YEARS = 5  # "recent": the catalog's last five years
AROUND_YEARS = 2  # "around 1993": two years either side
CONTROL = re.compile(
    r"\x1b\[[0-9;?]*[A-Za-z]|"  # terminal escape sequences, then single
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)

# Questions are written with the domain's words ({noun}, {plural}, {verb_base}).
EMPTY_QUESTION = "What would you like to {verb_base}: a genre, a mood, or a {noun} you liked?"
GO_ON_QUESTION = "What else could narrow it: a genre, a decade, or a {noun} you liked?"
VAGUE_QUESTION = (
    "Happy to help! What are you in the mood for: a genre, a decade, or a {noun} you liked?"
)
NOTHING_SHOWN = "I haven't shown you anything yet. What would you like to {verb_base}?"
EXPLAIN_WHICH = 'Which {noun} should I explain? You can say its number, e.g. "why #2?"'

_NUM = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ORD = "|".join(sorted(ORDINALS, key=len, reverse=True))
_NOUN = (
    r"(?:movie|film|flick|pick|option|choice|recommendation|suggestion|title|one|"
    r"selection)"
)
# Words that may follow an ordinal naming a position ("the second was great", "the third
# and fifth"): function words. Any other word makes it part of a phrase: "sixth sense",
# "the first time", "my second favorite".
_AFTER_ORDINAL = (
    r"(?:and|or|nor|but|is|was|were|are|looks?|looked|sounds?|sounded|seems?|seemed|"
    r"on|in|of|from|to|through|too|also|please|though|then|really|so|very|pretty|kinda|"
    r"i|we|you|it|isn't|wasn't)\b"
)
# One shown item: "#2", "number 2", "the second one", "the 2nd movie", "the last one".
_REF = (
    rf"(?:#\s?\d{{1,2}}|(?:number|no\.?|num\.?)\s?(?:\d{{1,2}}|{_NUM})\b|"
    rf"(?:the\s+)?(?:first|top|last)\s+(?:two|three|four|five|[2-5])(?:\s+{_NOUN}s?)?\b|"
    rf"(?:the\s+)?(?:{_ORD})(?:\s+{_NOUN}s?\b|(?!\s+(?!{_AFTER_ORDINAL})[a-z]))\b|(?<![\w#.])\d{{1,2}}(?![\w.'])(?!\s+(?:[\w'-]+\s+){{0,2}}{_NOUN}s))"
)
_PRONOUN = (
    r"(?:all\s+of\s+(?:them|those|these|it)|all\s+(?:three|four|five|\d)|them\s+all|"
    r"both(?:\s+of\s+them)?|those|these|them|it|that(?:\s+one)?|this(?:\s+one)?|all)"
    r"(?!\s+(?:kinds?|sorts?|types?)\s+of\b)"  # "I like those kind of movies": a kind
)
_REFS = rf"(?:{_REF}(?:\s*(?:,|and|&|or|\+)?\s*{_REF})*|{_PRONOUN})\b"
_FEEDBACK_VERBS: dict[Verdict, str] = {
    "liked": (
        r"(?:loved|liked|enjoyed|adored|dug|(?:i|we)\s+(?:really\s+|also\s+|do\s+)?"
        r"(?:love|like|enjoy|adore))"
    ),
    "disliked": (
        r"(?:hated|disliked|didn'?t\s+(?:like|enjoy|love)|did\s+not\s+(?:like|enjoy)|"
        r"don'?t\s+(?:like|want)|do\s+not\s+(?:like|want)|can'?t\s+stand|"
        r"not\s+a\s+fan\s+of|hate|not|no)"
    ),
    "seen": r"(?:{seen})(?:\s+already)?",
}
_SEEN = "|".join((*SEEN_VERBS, r"already\s+(?:have|own)"))  # with the domain's: `_seen_verbs`
_VERDICT_WORDS: dict[Verdict, str] = {
    "liked": (
        r"(?:great|good|amazing|awesome|perfect|fantastic|brilliant|excellent|"
        r"wonderful|fun|lovely|a\s+classic|my\s+favou?rite)"
    ),
    "disliked": (
        r"(?:boring|bad|terrible|awful|meh|lame|dull|stupid|horrible|"
        r"not\s+(?:good|great|for\s+me)|overrated|trash|garbage)"
    ),
    "seen": r"(?:(?:i'?ve|i\s+have|i|we'?ve)\s+)?(?:already\s+)?(?:{seen})",
}
_REFINEMENTS: tuple[tuple[Refinement, str], ...] = (
    (
        "darker",
        r"darker|grittier|bleaker|edgier|scarier|creepier|more\s+(?:serious|intense|"
        r"dark|gritty|violent|disturbing)|heavier|less\s+(?:light|fun|funny|happy|"
        r"cheerful)",
    ),
    (
        "lighter",
        r"lighter|happier|funnier|sillier|brighter|more\s+(?:upbeat|fun|cheerful|"
        r"lighthearted|light-hearted|light)|less\s+(?:dark|serious|heavy|intense|"
        r"violent|scary|sad|depressing)",
    ),
    ("older", r"older(?:\s+ones)?|earlier\s+ones|more\s+classic|less\s+recent"),
    ("newer", r"newer(?:\s+ones)?|more\s+recent|more\s+modern|less\s+old|later\s+ones"),
    (
        "less_popular",
        r"less\s+(?:popular|known|mainstream|famous)|lesser[- ]known|"
        r"(?:more\s+)?obscure|hidden\s+gems?|underrated|deep\s+cuts?|niche",
    ),
    (
        "more_popular",
        r"(?:more\s+|most\s+)?(?:popular|mainstream|famous)|better[- ]known|"
        r"well[- ]known|blockbusters?|crowd[- ]pleasers?|top[- ]rated|"
        r"highest[- ]rated|(?:best|greatest)(?:\s+movies)?\s+of\s+all\s+time|"
        r"must[- ]see|everyone\s+(?:has\s+seen|loves)",
    ),
    (
        "more_varied",
        r"more\s+(?:varied|variety|diverse|different)|mix\s+it\s+up|"
        r"something\s+different|different\s+genres?",
    ),
)
_MORE = re.compile(
    r"^(?:(?:ok(?:ay)?|and|now|please|thanks|cool)\s*,?\s*)?(?:show\s+(?:me\s+)?|"
    r"give\s+(?:me\s+)?)?(?:more|next|another(?:\s+one)?|others|keep\s+going|"
    r"more\s+(?:please|options|of\s+(?:those|these|them|that))|again)"
    r"(?:\s+please)?[\s!.?]*$"
)
_REJECT = re.compile(
    r"\b(?:none\s+of\s+(?:those|these|them|that|the\s+above)|not\s+(?:those|these|them)\b|"
    r"(?:i\s+)?don'?t\s+(?:like|want)\s+(?:any\s+of\s+)?(?:those|these|them)\b|"
    r"nothing\s+(?:there|here)|no\s+thanks|not\s+interested|nah|nope|meh|"
    r"neither(?:\s+of\s+them)?|not\s+quite)\b"
)
# A bare "no" / "none" to a list, or one that opens the message ("No, something darker").
_BARE_NO = re.compile(r"^\s*(?:no|none|nothing|not\s+really)\s*(?:[,.!;:]|$)", re.IGNORECASE)
_OTHERS = re.compile(
    r"\b(?:something|anything)\s+else\b|\b(?:other|different)\s+(?:ones|"
    r"options|movies|films|picks)\b|\btry\s+again\b"
)
_WHY = re.compile(
    rf"\b(?:why(?!\s+not\b)|explain|how\s+come)\b(?:\s+(?:did|do|would|have)\s+you)?"
    rf"(?:\s+(?:pick|choose|chose|recommend|suggest|include|show|select|add|"
    rf"put|give)(?:ed|s)?)?(?:\s+me)?(?:\s+(?:is|was))?(?:\s+({_REFS}))?|"
    rf"\b(?:tell\s+me\s+(?:more\s+)?about|more\s+(?:info|details|information)\s+"
    rf"(?:on|about)|what'?s|what\s+is|is|was)\s+({_REFS})(?:\s+(?:about|any\s+good|"
    rf"good|worth\s+(?:it|watching)|like))?(?=\W*$)"
)
_SIMILAR = (
    r"(?:like|similar\s+to|such\s+as|as\s+good\s+as|in\s+the\s+vein\s+of|"
    r"along\s+the\s+lines\s+of|akin\s+to)"
)
_SIMILAR_WORDS = r"similar(?:\s+ones)?|along\s+those\s+lines|in\s+that\s+vein"
_SIMILAR_NO_TARGET = re.compile(rf"\b(?:{_SIMILAR_WORDS}|like\s+(?:it|that|this))\b")
# "Like that" as a preposition, of the list just shown ("I like that" is a verdict).
_MORE_OF_THESE = re.compile(
    rf"\b(?:{_SIMILAR_WORDS}|(?:more|something|anything|others?|ones?|stuff)\s+"
    r"(?:just\s+)?like\s+(?:that|this|these|those|them))\b"
)
# A request with nothing else in it ("recommend a movie") still asks for something.
_REQUEST = re.compile(
    r"\b(?:recommend(?:ations?)?|suggest(?:ions?)?|show\s+me|give\s+me|find\s+me|what\s+should|"
    r"what\s+to\s+watch|looking\s+for|i\s+want|i\s+need|in\s+the\s+mood\s+for|"
    r"any\s+(?:ideas|suggestions|recommendations)|"
    r"(?:a|any|some)\s+(?:good\s+|nice\s+|great\s+)?(?:movie|film|flick)s?\s+(?:for|to)\b)\b"
)
# Words of a complete new request, as opposed to a tweak of the last one ("no horror").
_FRESH_REQUEST = re.compile(
    r"\b(?:movies?|films?|flicks?|recommend|suggest|something|"
    r"anything|i\s+want|i\s+need|looking\s+for)\b"
)
# A new request that drops what was said before, even right after the system asked something.
_START_OVER = re.compile(
    r"\b(?:actually|forget\s+(?:that|it|about)|start\s+(?:over|again)|new\s+search|never\s*mind|"
    r"something\s+(?:completely|totally|entirely)\s+different)\b",
    re.IGNORECASE,
)
_REFINE_LEAD = re.compile(
    r"^(?:but|only|just|same|and|also|now|instead|make\s+(?:it|them)|"
    r"what\s+about|how\s+about|what\s+if)\b|\binstead\b"
)
_YEAR = r"(?:18[89]\d|19\d\d|20[0-3]\d)(?![\d'\u2019s])"
_DECADE_WORD = "|".join(sorted(DECADE_WORDS, key=len, reverse=True))
_DECADE = (
    rf"(?:(?:early|mid|late)[- ]?)?(?:'?(?:(?:18|19|20)?\d0)'?s\b|"
    rf"(?:nineteen[- ])?(?:{_DECADE_WORD})\b)"
)
_PERIOD = rf"(?:the\s+)?(?:{_DECADE}|{_YEAR})"
# Eras relative to now; after a list, "older" and "more recent" compare with that list.
_ERA_OLD = r"(?:old|classics?|vintage|golden\s+age|oldies|black\s+and\s+white)"
_OLD_WORD = rf"(?:{_ERA_OLD}|ancient|dated)"
_NOT_OLD = re.compile(
    r"\b(?:not|nothing|no)\s+(?:too\s+|very\s+|that\s+|so\s+|super\s+)?"
    rf"{_OLD_WORD}(?:\s+(?:(?:and|or)\s+)?{_OLD_WORD})*\b"
)  # "not too old", "no old black and white stuff": from OLD_BEFORE on, the whole phrase
_ERA_RECENT = r"(?:recent|newest|latest|modern|contemporary|new\s+releases?)"
_ERAS = {
    has_shown: (
        re.compile(
            rf"(?<!years )(?<!year )(?<!-)(?<!like an )(?<!like a )"  # an age: "8-year-old"
            rf"\b(?:{_ERA_OLD}{'' if has_shown else '|older'})\b"
            r"(?!\s+(?:enough|age|man|woman|friends?|days|times|self))"
        ),
        re.compile(rf"(?<!more )\b(?:{_ERA_RECENT}{'' if has_shown else '|newer'})\b"),
    )
    for has_shown in (False, True)
}
_ADVERBS = (
    r"too|very|so|really|any|more|of|the|a|an|overly|super|remotely|particularly|"
    r"real|that|kind\s+of|sort\s+of"
)
# One word that qualifies the genre ("no sappy romance", "nothing too gritty crime"): any
# word but a genre or one that joins or compares ("nothing but horror").
_QUALIFIER = r"(?!(?:but|and|or|nor|than|like|except|i|we|you|it)\s)[a-z][a-z'-]*\s+"
# "nothing for children", "no sappy romance", "nothing about war": words between a
# negation and the genre it rules out.
_FILLER = (
    rf"(?:(?:{_ADVERBS}|anything|something|stuff|movies?|films?|with|in|watching|"
    rf"to\s+watch|to\s+see|for|about|involving|featuring)\s+){{0,3}}"
)
# Words that may sit inside a negated list ("no horror or too much romance"); an article
# starts a new phrase instead ("no horror, a comedy" asks for the comedy).
_LIST_FILLER = rf"(?:(?!(?:a|an|the)\s)(?:{_ADVERBS})\s+){{0,3}}"
_NEGATION = (
    r"(?:no|not|nothing|without|except|excluding|exclude|minus|avoid|skip|never|"
    r"anything\s+but|everything\s+but|anything\s+except|no\s+more|zero|"
    r"not\s+in\s+the\s+mood\s+for|sick\s+of|tired\s+of|enough\s+with|"
    r"(?:i\s+(?:(?:really|just|absolutely|totally|still)\s+)*)?(?:hate|dislike|don'?t\s+do|"
    rf"{NEGATED_WISH}|can'?t\s+stand|am\s+not\s+into|'?m\s+not\s+into|"
    r"not\s+into|not\s+(?:a\s+)?(?:big\s+)?fan\s+of))"
)
# "I hate horror" is a lasting taste; "I don't want horror" is about this request only.
_NEGATED_MOOD = re.compile(
    rf"\b{_NEGATION}\s+{_FILLER}(?:"
    + "|".join(re.escape(m) for m in sorted(MOODS, key=len, reverse=True))
    + r")\b"
)
_LASTING_AVOID = re.compile(  # a taste, where "don't want" is about this request only
    r"hate|dislike|like|love|enjoy|adore|dig|care|don'?t\s+do|can'?t|not\s+into|fan\s+of|"
    r"sick|tired|never|enough"
)
_LIKING = (
    r"(?:(?:i|we)\s+(?:(?:really|do|actually|also|still|totally|absolutely|kinda|"
    r"just)\s+)*(?:like|love|enjoy|adore|prefer|dig|am\s+into|'m\s+into|"
    r"am\s+(?:a\s+)?(?:big\s+|huge\s+)?fan\s+of|'m\s+(?:a\s+)?(?:big\s+|huge\s+)?fan\s+of)"
    r"|i'?m\s+(?:really\s+)?into|(?:big|huge)\s+fan\s+of)"
)


@dataclass
class _Reading:
    """What the passes have understood so far."""

    genres_in: list[str] = field(default_factory=list)
    genres_out: list[str] = field(default_factory=list)
    periods: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    year_near: int | None = None  # "around 1993": the year the range is centred on
    count: int | None = None
    like_items: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # titles resolved this turn, in order ("it")
    wish_unresolved: bool = False  # "something like Annabelle": a wish, though we lack it
    feedback: dict[str, Verdict] = field(default_factory=dict)
    reject_shown: bool = False
    wants_other: bool = False
    starts_over: bool = False  # "actually, ...": not a change to the last request
    unsupported: list[str] = field(default_factory=list)  # what the catalog says nothing about
    explain_items: list[str] = field(default_factory=list)
    wants_explain: bool = False
    explain_about: bool = False  # "what is #2 about?", "tell me about it": not "why #2?"
    refinements: list[Refinement] = field(default_factory=list)
    preferences: dict[str, Preference] = field(default_factory=dict)
    liked_genres: list[str] = field(default_factory=list)
    avoided_genres: list[str] = field(default_factory=list)
    like_from_shown: bool = False
    bad_refs: bool = False
    query: list[str] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)  # any other catalog field
    problems: list[str] = field(default_factory=list)  # what was said but cannot be served
    notes: list[str] = field(default_factory=list)  # how a loose word was read


@dataclass(frozen=True)
class _Grammar:
    """The patterns that depend on a catalog's genre vocabulary."""

    genres: dict[str, tuple[str, ...]]
    thematic: frozenset[str]
    genre: re.Pattern[str]
    negated: re.Pattern[str]
    liking: re.Pattern[str]
    count: re.Pattern[str]


def parse_intent(
    message: str,
    items: Items,
    titles: TitleIndex,
    shown: Sequence[str] = (),
    entities: EntityIndex | None = None,
    dataset: Dataset | None = None,
) -> Intent:
    """Read a message into an Intent using only rules and the catalog.

    `shown` is the item ids shown last turn, in order: "#2" and "the last one" point there.
    `entities` finds the knowledge-graph entities a message names ("by Le Guin"); a
    Capitalized Name it lacks is said to be unknown. With `dataset`, the catalog's other
    fields are read too (runtime, rating class, services...: see `understanding.readers`).
    """
    domain = dataset.schema.domain if dataset is not None else DOMAINS["movie"]
    intent = _read(message, items, titles, shown, entities, dataset, domain)
    if not intent.question:
        return intent
    words = {"noun": domain.noun, "plural": domain.plural, "verb_base": domain.verb_base}
    return intent.model_copy(update={"question": _fill(intent.question, words)})


def _fill(question: str, words: dict[str, str]) -> str:
    """Put the domain's words into a question template (titles in it stay as they are)."""
    for key, word in words.items():
        question = question.replace("{" + key + "}", word)
    return question


def _read(
    message: str,
    items: Items,
    titles: TitleIndex,
    shown: Sequence[str],
    entities: EntityIndex | None,
    dataset: Dataset | None,
    domain: Domain,
) -> Intent:
    text = clean_text(message)
    if not text:
        return Intent(kind="clarify", question=EMPTY_QUESTION)
    if CHITCHAT.match(text.lower()):
        return Intent(kind="chitchat")
    grammar = _grammar(tuple(items.genre_vocab))
    r = _Reading()
    work = _read_title_words(_fix_cue_typos(text), r)
    work = _sub(_START_OVER, work, lambda m: setattr(r, "starts_over", True))
    work = _blank_titles(work, titles.find_in(work), r, list(shown))
    work = _read_people(work, text, r, entities, titles, grammar)
    work = _read_names_as_kinds(work, text, r, entities, titles, grammar, domain)
    if entities:
        work = _read_named_entities(work, text, r, entities, titles)
    if dataset is not None:
        rows = [items.index[i] for i in (r.like_items or shown) if i in items.index]
        work, fields = read_fields(work, text, dataset.schema, dataset, rows)
        r.predicates.extend(fields.predicates)
        r.problems.extend(fields.problems)
        r.unsupported.extend(fields.unsupported)
        r.notes.extend(fields.notes)
    vocabulary = typo_vocabulary(items)
    work = re.sub(r"[a-z][a-z'-]{3,}", lambda m: correct_typo(m.group(), vocabulary), work)
    work = _read_unsupported(work, r, dataset.schema if dataset is not None else None)
    work = _read_rejection(work, text, r, list(shown), domain)
    work = _read_explain(work, r, list(shown))
    work = _read_feedback(work, r, list(shown), domain)
    work = _read_similar_refs(work, r, list(shown))
    work = _read_periods(work, r, int(items.years.max()) if len(items) else 0, bool(shown))
    work = _read_count(work, r, grammar)
    work = _read_refinements(work, r, bool(shown))
    work = _read_genres(work, r, grammar)
    _read_similar_pronoun(work, r, list(shown))
    r.query.extend(_query_words(work, domain))
    return _decide(text, r, len(shown), domain)


_WORD = r"(?P<w>'[^']{1,40}'|\"[^\"]{1,40}\"|[\w][\w'-]{0,39})"
_TITLE_WORDS = (
    # "its name contains Love", "a title with 'Alone'"
    re.compile(
        rf"\b(?:title|name)\s+(?:has|had|contains?|contained|includes?|included|with)"
        rf"\s+(?:the\s+words?\s+|a\s+word\s+like\s+)?{_WORD}",
        re.IGNORECASE,
    ),
    # "the word 'Alone' in the title", "with Love in its name"
    re.compile(
        rf"(?:\bthe\s+words?\s+)?{_WORD}\s+(?:is\s+)?in\s+(?:the|its)\s+(?:title|name)\b",
        re.IGNORECASE,
    ),
)


def cannot_use(unsupported: Sequence[str]) -> str:
    """Say which wishes the catalog has no data on (a clause, to start a reply or follow one)."""
    return f"this catalog says nothing about {' or '.join(unsupported)}, so I could not use that"


def starts_over(message: str) -> bool:
    """Tell whether the message drops the request so far ("actually, show me westerns")."""
    return _START_OVER.search(clean_text(message)) is not None


# "by Michael Mann", "starring Meg Ryan", "with Tom Hanks": up to four words of a name
_PEOPLE_CUE = re.compile(
    r"\b(?P<cue>starring|featuring|with|by|directed\s+by|written\s+by|produced\s+by)\s+"
    r"(?P<name>[\w.'-]+(?:\s+[\w.'-]+){0,3})",
    re.IGNORECASE,
)
_CAPITALIZED = re.compile(r"[A-Z][\w.'-]*")
_NEGATED_CUE = re.compile(r"\b(?:no|not|nothing|without|except|never|avoid)\b[\w\s]{0,12}$")


def _read_people(
    work: str,
    text: str,
    r: _Reading,
    entities: EntityIndex | None,
    titles: TitleIndex,
    grammar: _Grammar,
) -> str:
    """A known entity after a cue becomes a predicate; a Capitalized Name we lack is said.

    Names match in full or by their last words ("by Le Guin"). `work` is the lowercased
    working copy (titles blanked), `text` the message as typed.
    """
    for m in list(_PEOPLE_CUE.finditer(work)):
        words = list(re.finditer(r"\S+", m.group("name")))
        if "_" in words[0].group():
            continue  # a title, read already
        found = entities.lookup([w.group() for w in words], m.group("cue")) if entities else None
        if found:
            n, predicate = found
            if _NEGATED_CUE.search(work[max(0, m.start() - 20) : m.start()]):
                predicate = predicate.model_copy(update={"op": "not contains"})
            r.predicates.append(predicate)
        else:
            typed = text[m.start("name") : m.end("name")].split() if len(text) == len(work) else []
            n = _capitalized_name(typed, len(words), titles, grammar)
            if not n:
                continue
            r.unsupported.append(f'"{" ".join(typed[:n])}"')
        end = m.start("name") + words[n - 1].end()
        work = work[: m.start()] + " " * (end - m.start()) + work[end:]
    return work


def _read_names_as_kinds(
    work: str,
    text: str,
    r: _Reading,
    entities: EntityIndex | None,
    titles: TitleIndex,
    grammar: _Grammar,
    domain: Domain,
) -> str:
    """A name used as a kind of item, with no cue: "Clint Eastwood ones", "stephen king books".

    A name the catalog knows is read however it is typed (a lone word only when it is no
    English word: "tolkien books", not "king books"); one it lacks only as a Capitalized
    Name, and never in a message typed in capitals throughout (every word looks like one).
    """
    pattern = re.compile(
        r"\b(?P<name>[a-z][\w.'-]*(?:\s+[a-z][\w.'-]*){0,3})\s+"
        rf"(?:ones|stuff|{re.escape(domain.plural)}|{re.escape(domain.noun)})\b"
    )
    as_typed = len(text) == len(work) and re.search(r"[a-z]", text) is not None
    for m in list(pattern.finditer(work)):
        spans = list(re.finditer(r"\S+", m.group("name")))
        for i in range(len(spans)):
            start = m.start("name") + spans[i].start()
            words = [w.group() for w in spans[i:]]
            found = entities.lookup(words) if entities else None
            typed = text[start : m.end("name")].split() if as_typed else []
            if found and found[0] == len(words) and (len(words) > 1 or not is_english(words[0])):
                r.predicates.append(found[1])
            elif typed and _capitalized_name(typed, len(words), titles, grammar) == len(words):
                r.unsupported.append(f'"{" ".join(typed)}"')
            else:
                continue
            work = work[:start] + " " * (m.end("name") - start) + work[m.end("name") :]
            break
    return work


_CAPITALIZED_RUN = re.compile(r"\b[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*")


def _read_named_entities(
    work: str, text: str, r: _Reading, entities: EntityIndex, titles: TitleIndex
) -> str:
    """A name the catalog knows, written without a cue: "what about Stephen King", "Le Guin?".

    Only as typed with capitals, and a lone word only when it is no English word nor a
    title ("Tolkien", not "King"), so ordinary words never become people.
    """
    for said in list(r.unresolved):  # "I love Tolkien": a name, not a title we lack
        found = entities.lookup(said.split())
        if found and found[0] == len(said.split()):
            r.predicates.append(found[1])
            r.unresolved.remove(said)
    if len(text) != len(work):
        return work
    for m in _CAPITALIZED_RUN.finditer(text):
        words = m.group().split()
        if work[m.start() : m.end()] != m.group().lower():
            continue  # read already: a title, a cued name
        found = entities.lookup(words)
        if found is None:
            continue
        n, predicate = found
        if n == 1 and (is_english(words[0]) or titles.is_title(words[0])):
            continue
        end = m.start() + len(" ".join(words[:n]))
        if _NEGATED_CUE.search(work[max(0, m.start() - 20) : m.start()]):
            predicate = predicate.model_copy(update={"op": "not contains"})
        r.predicates.append(predicate)
        work = work[: m.start()] + " " * (end - m.start()) + work[end:]
    return work


def _capitalized_name(
    typed: list[str], expected: int, titles: TitleIndex, grammar: _Grammar
) -> int:
    """How many leading words form a Capitalized Name (two or more), or 0 if they do not.

    "with a twist", "with Toy Story vibes" (a title) and "with Science Fiction" (genres) do not.
    """
    n = next((i for i, w in enumerate(typed) if not _CAPITALIZED.fullmatch(w)), len(typed))
    name = " ".join(typed[:n])
    if (
        n < 2
        or len(typed) != expected
        or titles.is_title(name)
        or grammar.genre.search(name.lower())
    ):
        return 0
    return n


def _read_title_words(work: str, r: _Reading) -> str:
    """'Its name contains "Love"': a word every result's title must contain."""

    def word(m: re.Match[str]) -> None:
        found = m.group("w").strip("'\"").strip()
        if found and found.lower() not in _NOT_TITLE_WORDS:
            r.predicates.append(Predicate(field="title", op="contains", value=(found,)))

    for pattern in _TITLE_WORDS:
        work = _sub(pattern, work, word)
    return work


_CUE_WORDS = ("loved", "liked", "enjoyed", "adored", "similar", "watched", "reminds")


def _fix_cue_typos(text: str) -> str:
    """'I loevd Kolya': a misspelt cue still introduces a title (same length, so offsets hold)."""

    def fix(m: re.Match[str]) -> str:
        word = m.group()
        fixed = correct_typo(word.lower(), _CUE_WORDS)
        return fixed if len(fixed) == len(word) and fixed != word.lower() else word

    return re.sub(r"(?<![\w'])[A-Za-z]{5,8}(?![\w'])", fix, text)


# a negation a few words before a verdict turns it around (apostrophes are often left out)
_NEGATED_BEFORE = re.compile(rf"\b(?:not|never|no|{NEGATIVE_AUXILIARY})\s+(?:[\w']+\s+){{0,3}}$")
_NOT_IN_NOUN_PHRASE = (
    r"(?:and|or|but|so|because|who|which|that|is|are|was|were|has|have|had|likes|loves|"
    r"enjoys|wants|watches|year|years|old)"
)
_NOT_TITLE_WORDS = frozenset({"it", "a", "the", "something", "word", "words", "that", "this"})


def clean_text(message: str) -> str:
    """Truncate first (so nothing below is ever slow), then drop control characters."""
    text = unicodedata.normalize("NFKC", (message or "")[:MAX_CHARS])
    text = CONTROL.sub(" ", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


@lru_cache(maxsize=16)
def _grammar(vocab: tuple[str, ...]) -> _Grammar:
    lexicon = genre_lexicon(vocab)
    alternation = "|".join(re.escape(p) for p in sorted(lexicon.phrases, key=len, reverse=True))
    genre = rf"(?:{alternation})(?:e?s)?(?![\w'-])"
    genre_list = (
        rf"{_FILLER}(?:(?!{genre}){_QUALIFIER})?(?<![\w'-]){genre}"
        rf"(?:\s*(?:,|or|and|nor|/)\s*(?:no\s+|not\s+)?"
        rf"{_LIST_FILLER}{genre})*"
    )
    count_noun = rf"(?:{_NOUN}s|movies?|films?|flicks?|{genre})"
    return _Grammar(
        genres=lexicon.phrases,
        thematic=lexicon.thematic,
        genre=re.compile(rf"(?<![\w'-]){genre}"),
        negated=re.compile(rf"\b(?<!why )(?P<neg>{_NEGATION})\s+(?P<genres>{genre_list})"),
        liking=re.compile(
            rf"\b{_LIKING}\s+(?P<genres>{genre_list})"
            rf"(?:\s+(?:now|again|after\s+all|actually))?"
        ),
        count=re.compile(
            rf"\btop\s+(?P<top>\d{{1,2}}|{_NUM})\b|"
            rf"\b(?:give|show|recommend|suggest|list|find|need|want)\s+(?:me\s+|us\s+)?"
            rf"(?P<verb>\d{{1,2}}|{_NUM})\b(?!\s+of\b)|"
            # "5 good movies", not "she is 12 and likes comedies" or "12 year old kids": a
            # noun phrase holds no conjunction or verb, and years are an age
            rf"\b(?P<num>\d{{1,3}}|{_NUM})[\s-]+(?!of\b|years?\b)"
            rf"(?:(?!{_NOT_IN_NOUN_PHRASE}\b)[\w'-]+\s+){{0,3}}?(?:{count_noun}|more\b)"
        ),
    )


def _blank_titles(text: str, mentions: list[TitleMention], r: _Reading, shown: list[str]) -> str:
    """Record every title mention by its cue and blank it out of the working copy.

    Titles are blanked with underscores, not spaces, so "I've seen Fargo" does not end
    in a bare "seen" that would mark the whole list as seen.
    """
    work = list(text.lower())
    for m in mentions:
        work[m.start : m.end] = "_" * (m.end - m.start)
        if m.match is None:
            r.unresolved.append(m.text)
            if m.cue == "explain":
                r.wants_explain = True
            # "I loved X", "like X", "I watched X": a taste told, to act on with what we have
            r.wish_unresolved = r.wish_unresolved or m.cue in ("liked", "similar", "seen")
            continue
        item = m.match.item_id
        r.named.append(item)
        if m.cue == "liked":  # "I loved Heat": a verdict, and what to look for
            r.feedback[item] = m.cue
            r.like_items.append(item)
        elif m.cue in ("disliked", "seen"):
            r.feedback[item] = m.cue
        elif m.cue == "explain":
            r.explain_items.append(item)
        else:
            r.like_items.append(item)
    return "".join(work)


def _sub(pattern: re.Pattern[str], work: str, handle: Callable[[re.Match[str]], None]) -> str:
    """Call `handle` on every match, then blank the matches out."""

    def blank(m: re.Match[str]) -> str:
        handle(m)
        return " " * len(m.group())

    return pattern.sub(blank, work)


def _refs(text: str, shown: list[str], r: _Reading) -> list[str]:
    """The shown items a reference list names; out-of-range positions are remembered."""
    text = text.strip()
    if re.fullmatch(_PRONOUN, text):
        singular = re.match(r"(?:it|that|this)", text)
        if r.named:  # "I saw Heat and loved it", "... Heat and Ronin, loved them": those named
            return r.named[-1:] if singular else list(r.named)
        if r.unresolved:  # ... titles we lack: nothing shown is meant
            r.wish_unresolved = True
            return []
        if not shown or singular and len(shown) > 1:
            r.bad_refs = True  # "loved it" after a list of five: which one?
            return []
        return shown[:1] if singular else list(shown)
    out = []
    for m in re.finditer(_REF, text):
        for position in _positions(m.group()):
            index = position - 1 if position > 0 else len(shown) + position
            if 0 <= index < len(shown):
                out.append(shown[index])
            else:
                r.bad_refs = True
    return out


def _positions(ref: str) -> list[int]:
    """1-based positions (negative from the end) one reference names: "the first two" is 1, 2."""
    run = re.match(r"(?:the\s+)?(first|top|last)\s+(\w+)", ref)
    if run and (run.group(2).isdigit() or run.group(2) in NUMBER_WORDS):
        n = int(run.group(2)) if run.group(2).isdigit() else NUMBER_WORDS[run.group(2)]
        return list(range(-n, 0)) if run.group(1) == "last" else list(range(1, n + 1))
    return [_position(ref)]


def _position(ref: str) -> int:
    digits = re.search(r"\d+", ref)
    if digits and not re.search(r"\d(?:st|nd|rd|th)", ref):
        return int(digits.group())
    for word in ref.split():
        if word in ORDINALS:
            return ORDINALS[word]
        if word in NUMBER_WORDS and word not in ("one",) or word == "one" and "number" in ref:
            return NUMBER_WORDS[word]
    return int(digits.group()) if digits else 0


def _read_unsupported(work: str, r: _Reading, schema: CatalogSchema | None) -> str:
    """Wishes the catalog has no data for are noted (the reply says so), never searched.

    A kind of wish the catalog's schema does hold (a field named like it, a value it
    matches) is the readers' to understand, not an unsupported one.
    """
    held = [" ".join(f.words) for f in schema.fields] if schema else []
    held += (
        [f"on {v}" for f in schema.of_kind("categorical", "list") for v in f.values]
        if (schema)
        else []
    )
    for pattern, what in UNSUPPORTED:
        if any(pattern.search(h) for h in held):
            continue
        if pattern.search(work):
            r.unsupported.append(what)
            work = pattern.sub(lambda m: " " * len(m.group()), work)
    return work


def _read_rejection(work: str, text: str, r: _Reading, shown: list[str], domain: Domain) -> str:
    """'none of those', 'something else': every shown item is rejected.

    Beyond a few plain words, a short sentence that names no shown item turns the list
    down when it is most like the examples of a rejection (MiniLM, see
    `understanding.kinds`), so rejections need no phrase of their own.
    """

    def reject(m: re.Match[str]) -> None:
        r.reject_shown = bool(shown)

    work = _sub(_BARE_NO, _sub(_REJECT, work, reject), reject)
    if shown and not r.reject_shown:
        for m in re.finditer(r"[^.!?;,]+", work):
            sentence = m.group()
            short = 1 <= len(sentence.split()) <= MAX_REJECT_WORDS and "_" not in sentence
            short = short and not re.search(_REF, sentence)  # "not the first one": one item
            # judged on the words as typed: "Clint Eastwood ones" is no "ones" once the name is read
            typed = text[m.start() : m.end()] if len(text) == len(work) else sentence
            if short and turn_kind(typed, domain) == "reject":
                r.reject_shown = True
                work = work[: m.start()] + " " * len(sentence) + work[m.end() :]

    def other(m: re.Match[str]) -> None:
        r.reject_shown = bool(shown)
        r.wants_other = True

    return _sub(_OTHERS, work, other)


def _read_explain(work: str, r: _Reading, shown: list[str]) -> str:
    """'why #2?', 'why did you pick the third one', 'why these?'."""

    def explain(m: re.Match[str]) -> None:
        r.wants_explain = True
        # the second form asks what they are, unless it asks for a verdict ("is #2 any good?")
        r.explain_about |= bool(m.group(2)) and not re.match(r"(?:is|was)\b", m.group())
        refs = m.group(1) or m.group(2)
        if refs:
            r.explain_items.extend(_refs(refs, shown, r))
        elif not r.explain_items and re.fullmatch(r"\W*", work[m.end() :]):
            r.explain_items.extend(shown)  # a bare "why?" asks about the whole list

    return _sub(_WHY, work, explain)


def _seen_verbs(domain: Domain) -> str:
    return "|".join((_SEEN, re.escape(domain.verb)))


@lru_cache(maxsize=8)
def _feedback_patterns(seen: str) -> tuple[tuple[Verdict, re.Pattern[str]], ...]:
    """The verdict patterns with the domain's verbs of having had an item."""
    return (
        tuple(
            (verdict, re.compile(rf"\b{verb.format(seen=seen)}\s+(?P<refs>{_REFS})"))
            for verdict, verb in _FEEDBACK_VERBS.items()
        )
        + tuple(
            (
                verdict,
                re.compile(
                    rf"(?:^|\b)(?P<refs>{_REFS})\s+(?:(?:was|is|were|are|looks?|"
                    rf"sounds?|seems?)\s+)?(?:(?:really|so|very|pretty|kinda|too)\s+)?"
                    rf"{words.format(seen=seen)}\b"
                ),
            )
            for verdict, words in _VERDICT_WORDS.items()
        )
        + (
            (
                "seen",
                re.compile(
                    r"\b(?:(?:i'?ve|i\s+have|we'?ve)\s+)?(?:already\s+)?"
                    rf"(?:{seen})\s*(?:(?P<refs>it|them|those|these)\s*)?"
                    r"(?:all|already|before)?(?=\W*$)"
                ),
            ),
        )
    )


def _read_feedback(work: str, r: _Reading, shown: list[str], domain: Domain) -> str:
    """'loved #2', 'seen #1 and #3', 'the first one was boring', a bare 'seen it'.

    Of two verdicts on one item the later one in the message stands ("#2 sounds good,
    but I've seen it": seen).
    """
    said = work  # each pass blanks what it read; "it" still finds the item named before
    where: dict[str, int] = {}
    for verdict, pattern in _feedback_patterns(_seen_verbs(domain)):

        def record(m: re.Match[str], verdict: Verdict = verdict) -> None:
            clause = CLAUSE_BREAK.split(m.string[: m.start()])[-1]
            if verdict in ("seen", "liked") and _NEGATED_BEFORE.search(clause):
                return  # "I haven't seen #2", "I don't think I've seen it": no verdict
            refs = m.groupdict().get("refs")
            earlier = list(re.finditer(_REF, said[: m.start()]))
            if refs in ("it", "that", "that one") and earlier:  # "#2 sounds good, seen it"
                refs = earlier[-1].group()
            # a bare "seen them" or "already seen" covers the list; "seen it" asks which
            targets = _refs(refs, shown, r) if refs is not None else list(shown)
            for item in targets:
                if where.get(item, -1) < m.start():
                    r.feedback[item], where[item] = verdict, m.start()

        work = _sub(pattern, work, record)
    return work


def _read_similar_refs(work: str, r: _Reading, shown: list[str]) -> str:
    """'more like the second one', 'like #2' point at shown items."""
    pattern = re.compile(
        rf"\b(?:more\s+)?{_SIMILAR}\s+(?P<refs>{_REF}(?:\s*(?:,|and|&|or)?\s*"
        rf"{_REF})*)"
    )

    def similar(m: re.Match[str]) -> None:
        items = _refs(m.group("refs"), shown, r)
        r.like_items.extend(items)
        r.like_from_shown = r.like_from_shown or bool(items)

    return _sub(pattern, work, similar)


def _read_similar_pronoun(work: str, r: _Reading, shown: list[str]) -> None:
    """'something similar', 'more like that': the item liked this turn, or the one shown."""
    if r.like_items or not _SIMILAR_NO_TARGET.search(work):
        return
    liked = [i for i, v in r.feedback.items() if v == "liked"]
    items = liked or (shown[:1] if len(shown) == 1 else [])
    r.like_items.extend(items)
    r.like_from_shown = any(i in shown for i in items)
    if not items and shown and not r.feedback and _MORE_OF_THESE.search(work):
        r.refinements.append("more")  # "more like that" after a list: what "more" asks


_REFINEMENT_PATTERNS = tuple(
    (
        refinement,
        re.compile(
            rf"\b(?:a\s+(?:bit|little)\s+|much\s+|even\s+|slightly\s+)?"
            rf"(?:{words})\b(?!\s+than\b)"
        ),
    )  # "older than 1980": a period
    for refinement, words in _REFINEMENTS
)


def _read_refinements(work: str, r: _Reading, has_shown: bool) -> str:
    """'darker', 'older', 'more': relative to the last turn when something was shown."""
    if _MORE.match(work.strip()):
        r.refinements.append("more")
        return ""
    for refinement, pattern in _REFINEMENT_PATTERNS:
        if pattern.search(work):
            if has_shown or refinement not in ("darker", "lighter", "older", "newer"):
                r.refinements.append(refinement)
                work = pattern.sub(lambda m: " " * len(m.group()), work)
            elif refinement in ("darker", "lighter"):
                work = pattern.sub(" dark " if refinement == "darker" else " light ", work)
    return work


def _period(text: str) -> tuple[int, int]:
    """First and last year of "1995", "the 90s", "early 80s", "nineties"."""
    text = text.strip().removeprefix("the").strip()
    for word, start in DECADE_WORDS.items():
        if text.endswith(word):
            return _part_of_decade(text, start)
    digits = re.search(r"\d+", text)
    if digits is None:
        return 0, 0
    number = digits.group()
    if re.search(r"\d'?s\b", text):
        start = (
            int(number) if len(number) == 4 else (1900 if int(number) >= 20 else 2000) + int(number)
        )
        return _part_of_decade(text, start)
    return int(number), int(number)


def _part_of_decade(text: str, start: int) -> tuple[int, int]:
    if text.startswith("early"):
        return start, start + 3
    if text.startswith("mid"):
        return start + 3, start + 6
    if text.startswith("late"):
        return start + 6, start + 9
    return start, start + 9


_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("range", re.compile(rf"\bbetween\s+(?P<a>{_PERIOD})\s+and\s+(?P<b>{_PERIOD})")),
    (
        "range",
        re.compile(
            rf"(?:\bfrom\s+)?(?P<a>{_PERIOD})\s*(?:-|to|through|thru|until|till|"
            rf"and|or|&|/)\s*(?P<b>{_PERIOD})"
        ),
    ),
    (
        "after",
        re.compile(
            rf"\b(?P<w>after|since|post|newer\s+than|later\s+than|"
            rf"more\s+recent\s+than|from\s+after)\s*-?\s*(?P<a>{_PERIOD})"
        ),
    ),
    (
        "before",
        re.compile(
            rf"\b(?P<w>before|pre|prior\s+to|older\s+than|earlier\s+than|"
            rf"until|up\s+to|no\s+later\s+than)\s*-?\s*(?P<a>{_PERIOD})"
        ),
    ),
    # "around 1993", "circa 1993", "roughly 1993": a year give or take, never that year only
    (
        "around",
        re.compile(
            rf"\b(?:around|circa|roughly|approximately|ca\.)\s+(?P<a>{_PERIOD})"
            rf"|(?<![\w#])(?P<b>{_YEAR})(?:\s+or\s+so|\s*-?ish)\b"
        ),
    ),
    (
        "in",
        re.compile(
            rf"(?:\b(?:from|in|of|during|made\s+in|released\s+in)\s+)?"
            rf"(?<![\w#])(?P<a>{_PERIOD})"
        ),
    ),
)


_LAST_YEARS = re.compile(
    rf"\b(?:from\s+|in\s+|of\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d{{1,2}}|{_NUM})\s+years\b"
)


def _read_periods(work: str, r: _Reading, last_year: int, has_shown: bool) -> str:
    """Years, decades and ranges; each becomes a (min, max) the results must lie in."""

    def last_years(m: re.Match[str]) -> None:
        n = m.group("n")
        years = int(n) if n.isdigit() else NUMBER_WORDS[n]
        if last_year and years > 0:  # "the last ten years" of the catalog
            r.periods.append((last_year - years + 1, None, " ".join(m.group().split())))

    work = _sub(_LAST_YEARS, work, last_years)
    for kind, pattern in _PERIOD_PATTERNS:

        def period(m: re.Match[str], kind: str = kind) -> None:
            said = " ".join(m.group().split())
            if kind == "around":
                first, last = _period(m.group("a") or m.group("b"))
                r.periods.append((first - AROUND_YEARS, last + AROUND_YEARS, said))
                r.year_near = first if first == last else r.year_near
                return
            a_first, a_last = _period(m.group("a"))
            if kind == "range":
                b_first, b_last = _period(m.group("b"))
                r.periods.append((min(a_first, b_first), max(a_last, b_last), said))
            elif kind == "after":
                since = m.group("w") == "since"
                r.periods.append((a_first if since else a_last + 1, None, said))
            elif kind == "before":
                until = m.group("w") in ("until", "up to", "no later than")
                r.periods.append((None, a_last if until else a_first - 1, said))
            else:
                r.periods.append((a_first, a_last, said))

        work = _sub(pattern, work, period)
    # "not too old, after 1975": a year said outright says what the vague words meant
    vague_only = not r.periods

    def not_old(m: re.Match[str]) -> None:
        if vague_only:
            r.periods.append((OLD_BEFORE, None, m.group()))

    work = _sub(_NOT_OLD, work, not_old)

    def old(m: re.Match[str]) -> None:
        if has_shown and _TOO.search(m.string[: m.start()]):
            r.refinements.append("newer")  # "these are all too old": less of it
        elif vague_only and not _describes_a_thing(m):
            r.periods.append((None, OLD_BEFORE - 1, m.group()))

    old_era, recent_era = _ERAS[has_shown]
    work = _sub(old_era, work, old)

    def recent(m: re.Match[str]) -> None:
        if has_shown and _TOO.search(m.string[: m.start()]):
            r.refinements.append("older")
        elif last_year and vague_only and not _describes_a_thing(m):
            r.periods.append((last_year - RECENT_YEARS + 1, None, m.group()))

    return _sub(recent_era, work, recent)


_DEGREE = r"a\s+bit|a\s+little|kind\s+of|sort\s+of|all|too|so|very|pretty|really|quite|rather"
_PREDICATIVE = re.compile(
    rf"\b(?:is|was|were|are|be|been|'s|looks?|seems?|feels?)\s+(?:(?:{_DEGREE})\s+)*$"
)
# "these are all old", "too recent for me": said of what was shown, it asks for less of it
_TOO = re.compile(rf"\b(?:are|were|'re|is|seem|look)\s+(?:(?:{_DEGREE})\s+)*(?:too|all|so)\s+$")


def _describes_a_thing(m: re.Match[str]) -> bool:
    """'it's a bit old', 'an old ____ nerd': the era word tells of a title, not of a wish."""
    return (
        bool(_PREDICATIVE.search(m.string[: m.start()])) or m.string[m.end() :].lstrip()[:1] == "_"
    )


def _read_count(work: str, r: _Reading, grammar: _Grammar) -> str:
    """'5 movies', 'three comedies', 'top 10', 'give me 3'; 'a movie' says nothing."""

    def count(m: re.Match[str]) -> None:
        word = m.group("top") or m.group("verb") or m.group("num")
        value = int(word) if word.isdigit() else NUMBER_WORDS[word]
        if r.count is None and value > 0:
            r.count = min(value, MAX_COUNT)

    # Only the number itself is consumed: the noun may still be a genre ("three comedies").
    for m in list(grammar.count.finditer(work)):
        count(m)
        group = next(g for g in ("top", "verb", "num") if m.group(g))
        work = work[: m.start(group)] + " " * len(m.group(group)) + work[m.end(group) :]
    return work


def _read_genres(work: str, r: _Reading, grammar: _Grammar) -> str:
    """Lasting tastes first, then negated genres, then the genres asked for."""

    def genres_in(text: str, loose: bool = True) -> list[str]:
        return [
            g
            for m in grammar.genre.finditer(text)
            if loose or not _is_thematic(m.group(), grammar)
            for g in _genres_of(m.group(), grammar)
        ]

    def liking(m: re.Match[str]) -> None:
        for g in genres_in(m.group("genres")):
            r.preferences[g] = Preference(key=f"genre:{g}", polarity="like", text=_said(m.group()))
            r.liked_genres.append(g)

    work = _sub(grammar.liking, work, liking)

    def negated(m: re.Match[str]) -> None:
        lasting = bool(_LASTING_AVOID.search(m.group("neg")))  # "I hate horror", not "no horror"
        # "no aliens" is not "no sci-fi": a loose synonym never rules a whole genre out
        for loose in grammar.genre.finditer(m.group("genres")):
            if _is_thematic(loose.group(), grammar):
                r.unsupported.append(f'"{loose.group().strip()}"')
        for g in genres_in(m.group("genres"), loose=False):
            (r.avoided_genres if lasting else r.genres_out).append(g)
            r.preferences[g] = Preference(key=f"genre:{g}", polarity="avoid", text=_said(m.group()))
        _keep_thematic(m.group("genres"), r, grammar, negated=True)

    work = _sub(grammar.negated, work, negated)
    work = _NEGATED_MOOD.sub(lambda m: " " * len(m.group()), work)  # "nothing too dark"

    def wanted(m: re.Match[str]) -> None:
        r.genres_in.extend(_genres_of(m.group(), grammar))
        _keep_thematic(m.group(), r, grammar, negated=False)

    return _sub(grammar.genre, work, wanted)


def _genres_of(phrase: str, grammar: _Grammar) -> tuple[str, ...]:
    p = phrase.strip()
    for candidate in (p, p.removesuffix("s"), p.removesuffix("es")):
        if candidate in grammar.genres:
            return grammar.genres[candidate]
    return ()


def _is_thematic(phrase: str, grammar: _Grammar) -> bool:
    p = phrase.strip()
    return any(c in grammar.thematic for c in (p, p.removesuffix("s"), p.removesuffix("es")))


def _keep_thematic(text: str, r: _Reading, grammar: _Grammar, negated: bool) -> None:
    """Loose synonyms ("heist", "space") also go to the query, where they say more."""
    if negated:
        return
    for phrase in grammar.thematic:
        if re.search(rf"(?<![\w-]){re.escape(phrase)}(?:e?s)?(?![\w-])", text):
            r.query.append(phrase)


def _said(text: str) -> str:
    return " ".join(text.split())[:200]


# "funny but not stupid": a word ruled out is no word to search for
_NEGATED_WORD = re.compile(
    r"\b(?:not|no|never|without|nothing)\s+(?:(?:too|very|so|that|really|overly)\s+)?[a-z][a-z'-]*"
)


def _query_words(work: str, domain: Domain) -> list[str]:
    """Words left over, as themes to search for; none from a sentence that is only talk.

    "Hello, what's your favorite movie?" or "I saw that play, it was amazing" ask for no
    theme: searched, their words would only match titles ("My Favorite Year").
    """
    return [
        w
        for sentence in re.split(r"[.!?;\n]+|,\s+", work)
        if (words := _content_words(sentence, domain))
        and turn_kind(sentence.replace("_", " "), domain) != "talk"
        for w in words
    ]


def _content_words(text: str, domain: Domain) -> list[str]:
    """Words that may say what the user wants: not the domain's own ("books", "read")."""
    own = {domain.noun, domain.plural, domain.verb, domain.verb_base, "movie", "movies"}
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", _NEGATED_WORD.sub(" ", text))
    return [
        w
        for w in words
        if w not in own
        and w not in STOPWORDS
        and w not in _NOT_QUERY
        and w not in VAGUE
        and w not in FILLER
        and any(c.isalpha() for c in w)
        and len(w) > 1
    ]


_NOT_QUERY = frozenset(
    {
        "loved",
        "liked",
        "hated",
        "enjoyed",
        "disliked",
        "seen",
        "saw",
        "why",
        "explain",
        "similar",
        "such",
        "recommend",
        "recommended",
        "suggest",
        "suggested",
        "pick",
        "picked",
        "choose",
        "chose",
        "showed",
        "actually",
        "now",
        "yet",
        "though",
        "please",
        "thanks",
        "love",
        "hate",
        "enjoy",
        "prefer",
        "dont",
        "don't",
        "didn't",
        "didnt",
        "can't",
        "cant",
        "won't",
        "wouldn't",
        "isn't",
        "aren't",
        "something",
        "anything",
        "some",
        "me",
        "them",
        "number",
        "last",
        "first",
        "second",
        "third",
        "one",
        "lol",
        "hmm",
        "top",
        "make",
        "instead",
    }
)


def _decide(text: str, r: _Reading, shown_count: int, domain: Domain) -> Intent:
    """Pick the intent's kind from what was read, and build it.

    When nothing concrete was read (no genre, year, title, field value or reference), the
    message's likeness to requests or to talk decides whether it asks for items at all.
    """
    year_min, year_max, conflict = _year_bounds(r.periods)
    lower = text.lower()
    wants = bool(
        r.genres_in
        or r.genres_out
        or year_min
        or year_max
        or r.count
        or r.like_items
        or r.predicates
        or _REQUEST.search(lower)
    )
    concrete = wants or bool(
        r.feedback
        or r.reject_shown
        or r.wants_explain
        or r.refinements
        or r.wants_other
        or r.unresolved
        or r.bad_refs
        or r.problems
        or conflict
        or r.preferences
    )
    sense = "unsure" if concrete else turn_kind(text, domain)
    # After a list, a remark that is not clearly a request is talk: the list stands.
    # ... unless it asked for what the catalog cannot tell ("no aliens"): that is said
    if not r.unsupported and (
        sense == "talk" or sense == "unsure" and not concrete and shown_count
    ):
        return Intent(kind="chitchat")
    # "I like comedies" in a recommender's chat asks for some, and is remembered too
    asks = wants or sense == "request" or bool(r.query or r.liked_genres)
    # A lasting taste stated alongside a request shapes that request too.
    genres_out = list(dict.fromkeys(r.genres_out + (r.avoided_genres if asks else [])))
    wanted = r.genres_in + (r.liked_genres if asks else [])
    genres_in = [g for g in dict.fromkeys(wanted) if g not in genres_out]  # "not" wins
    intent = Intent(
        kind="recommend",
        constraints=Constraints(
            genres_in=genres_in,
            genres_out=genres_out,
            year_min=year_min,
            year_max=year_max,
            count=r.count,
            predicates=list(dict.fromkeys(r.predicates)),
        ),
        query=" ".join(dict.fromkeys(r.query[:MAX_QUERY_WORDS]))[:MAX_QUERY_CHARS],
        year_near=r.year_near if not conflict else None,
        like_items=list(dict.fromkeys(r.like_items)),
        unresolved_titles=list(dict.fromkeys(r.unresolved)),
        feedback=[Feedback(item=i, verdict=v) for i, v in r.feedback.items()],
        reject_shown=r.reject_shown,
        explain_items=list(dict.fromkeys(r.explain_items)),
        explain_about=r.explain_about,
        refinements=list(dict.fromkeys(r.refinements)),
        preferences=list(r.preferences.values()),
        unsupported=list(dict.fromkeys(r.unsupported)),
        problems=list(dict.fromkeys(r.problems)),
        notes=list(dict.fromkeys(r.notes)),
    )

    def answer(kind: str, question: str = "") -> Intent:
        return intent.model_copy(update={"kind": kind, "question": question})

    fresh = bool(_FRESH_REQUEST.search(lower) or _names_the_noun(lower, domain))
    follow_up = (
        shown_count > 0
        and not r.starts_over
        and bool(
            r.refinements
            or r.wants_other
            or r.like_from_shown
            or _REFINE_LEAD.search(lower)
            # a wish that names no genre or field of its own ("or something like Annabelle",
            # a title we lack, "under 300 pages") adds to the request being served
            or (asks or r.wish_unresolved)
            and not (genres_in or r.genres_out or r.predicates and fresh)
            or not fresh
        )
    )
    if conflict:
        return answer("clarify", conflict)
    if r.wants_explain:
        if intent.explain_items:
            return answer("explain")
        return answer(
            "clarify",
            _missing(intent)
            if intent.unresolved_titles
            else EXPLAIN_WHICH
            if shown_count
            else NOTHING_SHOWN,
        )
    if intent.feedback or intent.reject_shown:
        if asks or r.refinements or r.wants_other:
            return answer("refine" if follow_up else "recommend")
        return answer("feedback")
    if r.bad_refs and not asks:
        return answer("clarify", _which(shown_count))
    if r.refinements or r.wants_other or r.like_from_shown:
        return answer("refine" if shown_count else "recommend")
    if intent.preferences and not asks:
        return intent.model_copy(update={"kind": "edit_profile", "constraints": Constraints()})
    if asks or r.wish_unresolved:  # asked for items: never an empty list, whatever we lack
        return answer("refine" if follow_up else "recommend")
    if intent.unresolved_titles:
        return answer("clarify", _missing(intent))
    if intent.problems:
        said = "; ".join(intent.problems)
        return answer("clarify", f"{said[0].upper()}{said[1:]}. {GO_ON_QUESTION}")
    if intent.unsupported:
        said = cannot_use(intent.unsupported)
        return answer("clarify", f"{said[0].upper()}{said[1:]}. {GO_ON_QUESTION}")
    return answer("clarify", VAGUE_QUESTION)


def _names_the_noun(text: str, domain: Domain) -> bool:
    """Whether the text names the domain's noun, as a new request does: "books by Tolkien"."""
    nouns = "|".join(re.escape(n) for n in (domain.noun, domain.plural))
    return re.search(rf"\b(?:{nouns})\b", text) is not None


def _year_bounds(
    periods: list[tuple[int | None, int | None, str]],
) -> tuple[int | None, int | None, str]:
    """Intersect every period mentioned; when nothing is left, say which ones conflict."""
    lows = [(lo, said) for lo, _, said in periods if lo is not None]
    highs = [(hi, said) for _, hi, said in periods if hi is not None]
    low = max(lows) if lows else None
    high = min(highs) if highs else None
    if low is not None and high is not None and low[0] > high[0]:
        return (
            low[0],
            high[0],
            (
                f'You asked for "{high[1]}" and "{low[1]}", which cannot both hold. '
                "Which one did you mean?"
            ),
        )
    return (low[0] if low else None), (high[0] if high else None), ""


def _missing(intent: Intent) -> str:
    names = ", ".join(f'"{t}"' for t in intent.unresolved_titles[:3])
    return (
        f"I couldn't find {names} in the catalog. Is there another {{noun}} you liked, "
        "or a genre or mood you're after?"
    )


def _which(shown_count: int) -> str:
    if not shown_count:
        return NOTHING_SHOWN
    return f"I showed {shown_count} {{plural}}; which one do you mean (1 to {shown_count})?"
