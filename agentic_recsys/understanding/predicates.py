"""Hard constraints as typed predicates `{field, op, value}` over the catalog's own fields.

A predicate is validated against the catalog's schema before it is used (the field
exists, the operator suits its kind, the value is one the catalog has or a number in a
sane range), so one from an LLM is checked like one from the readers. Masks are numpy
arrays over catalog rows, never Chroma `where` filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.fields import (
    LIST_SPLIT,
    RELATED,
    CatalogSchema,
    FieldProfile,
    parse_number,
)

Op = Literal[
    "==", "in", "not in", "contains", "contains any", "not contains", "<=", ">=", "between"
]
NUMERIC_OPS = ("<=", ">=", "between")
VALUE_OPS = ("==", "in", "not in", "contains", "contains any", "not contains")
NEGATIVE_OPS = ("not in", "not contains")


class Predicate(BaseModel):
    """One hard constraint an item must meet."""

    model_config = ConfigDict(frozen=True)

    field: str
    op: Op
    value: float | str | tuple[str, ...] | tuple[float, ...]  # tuples: predicates are hashable

    @property
    def values(self) -> list[str]:
        """The value(s) of a value predicate, as a list of strings."""
        return [str(v) for v in self.value] if isinstance(self.value, tuple) else [str(self.value)]

    @property
    def bounds(self) -> tuple[float, float]:
        """The (low, high) a numeric predicate allows."""
        v = self.value
        if self.op == "between" and isinstance(v, tuple) and len(v) == 2:
            return float(v[0]), float(v[1])
        number = float(v) if isinstance(v, int | float) else float("nan")
        return (-np.inf, number) if self.op == "<=" else (number, np.inf)

    @property
    def negative(self) -> bool:
        """Whether it rules values out ("not on Netflix") rather than in."""
        return self.op in NEGATIVE_OPS


class PredicateError(ValueError):
    """A predicate the catalog cannot serve; the message says why, for the user."""


def validate(p: Predicate, schema: CatalogSchema) -> Predicate:
    """Return `p` with its field and values in the catalog's spelling, or raise PredicateError."""
    f = schema.field(p.field)
    if f is None:
        names = ", ".join(x.label for x in schema.fields)
        raise PredicateError(f"this catalog has no field '{p.field}' (it has {names})")
    if f.kind == "numeric":
        if p.op not in NUMERIC_OPS:
            raise PredicateError(f"{f.label} is a number: it can be at most, at least or between")
        low, high = p.bounds
        if np.isnan(low) or np.isnan(high) or low > high:
            raise PredicateError(f"{f.label} cannot be {describe_bounds(f, low, high)}")
        finite = [x for x in (low, high) if np.isfinite(x)]
        if f.unit in ("minutes", "pages", "price", "score") and min(finite) < 0:
            raise PredicateError(f"{f.label} cannot be {describe_bounds(f, low, high)}")
        scale = score_scale(f)
        if scale and max(finite) > scale:
            raise PredicateError(f"{f.label} goes up to {scale:g} in this catalog")
        return p.model_copy(update={"field": f.name})
    if p.op in NUMERIC_OPS:
        raise PredicateError(f"{f.label} is not a number")
    if f.kind in ("relation", "text"):
        return p.model_copy(update={"field": f.name})
    spelled = {v.casefold(): v for v in f.values}
    unknown = [v for v in p.values if v.casefold() not in spelled]
    if unknown:
        raise PredicateError(
            f"no {f.label} {' or '.join(repr(u) for u in unknown)} in this catalog "
            f"(it has {', '.join(f.values[:8])}{'...' if len(f.values) > 8 else ''})"
        )
    values = [spelled[v.casefold()] for v in p.values]
    return p.model_copy(update={"field": f.name, "value": tuple(values)})


def score_scale(f: FieldProfile) -> float:
    """The top of a score field's scale (5, 10 or 100), or 0 for other fields."""
    if f.unit != "score" or f.high is None:
        return 0.0
    return 5.0 if f.high <= 5 else 10.0 if f.high <= 10 else 100.0


def mask(predicates: Sequence[Predicate], dataset: Dataset) -> np.ndarray:
    """True for every catalog row that meets all predicates."""
    keep = np.ones(len(dataset.items), dtype=bool)
    for p in predicates:
        keep &= predicate_mask(p, dataset)
    return keep


def predicate_mask(p: Predicate, dataset: Dataset) -> np.ndarray:
    """True for the rows that meet one predicate; an unknown value never meets a wish for one."""
    if p.op in NUMERIC_OPS:
        column = numeric_column(dataset, p.field)
        low, high = p.bounds
        return (column >= low) & (column <= high)  # NaN (unknown) compares False
    wanted = {v.casefold() for v in p.values}
    sets = value_sets(dataset, p.field)
    hit = np.fromiter((bool(s & wanted) for s in sets), dtype=bool, count=len(sets))
    if p.op == "contains" and len(wanted) > 1:  # every one of them
        hit = np.fromiter((wanted <= s for s in sets), dtype=bool, count=len(sets))
    return ~hit if p.negative else hit


def numeric_column(dataset: Dataset, name: str) -> np.ndarray:
    """A numeric field as float64, NaN where unknown (parsed once per dataset)."""
    cache = dataset.parsed.setdefault("numeric", {})
    if name not in cache:
        items = dataset.items
        if name == "year":
            cache[name] = np.where(items.years > 0, items.years, np.nan).astype(np.float64)
        else:
            raw = items.extra.get(name, [""] * len(items))
            parsed = [parse_number(v)[0] if v else None for v in raw]
            cache[name] = np.array([np.nan if v is None else v for v in parsed], dtype=np.float64)
    return cache[name]


def value_sets(dataset: Dataset, name: str) -> list[frozenset[str]]:
    """Each row's values of a categorical, list, relation or text field, casefolded."""
    cache = dataset.parsed.setdefault("sets", {})
    if name not in cache:
        cache[name] = _read_sets(dataset, name)
    result: list[frozenset[str]] = cache[name]
    return result


def _read_sets(dataset: Dataset, name: str) -> list[frozenset[str]]:
    items = dataset.items
    if name == "genres":
        return [frozenset(g.casefold() for g in gs) for gs in items.genres]
    if name == "title":
        return [frozenset(t.casefold().split()) for t in items.titles]
    if name in items.extra:
        return [
            frozenset(p.casefold() for p in LIST_SPLIT.split(v.strip()) if p)
            for v in items.extra[name]
        ]
    rows: list[set[str]] = [set() for _ in range(len(items))]
    rel = dataset.relations
    for row, relation, entity in zip(rel.items.tolist(), rel.relations, rel.entities, strict=True):
        if name == RELATED or relation.rsplit(".", 1)[-1] == name:
            rows[row].add(entity.casefold())
    return [frozenset(r) for r in rows]


def describe(p: Predicate, schema: CatalogSchema) -> str:
    """The predicate in words, for headings and explanations ("runtime at most 120 minutes")."""
    f = schema.field(p.field)
    label = f.label if f else p.field
    if p.op in NUMERIC_OPS:
        low, high = p.bounds
        bounds = describe_bounds(f, low, high)
        return bounds if f is not None and f.label == f.unit else f"{label} {bounds}"  # pages
    values = " or ".join(p.values) if p.op != "contains" else " and ".join(p.values)
    if f is not None and f.kind == "text" and not p.negative:  # "'Alone' in the title"
        return f"{' and '.join(repr(v) for v in p.values)} in the {label}"
    if p.negative:
        return f"no {values}" if f is None or f.kind == "list" else f"{label} not {values}"
    return f"{label} {values}"


def describe_bounds(f: FieldProfile | None, low: float, high: float) -> str:
    """'at most 120 minutes', 'at least 7', 'from 90 to 120 minutes'."""
    if low == -np.inf:
        return f"at most {number_text(f, high)}"
    if high == np.inf:
        return f"at least {number_text(f, low)}"
    return f"from {number_text(f, low, unit=False)} to {number_text(f, high)}"


def number_text(f: FieldProfile | None, value: float, unit: bool = True) -> str:
    """A number as the field's unit writes it: '$20', '120 minutes', '7.5'."""
    shown = f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
    kind = f.unit if f else None
    if kind == "price":
        return f"${value:,.2f}".replace(".00", "")
    if unit and kind in ("minutes", "pages"):
        return f"{shown} {kind}"
    return shown


def met_by(predicates: Sequence[Predicate], dataset: Dataset, row: int) -> list[Predicate]:
    """The positive predicates item `row` meets (what an explanation may cite)."""
    return [p for p in predicates if not p.negative and predicate_mask(p, dataset)[row]]
