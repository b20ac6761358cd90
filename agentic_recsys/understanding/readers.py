"""High-precision readers over the catalog's schema: numbers with units, values, names.

Each reader finds what a message says about one kind of field and returns predicates,
plus what it could not use and why (a unit the catalog has no field for, a value it
lacks, a number outside the field's range). Nothing here knows a catalog in advance: the
fields, their units, their values and their names come from the `CatalogSchema`.
Readers work on the parser's lowercase working copy and blank out what they consumed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.fields import CatalogSchema, FieldProfile
from agentic_recsys.understanding.lexicon import NUMBER_WORDS
from agentic_recsys.understanding.predicates import (
    Op,
    Predicate,
    PredicateError,
    numeric_column,
    score_scale,
    validate,
)

# What a quantity of each kind is called when the catalog has no field for it.
UNIT_NAMES = {
    "minutes": "running time",
    "pages": "length in pages",
    "price": "price",
    "score": "ratings",
}
_AT_MOST = (
    r"under|below|less\s+than|fewer\s+than|at\s+most|no\s+more\s+than|not\s+more\s+than|"
    r"no\s+longer\s+than|not\s+longer\s+than|shorter\s+than|up\s+to|max(?:imum)?|within|"
    r"cheaper\s+than|lower\s+than|no\s+(?:higher|greater)\s+than|not\s+over|<=?"
)
_AT_LEAST = (
    r"over|above|more\s+than|longer\s+than|at\s+least|no\s+less\s+than|no\s+shorter\s+than|"
    r"min(?:imum)?|greater\s+than|higher\s+than|better\s+than|>=?"
)
_POST_MIN = r"or\s+(?:more|higher|above|better|longer|over|up)|and\s+(?:up|above|over|higher)|\+"
_POST_MAX = r"or\s+(?:less|lower|fewer|under|shorter|below|cheaper)|and\s+(?:under|below|less)"
_NUM = r"(?P<cur>[$\u20ac\u00a3])?\s?(?P<num>-?\d+(?:\.\d+)?)(?P<k>k\b)?"
_UNIT = (
    r"(?:\s?-?\s?(?P<unit>minutes?|mins?|hours?|hrs?|h\b|pages?|pp\b|stars?|points?|dollars?|"
    r"bucks|euros?|usd|%)|\s?/\s?(?P<scale>\d+)|\s+out\s+of\s+(?P<scale2>\d+)|"
    r"\s+of\s+(?P<scale3>\d+))?(?:\s+(?:long|in\s+length))?"
)
_SCORE_CUE = r"(?P<cue>rated|rating\s+of|ratings?|scored?|score\s+of)"
NUMBER_PATTERNS = (
    re.compile(
        rf"\bbetween\s+{_NUM}{_UNIT}\s+and\s+(?P<cur2>[$])?(?P<num2>-?\d+(?:\.\d+)?)"
        rf"(?:\s?(?P<unit2>minutes?|mins?|hours?|pages?|dollars?))?"
    ),
    re.compile(
        rf"(?:{_SCORE_CUE}\s+)?(?P<cmp>{_AT_MOST}|{_AT_LEAST})\s+(?:an?\s+)?"
        rf"(?:(?:rating|score)\s+of\s+)?{_NUM}{_UNIT}"
    ),
    re.compile(rf"(?:{_SCORE_CUE}\s+)?{_NUM}{_UNIT}\s*(?P<post>{_POST_MIN}|{_POST_MAX})"),
    re.compile(rf"{_SCORE_CUE}\s+(?:an?\s+)?{_NUM}{_UNIT}"),
)
_UNIT_KIND = {
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "hour": "minutes",
    "hours": "minutes",
    "hr": "minutes",
    "hrs": "minutes",
    "h": "minutes",
    "page": "pages",
    "pages": "pages",
    "pp": "pages",
    "star": "score",
    "stars": "score",
    "point": "score",
    "points": "score",
    "%": "score",
    "dollar": "price",
    "dollars": "price",
    "bucks": "price",
    "euro": "price",
    "euros": "price",
    "usd": "price",
}
# Comparatives that say which kind of quantity they compare, with the direction.
RELATIVE = re.compile(
    r"\b(?P<w>shorter|longer|briefer|quicker\s+reads?|cheaper|less\s+expensive|pricier|"
    r"more\s+expensive|(?:higher|better)[- ]rated|lower[- ]rated)\b(?!\s+than\b)"
)
_RELATIVE_KIND = {
    "shorter": (("minutes", "pages"), "<="),
    "briefer": (("minutes", "pages"), "<="),
    "longer": (("minutes", "pages"), ">="),
    "cheaper": (("price",), "<="),
    "less expensive": (("price",), "<="),
    "pricier": (("price",), ">="),
    "more expensive": (("price",), ">="),
    "higher-rated": (("score",), ">="),
    "better-rated": (("score",), ">="),
    "lower-rated": (("score",), "<="),
}
ADJECTIVES = re.compile(
    r"\b(?P<neg>not\s+(?:too|very|that|overly|super)\s+)?(?P<w>short|long|lengthy|quick|"
    r"cheap|inexpensive|affordable|expensive|highly[- ]rated|well[- ]rated|top[- ]rated|"
    r"acclaimed)\b(?!\s+(?:time|ago|story|list|run|shot))"
)
_ADJECTIVE_KIND = {
    "short": (("minutes", "pages"), "low"),
    "quick": (("minutes", "pages"), "low"),
    "long": (("minutes", "pages"), "high"),
    "lengthy": (("minutes", "pages"), "high"),
    "cheap": (("price",), "low"),
    "inexpensive": (("price",), "low"),
    "affordable": (("price",), "low"),
    "expensive": (("price",), "high"),
    "highly-rated": (("score",), "high"),
    "well-rated": (("score",), "high"),
    "top-rated": (("score",), "high"),
    "acclaimed": (("score",), "high"),
}
# English negates a wish with an auxiliary and a verb of liking or wanting, a few adverbs
# apart: "don't want", "doesnt care much for", "do not really like", "wouldn't enjoy".
LIKE_VERB = r"(?:like|love|enjoy|adore|dig|want|fancy|care\s+(?:much\s+|at\s+all\s+)?for)"
# a negated auxiliary, its apostrophe often left out: "don't", "doesnt", "haven't", "isnt"
NEGATIVE_AUXILIARY = (
    r"(?:(?:do|does|did|is|are|was|were|have|has|had|would|will|wo|ca|can|could)n'?t|"
    r"(?:do|does|did|would|will|can)\s+not)"
)
NEGATED_WISH = (
    rf"{NEGATIVE_AUXILIARY}"
    rf"\s+(?:(?:really|much|even|particularly|usually|always|too|that|so)\s+){{0,2}}{LIKE_VERB}"
)
NEGATION = re.compile(
    r"\b(?:no|not|never|without|except|excluding|exclude|avoid|nothing|none|"
    rf"{NEGATED_WISH}|isn'?t|aren'?t|anything\s+but|rather\s+not|skip)\b"
)
CLAUSE_BREAK = re.compile(r"[.;!?]|,\s*(?:but|and|though)\b|\bbut\b|\bhowever\b|\bthough\b")
CHAIN = re.compile(r"^\s*(?:,|or|and|/|&|nor|,\s*or|,\s*and)?\s*(?:not\s+|no\s+)?$")
NEAR_CHARS = 28  # how far a field's name may be from a number or value it governs
FUZZY_VALUE = 85  # "Netflux" -> "Netflix"


@dataclass
class FieldReading:
    """What the readers understood, and what they could not use."""

    predicates: list[Predicate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # said to the user, e.g. out of range
    unsupported: list[str] = field(default_factory=list)  # wishes about data the catalog lacks
    notes: list[str] = field(default_factory=list)  # how a loose word was read


def read_fields(
    work: str,
    text: str,
    schema: CatalogSchema,
    dataset: Dataset,
    reference: Sequence[int] = (),
) -> tuple[str, FieldReading]:
    """Read numbers, relative words and catalog values; return the work copy with them blanked.

    `work` is the parser's lowercase working copy, `text` the message as typed (same
    length: capitalisation tells names from words); `reference` holds catalog rows that
    "shorter" or "cheaper" compare with (a title named in the message, else the last list).
    """
    reading = FieldReading()
    work = _read_numbers(work, schema, reading)
    work = _read_relative(work, schema, dataset, reference, reading)
    work = _read_adjectives(work, schema, dataset, reading)
    work = _read_values(work, text, schema, reading)
    return _blank_field_names(work, schema, reading), reading


def _blank_field_names(work: str, schema: CatalogSchema, reading: FieldReading) -> str:
    """Once a field's wish is read, its name ("rated", "runtime") is not a search word."""
    if not (reading.predicates or reading.problems):
        return work
    used = {p.field for p in reading.predicates} | {
        f.name for f in schema.fields if any(f.label in problem for problem in reading.problems)
    }
    for f in schema.fields:
        if f.name in used:
            for w in _cue_words(f):
                work = re.sub(rf"(?<!\w){re.escape(w)}(?!\w)", lambda m: " " * len(m.group()), work)
    return work


def _blank(work: str, start: int, end: int) -> str:
    return work[:start] + " " * (end - start) + work[end:]


def _near_words(work: str, start: int, end: int) -> str:
    return work[max(0, start - NEAR_CHARS) : end + NEAR_CHARS]


def _named_field(window: str, fields: Sequence[FieldProfile]) -> FieldProfile | None:
    """The field whose own name (not a generic unit word) is written near the number."""
    for f in fields:
        for w in [f.label, *f.label.split()]:
            if len(w) > 2 and re.search(rf"(?<![\w-]){re.escape(w)}", window):
                return f
    return None


_WORD_NUMBERS = {"an": 1, "a": 1, **NUMBER_WORDS}  # "an hour", "two hours", "a few stars"
_SPELLED = re.compile(
    r"\b(?P<n>"
    + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
    + r")(?=\s+(?:hours?|hrs?|stars?|minutes?|pages?)\b)"
)


def _spelled_numbers(work: str) -> str:
    """'two hours' -> '2   hours' (same length, so offsets into the message hold)."""
    return _SPELLED.sub(lambda m: str(_WORD_NUMBERS[m.group("n")]).rjust(len(m.group())), work)


def _read_numbers(work: str, schema: CatalogSchema, reading: FieldReading) -> str:
    numeric = [f for f in schema.of_kind("numeric") if f.unit != "year"]
    work = _spelled_numbers(work)
    for pattern in NUMBER_PATTERNS:
        for m in list(pattern.finditer(work)):
            if not work[m.start() : m.end()].strip():
                continue  # blanked by an earlier pattern
            groups = m.groupdict()
            value = float(groups["num"]) * (1000 if groups.get("k") else 1)
            unit = (groups.get("unit") or groups.get("unit2") or "").replace(" ", "")
            currency = groups.get("cur") or groups.get("cur2")
            kind = (
                "price"
                if currency
                else _UNIT_KIND.get(unit.rstrip("s") if unit not in _UNIT_KIND else unit)
            )
            scale = groups.get("scale") or groups.get("scale2") or groups.get("scale3")
            if groups.get("cue") or scale:
                kind = kind or "score"
            comparison = groups.get("cmp") or groups.get("post") or ""
            if kind is None and re.search(r"shorter|longer", comparison):
                kind = "minutes|pages"
            if kind is None and "cheaper" in comparison:
                kind = "price"
            window = _near_words(work, m.start(), m.end())
            named = _named_field(window, numeric)
            if kind is None:
                if named is None or 1800 <= value <= 2100:
                    continue  # "under 1990" is a year; a bare "over 5" says nothing we know
                kind = named.unit or "count"
            candidates = [f for f in numeric if (f.unit or "count") in kind.split("|")]
            if named is not None and named not in candidates and named.unit in UNIT_NAMES:
                reading.problems.append(  # "runtime under $5"
                    f"{named.label} is not a {UNIT_NAMES.get(kind, kind)}: "
                    f'"{" ".join(m.group().split())}" does not fit it'
                )
                work = _blank(work, m.start(), m.end())
                continue
            if not candidates:
                if kind in UNIT_NAMES:
                    reading.unsupported.append(UNIT_NAMES[kind])
                    work = _blank(work, m.start(), m.end())
                continue
            f = named if named in candidates else candidates[0]
            if unit.startswith(("hour", "hr", "h")) and f.unit == "minutes":
                value *= 60
            value, problem = _rescale(value, scale, unit, f)
            if problem:
                reading.problems.append(problem)
                work = _blank(work, m.start(), m.end())
                continue
            # "nothing over 2 hours": a negation before the comparison turns it around
            flip = bool(
                re.search(
                    r"\b(?:not|nothing|no|never)\s*$", work[max(0, m.start() - 10) : m.start()]
                )
            )
            if groups.get("num2") is not None:
                high = float(groups["num2"]) * (
                    60 if (groups.get("unit2") or unit).startswith("hour") else 1
                )
                predicate = Predicate(field=f.name, op="between", value=(value, high))
            else:  # "over 7", "7 or higher", a bare "rated 7": at least
                at_most = bool(re.search(_AT_MOST, comparison) or re.search(_POST_MAX, comparison))
                predicate = Predicate(
                    field=f.name, op="<=" if at_most != flip else ">=", value=value
                )
            _add(predicate, schema, reading)
            work = _blank(work, m.start(), m.end())
    return work


def _rescale(value: float, scale: str | None, unit: str, f: FieldProfile) -> tuple[float, str]:
    """Bring "8 out of 10" or "4 stars" onto the field's own scale; say when it cannot be."""
    if f.unit != "score":
        return value, ""
    own = score_scale(f)
    if scale:
        out_of = float(scale)
        if out_of <= 0 or value > out_of or value < 0:
            return value, f"{value:g} out of {out_of:g} is not a rating"
        return value * own / out_of, ""
    if unit.startswith("star") and own == 10.0 and value <= 5:
        return value * 2, ""
    if unit == "%":
        return value * own / 100, ""
    return value, ""


def _add(predicate: Predicate, schema: CatalogSchema, reading: FieldReading) -> None:
    try:
        reading.predicates.append(validate(predicate, schema))
    except PredicateError as e:
        reading.problems.append(str(e))


def _fields_of_kinds(
    schema: CatalogSchema, kinds: Sequence[str], window: str
) -> FieldProfile | None:
    fields = [f for f in schema.of_kind("numeric") if f.unit in kinds]
    return _named_field(window, fields) or (fields[0] if fields else None)


def _read_relative(
    work: str,
    schema: CatalogSchema,
    dataset: Dataset,
    reference: Sequence[int],
    reading: FieldReading,
) -> str:
    """'Like Dune but shorter': below the reference item's value of the field the word names."""
    for m in list(RELATIVE.finditer(work)):
        word = re.sub(r"\s+", " ", m.group("w")).replace(" rated", "-rated")
        word = "shorter" if word.startswith("quicker") else word
        kinds, op = _RELATIVE_KIND[word]
        f = _fields_of_kinds(schema, kinds, _near_words(work, m.start(), m.end()))
        if f is None:
            if len(kinds) == 1 or "minutes" in kinds:
                reading.unsupported.append(UNIT_NAMES[kinds[0]])
            work = _blank(work, m.start(), m.end())
            continue
        column = numeric_column(dataset, f.name)
        values = column[list(reference)] if reference else np.array([])
        values = values[~np.isnan(values)]
        if not len(values):
            values = column[~np.isnan(column)]
            bound = float(np.median(values)) if len(values) else None
        else:
            bound = float(values.min() if op == "<=" else values.max())
            step = 1.0 if float(bound).is_integer() else 0.01 * abs(bound)
            bound = bound - step if op == "<=" else bound + step
        if bound is not None:
            _add(Predicate(field=f.name, op=op, value=bound), schema, reading)  # type: ignore[arg-type]
        work = _blank(work, m.start(), m.end())
    return work


def _read_adjectives(
    work: str, schema: CatalogSchema, dataset: Dataset, reading: FieldReading
) -> str:
    """'A short book', 'something cheap': the field's lower or upper quartile."""
    for m in list(ADJECTIVES.finditer(work)):
        word = m.group("w").replace(" ", "-")
        kinds, side = _ADJECTIVE_KIND[word]
        f = _fields_of_kinds(schema, kinds, _near_words(work, m.start(), m.end()))
        if f is None:
            continue  # "a long weekend": without such a field the word is just a word
        column = numeric_column(dataset, f.name)
        known = column[~np.isnan(column)]
        if not len(known):
            continue
        if m.group("neg"):  # "not too long": at most the middle
            predicate = Predicate(
                field=f.name, op="<=" if side == "high" else ">=", value=float(np.median(known))
            )
        elif side == "low":
            predicate = Predicate(field=f.name, op="<=", value=float(np.quantile(known, 0.25)))
        else:
            predicate = Predicate(field=f.name, op=">=", value=float(np.quantile(known, 0.75)))
        _add(predicate, schema, reading)
        work = _blank(work, m.start(), m.end())
    return work


@dataclass(frozen=True)
class _ValueHit:
    start: int
    end: int
    field: FieldProfile
    value: str
    cued: bool


def _value_pattern(value: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[-\s]+", value.casefold()) if p]
    return r"[-\s]?".join(parts)


def _cue_words(f: FieldProfile) -> list[str]:
    words = list(f.words)
    for w in f.words:
        if w.endswith("ing"):
            words.append(w[:-3] + "ed")  # "rating" -> "rated"
        if w.endswith("s"):
            words.append(w[:-1])
    return [w for w in dict.fromkeys(words) if len(w) > 2]


def _needs_cue(value: str) -> bool:
    """Short values ("R", "PG") or everyday words ("New") count only next to their field's name."""
    from agentic_recsys.understanding.english import english_words

    v = value.casefold()
    return len(v) <= 3 or (v in english_words() and len(v) <= 5)


def _read_values(work: str, text: str, schema: CatalogSchema, reading: FieldReading) -> str:
    """Values the catalog knows ("PG-13", "Netflix", an author), with negation scope."""
    hits: list[_ValueHit] = []
    fields = [f for f in schema.of_kind("categorical", "list") if f.name != "genres"]
    for f in fields:
        cues = _cue_words(f)
        for value in f.values:
            if not value.strip():
                continue
            for m in re.finditer(rf"(?<![\w+-]){_value_pattern(value)}(?![\w+])", work):
                window = _near_words(work, m.start(), m.end())
                cued = any(re.search(rf"(?<!\w){re.escape(c)}", window) for c in cues)
                typed = len(text) == len(work) and text[m.start() : m.end()] == value
                hits.append(
                    _ValueHit(m.start(), m.end(), f, value, cued or typed and len(value) > 1)
                )
    hits = _longest_first(hits)
    accepted: list[_ValueHit] = []
    for h in sorted(hits, key=lambda h: h.start):
        chained = (
            accepted
            and accepted[-1].field == h.field
            and CHAIN.match(work[accepted[-1].end : h.start])
        )
        if h.cued or chained or not _needs_cue(h.value):
            accepted.append(h)
    work = _fuzzy_values(work, text, fields, accepted, reading)
    groups: dict[tuple[str, bool], list[_ValueHit]] = {}
    for h in accepted:
        groups.setdefault((h.field.name, _negated(work, h, accepted)), []).append(h)
    for (name, negated), group in groups.items():
        f = group[0].field
        values = list(dict.fromkeys(h.value for h in group))
        if f.kind == "categorical" and not negated and len(values) > 1 and _each_cued(work, group):
            reading.problems.append(
                f"an item has one {f.label}: {' and '.join(values)} cannot both hold"
            )
            continue
        op: Op = (
            ("not in" if negated else "in")
            if f.kind == "categorical"
            else ("not contains" if negated else "contains any")
        )
        _add(Predicate(field=name, op=op, value=tuple(values)), schema, reading)
    for h in accepted:
        work = _blank(work, h.start, h.end)
    return work


def _longest_first(hits: list[_ValueHit]) -> list[_ValueHit]:
    """Overlapping matches keep the longest ("Amazon Prime Video" over "Prime")."""
    kept: list[_ValueHit] = []
    for h in sorted(hits, key=lambda h: -(h.end - h.start)):
        if all(h.end <= k.start or h.start >= k.end for k in kept):
            kept.append(h)
    return kept


def _negated(work: str, hit: _ValueHit, accepted: Sequence[_ValueHit]) -> bool:
    """A negation earlier in the same clause, within a few words, rules the value out.

    A value chained to a negated one ("not on Netflix or Hulu") is negated with it.
    """
    before = work[max(0, hit.start - 40) : hit.start]
    clause = CLAUSE_BREAK.split(before)[-1]
    if NEGATION.search(clause[-30:]):
        return True
    previous = [a for a in accepted if a.end <= hit.start and a.field == hit.field]
    if previous and CHAIN.match(work[previous[-1].end : hit.start]):
        return _negated(work, previous[-1], accepted)
    return False


def _each_cued(work: str, group: Sequence[_ValueHit]) -> bool:
    """'rated G and rated R': each value said with its own field word, joined by 'and'."""
    joined = all(
        re.search(r"\band\b", work[a.end : b.start]) for a, b in zip(group, group[1:], strict=False)
    )
    return joined and all(
        any(
            re.search(rf"(?<![\w-]){re.escape(c)}\s*$", work[max(0, h.start - 12) : h.start])
            for c in _cue_words(h.field)
        )
        for h in group
    )


_CAPITALIZED_RUN = re.compile(r"(?<![\w'])[A-Z][\w+'-]{3,}(?:\s+[A-Z][\w+'-]+){0,3}")


def _fuzzy_values(
    work: str,
    text: str,
    fields: Sequence[FieldProfile],
    accepted: list[_ValueHit],
    reading: FieldReading,
) -> str:
    """A capitalised word close to a catalog value ("Netflux") is read as it, and said so."""
    if len(text) != len(work):
        return work
    vocabulary = {v: f for f in fields for v in f.values if len(v) >= 4 and not _needs_cue(v)}
    if not vocabulary:
        return work
    taken = [(h.start, h.end) for h in accepted]
    for m in _CAPITALIZED_RUN.finditer(text):
        if (
            m.start() == 0
            or not work[m.start() : m.end()].strip()
            or "_" in work[m.start() : m.end()]
        ):
            continue
        if any(m.start() < e and s < m.end() for s, e in taken):
            continue
        said = m.group()
        best = process.extractOne(
            said, list(vocabulary), scorer=fuzz.ratio, score_cutoff=FUZZY_VALUE
        )
        if best is None or best[0].casefold() == said.casefold():
            continue
        value = str(best[0])
        f = vocabulary[value]
        accepted.append(_ValueHit(m.start(), m.end(), f, value, True))
        reading.notes.append(f'read "{said}" as {value}')
    accepted.sort(key=lambda h: h.start)
    return work


def entity_surnames(names: Mapping[str, str]) -> dict[str, list[str]]:
    """Last one or two words of every entity's name -> the entities ("tolkien", "le guin")."""
    out: dict[str, list[str]] = {}
    for key, entity in names.items():
        words = key.split()
        for n in (1, 2):
            if len(words) > n:
                out.setdefault(" ".join(words[-n:]), []).append(entity)
    return out
