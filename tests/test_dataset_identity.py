"""Memory is keyed by a dataset's identity (a UUID in dataset.json), not by its name.

Found by hand: two catalogs on one Chroma server shared users' memory when their names
matched (two MovieLens-100K preparations both called "MovieLens-100K"), and
`"relations_trusted": "false"` in dataset.json read as true.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, running

from agentic_recsys.data.dataset import (
    META_FILE,
    Dataset,
    InteractionRecord,
    ItemRecord,
    write_dataset,
)
from agentic_recsys.errors import DataError
from agentic_recsys.memory import MemoryStore
from agentic_recsys.memory.chroma import collection_name
from agentic_recsys.understanding.schema import Preference

CHROMA = Path(sys.executable).with_name("chroma")
ITEMS = [ItemRecord(id="1", title="Toy Story", year=1995, genres=("Animation",))]
EVENTS = [InteractionRecord(user="u", item="1")]
AVOID_HORROR = Preference(key="genre:Horror", polarity="avoid", text="no horror")


def catalog(folder: Path, name: str = "films") -> Dataset:
    return Dataset.open(write_dataset(folder, name, ITEMS, EVENTS))


def meta_of(folder: Path) -> dict[str, object]:
    return dict(json.loads((folder / META_FILE).read_text()))


def drop_id(folder: Path) -> None:
    """Make the folder look like one written before identities existed."""
    meta = meta_of(folder)
    del meta["id"]
    (folder / META_FILE).write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-identity")
    url = f"http://127.0.0.1:{port}"
    command = [str(CHROMA), "run", "--path", str(data / "db"), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with running(command, f"{url}/api/v2/heartbeat", data / "server.log", timeout=60):
        yield url


@pytest.mark.slow
def test_two_catalogs_of_one_name_on_one_server_never_share_memory(
    tmp_path: Path, chroma_url: str
) -> None:
    first, second = catalog(tmp_path / "a" / "ml-100k"), catalog(tmp_path / "b" / "ml-100k")
    assert first.name == second.name and first.uid != second.uid
    MemoryStore.for_dataset(first, chroma_url).remember_turn("ann", preferences=[AVOID_HORROR])
    assert MemoryStore.for_dataset(first, chroma_url).preferences("ann")
    assert MemoryStore.for_dataset(second, chroma_url).preferences("ann") == []
    assert MemoryStore.for_dataset(second, chroma_url).show("ann") == []


def test_a_reimport_keeps_the_identity_a_new_folder_gets_its_own(tmp_path: Path) -> None:
    first = catalog(tmp_path / "films")
    assert str(uuid.UUID(first.uid)) == first.uid
    MemoryStore.for_dataset(first).remember_turn("ann", preferences=[AVOID_HORROR])
    again = catalog(tmp_path / "films")  # the same folder, imported again
    assert again.uid == first.uid
    assert MemoryStore.for_dataset(again).preferences("ann")
    assert catalog(tmp_path / "other").uid != first.uid


def test_memory_kept_by_name_moves_to_the_identity(tmp_path: Path) -> None:
    dataset = catalog(tmp_path / "films")
    drop_id(dataset.path)
    before = MemoryStore.for_dataset(dataset)  # as the store was: keyed by the name
    before.namespace, before.former_namespace = dataset.name, None
    before.remember_turn("ann", preferences=[AVOID_HORROR])

    opened = Dataset.open(dataset.path)
    assert opened.uid and meta_of(dataset.path)["id"] == opened.uid  # written, once
    store = MemoryStore.for_dataset(opened)
    assert [p.key for p in store.preferences("ann")] == ["genre:Horror"]
    assert store.space.find(collection_name("ann", dataset.name)) is None  # moved, not copied
    assert store.space.find(collection_name("ann", opened.uid)) is not None
    assert Dataset.open(dataset.path).uid == opened.uid


def _open_uid(folder: str) -> str:
    return Dataset.open(folder).uid


def test_processes_opening_an_old_folder_at_once_agree_on_its_identity(tmp_path: Path) -> None:
    dataset = catalog(tmp_path / "films")
    drop_id(dataset.path)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        uids = pool.map(_open_uid, [str(dataset.path)] * 8)
    assert len(set(uids)) == 1 and uids[0] == meta_of(dataset.path)["id"]


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("relations_trusted", "false", "'relations_trusted' must be a JSON boolean"),
        ("relations_trusted", 0, "'relations_trusted' must be a JSON boolean"),
        ("format", "1", "'format' must be a JSON integer"),
        ("format", True, "'format' must be a JSON integer"),
        ("name", 7, "'name' must be a JSON string"),
        ("name", None, "'name' must be a JSON string"),
        ("id", 5, "'id' must be a JSON string"),
        ("id", "not-a-uuid", "'id' must be a UUID"),
    ],
)
def test_dataset_json_is_read_strictly(tmp_path: Path, key: str, value: object, says: str) -> None:
    folder = catalog(tmp_path / "films").path
    meta = meta_of(folder)
    meta[key] = value
    (folder / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(DataError, match=says) as e:
        Dataset.open(folder)
    assert "\n" not in str(e.value) and str(folder / META_FILE) in str(e.value)


def test_dataset_json_that_is_not_an_object(tmp_path: Path) -> None:
    folder = catalog(tmp_path / "films").path
    (folder / META_FILE).write_text("[1, 2]")
    with pytest.raises(DataError, match="must be a JSON object"):
        Dataset.open(folder)
