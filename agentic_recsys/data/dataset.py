"""A prepared dataset folder: the catalog, the interactions and the item relations.

One folder per dataset, opened by path. It is written once, atomically (a temporary
folder renamed into place), and read many times; everything derived from it (indexes,
conversations, memory) lives in sub-folders and is keyed by the dataset's fingerprint.
Its identity, a UUID in `dataset.json`, keys what lives outside the folder (memory on a
shared Chroma server): two catalogs never share it, whatever their names, and a
re-import into the same folder keeps it, as it keeps the folder's conversations and memory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import sparse

from agentic_recsys.data.fields import CatalogSchema, profile_catalog
from agentic_recsys.data.placeholders import usable_rows
from agentic_recsys.errors import DataError

FORMAT_VERSION = 1
ITEMS_FILE = "items.parquet"
INTERACTIONS_FILE = "interactions.parquet"
RELATIONS_FILE = "relations.parquet"
META_FILE = "dataset.json"
STATE_DIR = "state"  # conversations and memory: kept when a dataset is replaced
INDEX_DIR = "index"  # derived from the data: rebuilt when the fingerprint changes


@dataclass
class Items:
    """The catalog, column-wise: row i of every field describes item i."""

    ids: list[str]
    titles: list[str]
    years: np.ndarray  # int32, 0 where unknown
    genres: list[tuple[str, ...]]
    descriptions: list[str]
    images: list[str]
    extra: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def index(self) -> dict[str, int]:
        """Item id -> row."""
        return {item_id: i for i, item_id in enumerate(self.ids)}

    @cached_property
    def usable(self) -> np.ndarray:
        """Rows that may be recommended: all but placeholders (see `data.placeholders`)."""
        return usable_rows(self.titles, self.years, self.genres, self.descriptions, self.extra)

    @cached_property
    def genre_vocab(self) -> list[str]:
        """Every genre in the catalog, sorted."""
        return sorted({g for gs in self.genres for g in gs})

    @cached_property
    def genre_matrix(self) -> np.ndarray:
        """Boolean (items x genres) matrix, for hard filters as masks."""
        col = {g: j for j, g in enumerate(self.genre_vocab)}
        m = np.zeros((len(self), len(col)), dtype=bool)
        for i, gs in enumerate(self.genres):
            for g in gs:
                m[i, col[g]] = True
        return m

    def text(self, i: int) -> str:
        """Describe item i in words, for semantic search."""
        parts = [self.titles[i] + (f" ({self.years[i]})" if self.years[i] else "")]
        if self.genres[i]:
            parts.append("Genres: " + ", ".join(self.genres[i]))
        if self.descriptions[i]:
            parts.append(self.descriptions[i])
        return ". ".join(parts)

    def label(self, i: int) -> str:
        """Title with year, as a user sees it."""
        return self.titles[i] + (f" ({self.years[i]})" if self.years[i] else "")


@dataclass
class Interactions:
    """User-item events as parallel arrays over user and item rows."""

    user_ids: list[str]
    users: np.ndarray  # int32 row into user_ids
    items: np.ndarray  # int32 row into the catalog
    ratings: np.ndarray  # float32
    timestamps: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.users)

    @cached_property
    def user_index(self) -> dict[str, int]:
        """User id -> row."""
        return {u: i for i, u in enumerate(self.user_ids)}

    def matrix(self, n_items: int) -> sparse.csr_matrix:
        """Sparse users x items matrix of ones (implicit feedback); never densified."""
        data = np.ones(len(self), dtype=np.float32)
        m = sparse.csr_matrix((data, (self.users, self.items)), shape=(len(self.user_ids), n_items))
        m.sum_duplicates()
        m.data[:] = 1.0
        return m

    def subset(self, mask: np.ndarray) -> Interactions:
        """Keep the events where mask is true, with the same user and item rows."""
        return Interactions(
            self.user_ids,
            self.users[mask],
            self.items[mask],
            self.ratings[mask],
            self.timestamps[mask],
        )


@dataclass
class Relations:
    """Knowledge-graph edges from an item to an entity (director, actor, ...)."""

    items: np.ndarray  # int32 catalog row
    relations: list[str]
    entities: list[str]

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def rows_by_entity(self) -> dict[str, np.ndarray]:
        """Entity -> the catalog rows linked to it (built once, for filters and lookups)."""
        rows: dict[str, list[int]] = {}
        for row, entity in zip(self.items.tolist(), self.entities, strict=True):
            rows.setdefault(entity, []).append(row)
        return {e: np.unique(r) for e, r in rows.items()}


@dataclass
class Dataset:
    """A prepared dataset opened from its folder."""

    path: Path
    name: str
    items: Items
    interactions: Interactions
    relations: Relations
    fingerprint: str
    relations_trusted: bool = True  # False: rank with them, never state them as facts
    schema: CatalogSchema = field(default_factory=CatalogSchema)  # what each field holds
    # columns parsed for filtering (numbers, value sets), built on first use per field
    parsed: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    uid: str = ""  # the dataset's identity (a UUID), what memory outside the folder is keyed by

    @property
    def index_dir(self) -> Path:
        """Where engines keep what they build from this dataset."""
        return self.path / INDEX_DIR

    @property
    def state_dir(self) -> Path:
        """Where conversations and long-term memory are kept."""
        return self.path / STATE_DIR

    @classmethod
    def open(cls, path: Path | str) -> Dataset:
        """Open a prepared dataset folder; a clear DataError if it is not one."""
        path = Path(path)
        if not (path / META_FILE).is_file():
            problem = "is not a prepared dataset" if path.is_dir() else "does not exist"
            raise DataError(
                f"{problem}; prepare one with `ars data movielens-100k --out DIR` "
                "or `ars data import --items F --interactions F --out DIR`",
                path=path,
            )
        uid = assign_uid(path)
        try:
            meta = read_meta(path)
            items = _read_items(path / ITEMS_FILE)
            interactions = _read_interactions(path / INTERACTIONS_FILE, items.index)
            relations = _read_relations(path / RELATIONS_FILE, items.index)
            fingerprint = _fingerprint(path)
            schema = (
                CatalogSchema.model_validate(meta["schema"])
                if "schema" in meta
                else profile_items(items, relations)  # a folder written before schemas
            )
        except DataError:
            raise
        except Exception as e:  # a file edited or deleted by hand; pyarrow and json vary
            raise DataError(
                f"damaged dataset folder ({type(e).__name__}: {e}); prepare it again", path=path
            ) from None
        # Folders written before the flag existed got their relations only from the MovieLens
        # preparer, whose links are unverified: read them as such.
        trusted = meta.get("relations_trusted", False) is True  # checked to be a boolean
        name = str(meta["name"])
        return cls(
            path, name, items, interactions, relations, fingerprint, trusted, schema, uid=uid
        )

    def summary(self) -> dict[str, object]:
        """Count users, items and events, and list the top genres, for `ars data info`."""
        n_users, n_items = len(self.interactions.user_ids), len(self.items)
        counts = self.items.genre_matrix.sum(axis=0)
        top = sorted(
            zip(self.items.genre_vocab, counts.tolist(), strict=True), key=lambda x: -x[1]
        )[:8]
        density = len(self.interactions) / max(1, n_users * n_items)
        return {
            "name": self.name,
            "path": str(self.path),
            "users": n_users,
            "items": n_items,
            "interactions": len(self.interactions),
            "relations": len(self.relations)
            if self.relations_trusted or not len(self.relations)
            else f"{len(self.relations):,} (unverified: used for ranking, never cited)",
            "sparsity": round(1.0 - density, 6),
            "placeholders": int((~self.items.usable).sum()),  # rows never recommended
            "top_genres": dict(top),
        }


def profile_items(items: Items, relations: Relations, domain: str = "") -> CatalogSchema:
    """Profile the catalog's fields (see `data.fields`)."""
    return profile_catalog(
        items.titles, items.years, items.genres, items.extra, relations.relations, domain
    )


# dataset.json: each key's JSON type, and whether a folder may lack it
META_KEYS: dict[str, tuple[type, bool]] = {
    "format": (int, True),
    "name": (str, True),
    "relations_trusted": (bool, False),
    "id": (str, False),
    "schema": (dict, False),
}


def read_meta(path: Path) -> dict[str, object]:
    """Read `dataset.json` strictly: a wrong type is a DataError naming the key, never a guess.

    (`"relations_trusted": "false"` once read as true.)
    """
    meta_file = path / META_FILE
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"cannot be read ({type(e).__name__}: {e})", path=meta_file) from None
    if not isinstance(meta, dict):
        raise DataError("must be a JSON object", path=meta_file)
    for key, (kind, required) in META_KEYS.items():
        if key not in meta:
            if required:
                raise DataError(f"'{key}' is missing; prepare the dataset again", path=meta_file)
            continue
        value = meta[key]
        # bool is an int in Python: "format": true is as wrong as "relations_trusted": 1
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DataError(
                f"'{key}' must be a JSON {_JSON_TYPES[kind]}, not {json.dumps(value)[:40]}",
                path=meta_file,
            )
    if meta["format"] != FORMAT_VERSION:
        raise DataError(f"dataset format {meta['format']} is not supported", path=meta_file)
    if "id" in meta and not _is_uuid(meta["id"]):
        raise DataError(f"'id' must be a UUID, not {json.dumps(meta['id'])[:40]}", path=meta_file)
    return meta


_JSON_TYPES = {int: "integer", str: "string", bool: "boolean (true or false)", dict: "object"}


def _is_uuid(value: object) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def assign_uid(path: Path) -> str:
    """The dataset's identity; a folder from before identities gets one now, once.

    Processes opening the folder at the same time agree: the first writes the UUID (under
    a lock on the folder, the file replaced atomically), the others read it.
    """
    meta = read_meta(path)
    if "id" in meta:
        return str(meta["id"])
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            meta = read_meta(path)
            if "id" not in meta:
                meta["id"] = str(uuid.uuid4())
                _write_meta(path, meta)
        finally:
            os.close(fd)  # releases the lock
    except OSError as e:
        raise DataError(
            f"has no dataset id yet and cannot be given one ({e.strerror}); open it once "
            "with write access to the folder",
            path=path,
        ) from None
    return str(meta["id"])


def _write_meta(folder: Path, meta: Mapping[str, object]) -> None:
    tmp = folder / f".{META_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / META_FILE)


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    for name in (ITEMS_FILE, INTERACTIONS_FILE, RELATIONS_FILE):
        h.update((path / name).read_bytes())
    return h.hexdigest()[:16]


def _read_items(path: Path) -> Items:
    table = pq.read_table(path)
    cols = table.to_pydict()
    known = {"id", "title", "year", "genres", "description", "image"}
    return Items(
        ids=cols["id"],
        titles=cols["title"],
        years=np.asarray([y or 0 for y in cols["year"]], dtype=np.int32),
        genres=[tuple(g or ()) for g in cols["genres"]],
        descriptions=[d or "" for d in cols["description"]],
        images=[d or "" for d in cols["image"]],
        extra={k: [v or "" for v in vs] for k, vs in cols.items() if k not in known},
    )


def _read_interactions(path: Path, item_index: dict[str, int]) -> Interactions:
    table = pq.read_table(path)
    users = table.column("user").combine_chunks().dictionary_encode()
    items = table.column("item").to_pylist()
    return Interactions(
        user_ids=users.dictionary.to_pylist(),
        users=users.indices.to_numpy(zero_copy_only=False).astype(np.int32),
        items=np.fromiter((item_index[i] for i in items), dtype=np.int32, count=len(items)),
        ratings=table.column("rating").to_numpy().astype(np.float32),
        timestamps=table.column("timestamp").to_numpy().astype(np.float64),
    )


def _read_relations(path: Path, item_index: dict[str, int]) -> Relations:
    table = pq.read_table(path)
    items = table.column("item").to_pylist()
    return Relations(
        items=np.fromiter((item_index[i] for i in items), dtype=np.int32, count=len(items)),
        relations=table.column("relation").to_pylist(),
        entities=table.column("entity").to_pylist(),
    )


@dataclass
class ItemRecord:
    """One catalog row as read from a user's file."""

    id: str
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    description: str = ""
    image: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class InteractionRecord:
    """One user-item event as read from a user's file."""

    user: str
    item: str
    rating: float = 1.0
    timestamp: float = 0.0


def write_dataset(
    out: Path | str,
    name: str,
    items: Sequence[ItemRecord],
    interactions: Sequence[InteractionRecord],
    relations: Sequence[tuple[str, str, str]] = (),
    relations_trusted: bool = True,
    domain: str = "",
) -> Path:
    """Write a dataset folder atomically: `out` is either the complete new dataset or untouched.

    Conversations and memory (the `state/` sub-folder) of a dataset being replaced are kept.
    `relations_trusted=False` marks item relations that may rank but must not be cited;
    `domain` ("movie", "book", ...) sets the words replies use (guessed from the fields if "").
    """
    out = Path(out)
    extra_keys = sorted({k for it in items for k in it.extra})
    items_table = pa.table(
        {
            "id": [it.id for it in items],
            "title": [it.title for it in items],
            "year": pa.array([it.year for it in items], type=pa.int32()),
            "genres": pa.array([list(it.genres) for it in items], type=pa.list_(pa.string())),
            "description": [it.description for it in items],
            "image": [it.image for it in items],
            **{k: [it.extra.get(k, "") for it in items] for k in extra_keys},
        }
    )
    inter_table = pa.table(
        {
            "user": [r.user for r in interactions],
            "item": [r.item for r in interactions],
            "rating": pa.array([r.rating for r in interactions], type=pa.float32()),
            "timestamp": pa.array([r.timestamp for r in interactions], type=pa.float64()),
        }
    )
    rel_table = pa.table(
        {
            "item": pa.array([r[0] for r in relations], type=pa.string()),
            "relation": pa.array([r[1] for r in relations], type=pa.string()),
            "entity": pa.array([r[2] for r in relations], type=pa.string()),
        }
    )
    with _atomic_folder(out) as tmp:
        pq.write_table(items_table, tmp / ITEMS_FILE)
        pq.write_table(inter_table, tmp / INTERACTIONS_FILE)
        pq.write_table(rel_table, tmp / RELATIONS_FILE)
        schema = profile_catalog(
            [it.title for it in items],
            np.asarray([it.year or 0 for it in items], dtype=np.int32),
            [tuple(it.genres) for it in items],
            {k: [it.extra.get(k, "") for it in items] for k in extra_keys},
            [r[1] for r in relations],
            domain,
        )
        meta = {
            "format": FORMAT_VERSION,
            "name": name,
            "relations_trusted": relations_trusted,
            "schema": schema.model_dump(exclude_defaults=True),
            "id": _kept_uid(out) or str(uuid.uuid4()),
        }
        _write_meta(tmp, meta)
    return out


def _kept_uid(out: Path) -> str | None:
    """The identity of the dataset a re-import replaces: its conversations and memory stay."""
    try:
        meta = json.loads((out / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    uid = meta.get("id") if isinstance(meta, dict) else None
    return uid if _is_uuid(uid) else None


@contextmanager
def _atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success swap it into `out`, on failure remove it.

    `out` may be missing, empty, or a dataset folder; any other folder is refused, so that
    a mistyped `--out` never deletes a user's files.
    """
    out = out.resolve()
    if out.exists() and not (out / META_FILE).is_file() and not _empty_dir(out):
        raise DataError(
            "exists and is not a dataset folder; choose a new or empty folder", path=out
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        if (out / STATE_DIR).is_dir():
            shutil.copytree(out / STATE_DIR, tmp / STATE_DIR)
        _swap(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _swap(new: Path, out: Path) -> None:
    """Put `new` in the place of `out`; the old `out` is restored if the second rename fails."""
    if not out.exists():
        os.replace(new, out)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    try:
        os.replace(out, trash / out.name)
        try:
            os.replace(new, out)
        except OSError:
            os.replace(trash / out.name, out)
            raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)
