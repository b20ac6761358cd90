"""What a catalog's fields hold, read off the data itself: the schema understanding works over.

Every item field is profiled once (at import, stored in `dataset.json`; folders written
before that are profiled on open): numeric (range and a unit guessed from the name and
the values), categorical (its values), list-valued (its values), free text, and the
relation types of the knowledge graph (a name column such as `author` or `brand` is
imported as relations: see `is_name_column`). Constraints are predicates over these fields, so
"no longer than 120 minutes" or "books by Le Guin" work for any catalog that has them.
The profile also carries the domain's words (movie/watched, book/read) for every reply.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

FieldKind = Literal["numeric", "categorical", "list", "text", "relation"]
Unit = Literal["minutes", "pages", "price", "score", "year", "count"]

MAX_VALUES = 400  # a categorical or list field with more distinct values is free text
LIST_SPLIT = re.compile(r"\s*[|;]\s*")
NUMBER = re.compile(r"^[^\d\-+.]{0,3}\s*([-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+)\s*([^\d\s]{0,12})$")
RELATED = "related"  # the pseudo-field of every relation an item has
# A column whose header ends in one of these names who made or sells an item: the importer
# reads its values as relations (item, column, name), like a relations file's rows.
NAME_FIELDS = frozenset(
    {
        *("author", "authors", "writer", "writers", "creator", "creators", "editor"),
        *("director", "directors", "cast", "actor", "actors", "stars", "starring"),
        *("artist", "artists", "composer", "illustrator", "narrator"),
        *("brand", "manufacturer", "maker", "publisher", "developer", "developers", "studio"),
    }
)
MAX_NAME_LENGTH = 40  # a median value longer than this is prose, not a name

# Words a user says about a quantity of each kind; the field's own name is always added.
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "minutes": (
        "minutes",
        "minute",
        "mins",
        "min",
        "hours",
        "hour",
        "hrs",
        "runtime",
        "long",
        "short",
        "length",
        "duration",
        "running time",
    ),
    "pages": ("pages", "page", "long", "short", "length"),
    "price": (
        "price",
        "cost",
        "costs",
        "dollars",
        "bucks",
        "euros",
        "cheap",
        "expensive",
        "under $",
        "$",
        "€",
        "£",
    ),
    "score": ("rated", "rating", "ratings", "score", "stars", "star", "points"),
    "year": ("year", "released", "from"),
    "count": (),
}
_NAME_UNITS: tuple[tuple[str, Unit], ...] = (
    (r"runtime|duration|length|minutes|mins|running", "minutes"),
    (r"pages?|page_?count|num_?pages", "pages"),
    (r"price|cost|usd|eur|gbp|msrp", "price"),
    (r"rating|score|stars|imdb|votes_?avg|metacritic", "score"),
    (r"year", "year"),
)
_SUFFIX_UNITS: dict[str, Unit] = {
    "min": "minutes",
    "mins": "minutes",
    "minutes": "minutes",
    "m": "minutes",
    "pages": "pages",
    "p": "pages",
    "pp": "pages",
    "/10": "score",
    "/5": "score",
    "%": "score",
}


class FieldProfile(BaseModel):
    """One field of the catalog, as understanding sees it."""

    name: str
    kind: FieldKind
    unit: Unit | None = None
    low: float | None = None  # numeric range
    high: float | None = None
    values: list[str] = Field(default_factory=list)  # categorical / list vocabulary, by frequency
    relation: str = ""  # for kind "relation": the relation type as stored ("film.film.director")
    words: list[str] = Field(default_factory=list)  # how a user names it ("runtime", "long")

    @property
    def label(self) -> str:
        """The field's name as a reader would say it ("content rating")."""
        return split_name(self.name)


class Domain(BaseModel):
    """The words of the catalog's domain, used in every reply and question."""

    model_config = ConfigDict(frozen=True)

    noun: str = "item"
    plural: str = "items"
    verb: str = "chose"  # past tense: "people who watched X also watched it"
    verb_base: str = "choose"  # "what would you like to watch?"

    @property
    def seen(self) -> str:
        """How one says an item was had already: "seen" a movie (or an item), "read" a book."""
        return "seen" if self.verb in ("watched", "chose") else self.verb


class CatalogSchema(BaseModel):
    """Every field's profile, and the domain's words."""

    fields: list[FieldProfile] = Field(default_factory=list)
    domain: Domain = Field(default_factory=Domain)

    def field(self, name: str) -> FieldProfile | None:
        """The profile of `name` (case-insensitive), or None."""
        key = name.casefold()
        return next((f for f in self.fields if f.name.casefold() == key), None)

    def of_kind(self, *kinds: FieldKind) -> list[FieldProfile]:
        """The fields of the given kinds, in catalog order."""
        return [f for f in self.fields if f.kind in kinds]


DOMAINS: dict[str, Domain] = {
    "movie": Domain(noun="movie", plural="movies", verb="watched", verb_base="watch"),
    "book": Domain(noun="book", plural="books", verb="read", verb_base="read"),
    "product": Domain(noun="product", plural="products", verb="bought", verb_base="buy"),
    "game": Domain(noun="game", plural="games", verb="played", verb_base="play"),
    "item": Domain(),
}


def profile_catalog(
    titles: Sequence[str],
    years: np.ndarray,
    genres: Sequence[tuple[str, ...]],
    extra: dict[str, list[str]],
    relations: Sequence[str] = (),
    domain: str = "",
) -> CatalogSchema:
    """Profile a catalog's columns; `domain` ("movie", "book", ...) overrides the guess."""
    fields: list[FieldProfile] = [FieldProfile(name="title", kind="text", words=["title"])]
    known = years[years > 0]
    if len(known):
        fields.append(
            FieldProfile(
                name="year",
                kind="numeric",
                unit="year",
                low=float(known.min()),
                high=float(known.max()),
                words=["year", "released"],
            )
        )
    vocab = Counter(g for gs in genres for g in gs)
    if vocab:
        fields.append(
            FieldProfile(
                name="genres",
                kind="list",
                values=[g for g, _ in vocab.most_common()],
                words=["genre", "genres", "kind"],
            )
        )
    fields.extend(profile_column(name, values) for name, values in extra.items())
    if len(relations):  # any relation at all: "with Michael Mann" when no cue names one
        fields.append(FieldProfile(name=RELATED, kind="relation", relation="*"))
    for relation, _ in Counter(relations).most_common():
        short = relation.rsplit(".", 1)[-1]
        fields.append(
            FieldProfile(name=short, kind="relation", relation=relation, words=name_words(short))
        )
    return CatalogSchema(fields=fields, domain=DOMAINS.get(domain) or guess_domain(fields))


def profile_column(name: str, values: Sequence[str]) -> FieldProfile:
    """Profile one metadata column stored as text: numeric, categorical, list, or free text."""
    filled = [v.strip() for v in values if v and v.strip()]
    words = name_words(name)
    if not filled:
        return FieldProfile(name=name, kind="text", words=words)
    numbers = [parse_number(v) for v in filled]
    parsed = [n for n, _ in numbers if n is not None]
    if len(parsed) >= 0.9 * len(filled):
        suffixes = Counter(s for n, s in numbers if n is not None and s)
        unit = guess_unit(name, suffixes.most_common(1)[0][0] if suffixes else "", filled)
        return FieldProfile(
            name=name,
            kind="numeric",
            unit=unit,
            low=min(parsed),
            high=max(parsed),
            words=list(dict.fromkeys([*words, *UNIT_WORDS.get(unit or "count", ())])),
        )
    split = [tuple(p for p in LIST_SPLIT.split(v) if p) for v in filled]
    if sum(len(s) > 1 for s in split) >= 0.1 * len(filled):
        tokens = Counter(t for s in split for t in s)
        if len(tokens) <= MAX_VALUES:
            return FieldProfile(
                name=name, kind="list", values=[t for t, _ in tokens.most_common()], words=words
            )
    distinct = Counter(filled)
    short = np.median([len(v) for v in filled]) <= 40
    if short and len(distinct) <= min(MAX_VALUES, max(12, len(filled) // 4)):
        return FieldProfile(
            name=name,
            kind="categorical",
            values=[v for v, _ in distinct.most_common()],
            words=words,
        )
    return FieldProfile(name=name, kind="text", words=words)


def is_name_column(name: str, values: Sequence[str]) -> bool:
    """Whether a column names people or makers (author, brand, cast: `NAME_FIELDS`).

    Its header's last word says so (`author`, `book_brand`; not `author_id`, `cast_size`)
    and its values are short names, not numbers or prose.

    The header decides, not the look of the values: a language or a country is written
    like a name too, and "books by English" would be nonsense.
    """
    words = split_name(name).split()
    if not words or words[-1] not in NAME_FIELDS:
        return False
    parts = [p for v in values for p in LIST_SPLIT.split(v.strip()) if p]
    if not parts:
        return False
    numbers = sum(parse_number(p)[0] is not None for p in parts)
    short = np.median([len(p) for p in parts]) <= MAX_NAME_LENGTH
    return bool(short) and numbers < len(parts) / 2


def parse_number(text: str) -> tuple[float | None, str]:
    """A number and the unit written after it: "$19.99" -> 19.99, "142 min" -> (142, "min")."""
    m = NUMBER.match(text.strip())
    if not m:
        return None, ""
    try:
        return float(m.group(1).replace(",", "")), m.group(2).casefold()
    except ValueError:
        return None, ""


def guess_unit(name: str, suffix: str, values: Sequence[str]) -> Unit | None:
    """The kind of quantity, from the field's name, then the unit written after its values."""
    key = name.casefold()
    for pattern, unit in _NAME_UNITS:
        if re.search(pattern, key):
            return unit
    if suffix in _SUFFIX_UNITS:
        return _SUFFIX_UNITS[suffix]
    if any(v.lstrip().startswith(("$", "€", "£")) for v in values[:50]):
        return "price"
    return None


def guess_domain(fields: Sequence[FieldProfile]) -> Domain:
    """Books have pages or authors, products prices or brands, movies runtimes or directors."""
    names = {f.name.casefold() for f in fields} | {f.unit or "" for f in fields}
    for domain, marks in (
        ("book", {"pages", "author", "authors", "isbn", "publisher"}),
        ("movie", {"minutes", "director", "cast", "actor", "runtime", "film.film.director"}),
        ("game", {"platform", "platforms", "developer"}),
        ("product", {"price", "brand", "sku"}),
    ):
        if names & marks:
            return DOMAINS[domain]
    return DOMAINS["item"]


def split_name(name: str) -> str:
    """'content_rating' / 'contentRating' -> 'content rating'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return " ".join(re.split(r"[_\-.\s]+", spaced)).strip().casefold()


def name_words(name: str) -> list[str]:
    """Ways a user names a field: its spaced name, and each word of it ("content", "rating")."""
    spaced = split_name(name)
    parts = [w for w in spaced.split() if len(w) > 2]
    return list(dict.fromkeys([spaced, *parts]))
