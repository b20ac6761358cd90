"""Hard filters as boolean masks over catalog rows (never Chroma `where`: 10-100x slower)."""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.errors import ArsError


class ItemFilter(BaseModel):
    """Constraints an item must meet to be shown at all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    genres_in: list[str] = Field(default_factory=list, description="any of these genres")
    genres_out: list[str] = Field(default_factory=list, description="none of these genres")
    year_min: int | None = None
    year_max: int | None = None
    title_words: list[str] = Field(
        default_factory=list, description="words every title must contain (any case)"
    )
    entities: list[str] = Field(
        default_factory=list, description="knowledge-graph entities every item is linked to"
    )
    fields: dict[str, str] = Field(
        default_factory=dict, description="catalog field -> required value (equality)"
    )

    def mask(self, dataset: Dataset) -> np.ndarray:
        """Return True for every catalog row that meets all constraints."""
        items = dataset.items
        keep = np.ones(len(items), dtype=bool)
        if self.genres_in:
            keep &= self._genre_columns(dataset, self.genres_in).any(axis=1)
        if self.genres_out:
            keep &= ~self._genre_columns(dataset, self.genres_out).any(axis=1)
        if self.year_min is not None:
            keep &= items.years >= self.year_min
        if self.year_max is not None:
            keep &= (items.years <= self.year_max) & (items.years > 0)
        for word in self.title_words:
            pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
            keep &= np.fromiter((bool(pattern.search(t)) for t in items.titles), bool, len(items))
        for entity in self.entities:
            linked = np.zeros(len(items), dtype=bool)
            linked[dataset.relations.rows_by_entity.get(entity, [])] = True
            keep &= linked
        for name, value in self.fields.items():
            keep &= np.asarray(_field(dataset, name), dtype=object) == value
        return keep

    @staticmethod
    def _genre_columns(dataset: Dataset, genres: list[str]) -> np.ndarray:
        by_name = {g.casefold(): j for j, g in enumerate(dataset.items.genre_vocab)}
        unknown = [g for g in genres if g.casefold() not in by_name]
        if unknown:
            raise ArsError(
                f"unknown genre(s) {', '.join(unknown)}; the catalog has: "
                f"{', '.join(dataset.items.genre_vocab)}"
            )
        return dataset.items.genre_matrix[:, [by_name[g.casefold()] for g in genres]]


def _field(dataset: Dataset, name: str) -> list[str]:
    items = dataset.items
    columns: dict[str, list[str]] = {
        "id": items.ids,
        "title": items.titles,
        "description": items.descriptions,
        **items.extra,
    }
    if name not in columns:
        raise ArsError(
            f"unknown catalog field '{name}'; filterable fields: {', '.join(sorted(columns))}"
        )
    return columns[name]
