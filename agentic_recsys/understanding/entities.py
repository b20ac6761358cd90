"""Names of the catalog's knowledge-graph entities, found in a message in full or in part.

"by Le Guin" finds "Ursula K. Le Guin", "Tolkien" finds "J.R.R. Tolkien": the last one or
two words of a name stand for it, and when several entities share them the one linked to
the most items wins. The relation comes from the cue when it names one ("directed by" ->
director), else from the only relation the entity has, else any relation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.fields import RELATED, split_name
from agentic_recsys.understanding.predicates import Predicate

OPAQUE_ID = re.compile(r"[a-z]{1,2}\.[0-9a-z_]+|[0-9]+")  # Freebase's "m.0abc1", plain numbers
MIN_SURNAME = 3  # "Le Guin" -> "guin" is too loose alone, "le guin" is fine
# Cue words -> words a relation's name holds ("directed by" -> "director", "direct").
CUE_RELATIONS = {
    "directed": ("direct",),
    "written": ("writ", "author", "screenplay"),
    "produced": ("produc",),
    "starring": ("actor", "cast", "star"),
    "featuring": ("actor", "cast", "star", "feat"),
}


@dataclass
class EntityIndex:
    """Entity names (casefolded, in full and by last words) -> entities and their relations."""

    full: dict[str, str]
    partial: dict[str, list[str]]
    relations: dict[str, set[str]]  # entity -> short relation names linking it
    links: dict[str, int]  # entity -> how many items it is linked to

    @classmethod
    def of(cls, dataset: Dataset) -> EntityIndex:
        """Index the dataset's trusted relations whose entities are written as names."""
        full: dict[str, str] = {}
        relations: dict[str, set[str]] = {}
        if dataset.relations_trusted:
            rel = dataset.relations
            for relation, entity in zip(rel.relations, rel.entities, strict=True):
                if not OPAQUE_ID.fullmatch(entity):
                    full[entity.casefold()] = entity
                    relations.setdefault(entity, set()).add(relation.rsplit(".", 1)[-1])
        links = {
            e: len(rows) for e, rows in dataset.relations.rows_by_entity.items() if e in relations
        }
        partial: dict[str, list[str]] = {}
        for key, entity in full.items():
            words = key.split()
            for n in (1, 2):
                tail = " ".join(words[-n:])
                if len(words) > n and len(tail) >= MIN_SURNAME + n - 1:
                    partial.setdefault(tail, []).append(entity)
        return cls(full, partial, relations, links)

    def __bool__(self) -> bool:
        return bool(self.full)

    def names(self) -> dict[str, str]:
        """Casefolded full names -> entities as stored."""
        return self.full

    def lookup(self, words: Sequence[str], cue: str = "") -> tuple[int, Predicate] | None:
        """The longest run of leading words naming an entity: (words used, predicate)."""
        for n in range(len(words), 0, -1):
            key = " ".join(words[:n]).casefold().strip(".,!?;:")
            entity = self.full.get(key) or self._best(self.partial.get(key, []))
            if entity:
                return n, Predicate(field=self._relation(entity, cue), op="contains", value=entity)
        return None

    def _best(self, entities: list[str]) -> str | None:
        return max(entities, key=lambda e: self.links.get(e, 0)) if entities else None

    def _relation(self, entity: str, cue: str) -> str:
        linked = self.relations.get(entity, set())
        stems = CUE_RELATIONS.get(cue.split()[0].casefold(), ()) if cue else ()
        named = [r for r in sorted(linked) if any(s in split_name(r) for s in stems)]
        if named:
            return named[0]
        return next(iter(linked)) if len(linked) == 1 else RELATED
