"""Server mode end to end: a real `chroma run` on a free loopback port, stopped by its PID."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, running

from agentic_recsys.errors import ArsError
from agentic_recsys.memory import Episode, MemoryStore
from agentic_recsys.understanding.schema import Feedback, Preference

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server of this test's own, up until the module's tests are done."""
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [
        str(CHROMA),
        "run",
        "--path",
        str(data / "db"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running(command, f"{url}/api/v2/heartbeat", data / "server.log", timeout=60):
        yield url


def test_memory_through_a_chroma_server(chroma_url: str) -> None:
    writer = MemoryStore.open(url=chroma_url)
    writer.remember_turn(
        "ann",
        preferences=[Preference(key="genre:Horror", polarity="avoid", text="no horror")],
        feedback=[Feedback(item="1", verdict="liked")],
        episode=Episode(asked="a funny film", shown=["1"], chosen=["1"]),
        titles={"1": "Toy Story (1995)"},
    )
    writer.remember_turn("ben", episode=Episode(asked="westerns"))

    reader = MemoryStore.open(url=chroma_url)  # another client, as another process would be
    recall = reader.recall("ann", "comedy", k=3)
    assert [(p.key, p.polarity) for p in recall.preferences] == [("genre:Horror", "avoid")]
    assert recall.feedback == {"1": "liked"}
    assert recall.summary == "Avoids Horror; liked Toy Story (1995)"
    assert {m.kind for m in recall.memories} == {"preference", "feedback", "episode"}
    assert "westerns" not in repr(reader.export("ann"))

    reader.remember_turn(
        "ann",
        preferences=[Preference(key="genre:Horror", polarity="like", text="horror is fine now")],
    )
    assert writer.preferences("ann")[0].polarity == "like"

    assert reader.delete("ann") == 4
    assert writer.show("ann") == []  # its cached handle is stale: read as nothing
    writer.remember_turn("ann", episode=Episode(asked="again"))  # and written afresh
    assert [m.kind for m in reader.show("ann")] == ["profile", "episode"]
    assert reader.show("ben")[1].data["asked"] == "westerns"


def test_environment_variable_selects_the_server(
    chroma_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARS_CHROMA_URL", chroma_url)
    MemoryStore.open(tmp_path / "unused").remember_turn("cal", episode=Episode(asked="hi"))
    assert not (tmp_path / "unused").exists()
    assert MemoryStore.open(url=chroma_url).show("cal")[1].data["asked"] == "hi"


def test_an_unreachable_server_is_one_clear_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ArsError, match="cannot reach the Chroma server") as error:
        MemoryStore.open(url=url)
    assert url in str(error.value) and "\n" not in str(error.value)
