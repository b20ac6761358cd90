"""Stored conversations stay bounded, take one message at a time, and can be listed and deleted.

Real turns through the graph (no LLM) on a private MovieLens-100K copy, a real SQLite
checkpointer, real `ars` processes for the CLI and for a second process on one thread.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys import threads
from agentic_recsys.app import THREADS_FILE, App
from agentic_recsys.errors import ArsError
from agentic_recsys.graphs.memory_steps import MAX_MESSAGE_CHARS
from agentic_recsys.turn import state
from agentic_recsys.understanding.schema import Preference

ARS = Path(sys.executable).with_name("ars")
REQUESTS = ["a funny 90s movie", "something darker", "none of those", "three thrillers"]


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def rows(app: App, thread_id: str) -> tuple[int, int, int]:
    """Checkpoints and writes stored for the thread, and the largest stored value in bytes."""
    with sqlite3.connect(app.dataset.state_dir / THREADS_FILE) as db:
        cps, biggest = db.execute(
            "SELECT count(*), max(length(checkpoint)) FROM checkpoints WHERE thread_id = ?",
            (thread_id,),
        ).fetchone()
        writes, value = db.execute(
            "SELECT count(*), coalesce(max(length(value)), 0) FROM writes WHERE thread_id = ?",
            (thread_id,),
        ).fetchone()
    return cps, writes, max(biggest, value)


def test_a_long_thread_keeps_a_window_of_messages_and_a_few_checkpoints(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "MAX_MESSAGES", 6)  # three turns, so the test stays short
    s = app.session(user_id="window")
    sizes = []
    for turn in range(12):
        s.send(REQUESTS[turn % len(REQUESTS)])
        sizes.append(rows(app, s.thread_id)[2])
    values = s.values()
    assert len(values["messages"]) == 6 and values["turns"] == 12
    assert values["messages"][-2].content == REQUESTS[11 % len(REQUESTS)]
    cps, writes, _ = rows(app, s.thread_id)
    assert cps == threads.KEEP_CHECKPOINTS and writes <= 8 * threads.KEEP_CHECKPOINTS
    assert max(sizes[8:]) < 1.5 * max(sizes[3:6])  # a checkpoint stops growing with the thread
    assert [t.turns for t in app.threads("window")] == [12]


def test_a_huge_message_is_cut_where_it_enters_and_the_reply_says_so(app: App) -> None:
    s = app.session(user_id="huge")
    message = "a comedy please " * 20_000  # 320 kB
    result = s.send(message)
    assert result.text.startswith(f"(Your message is longer than {MAX_MESSAGE_CHARS:,} characters")
    assert result.items  # the first 4,000 characters still ask for a comedy
    assert s.values()["message"] == message[:MAX_MESSAGE_CHARS]
    assert rows(app, s.thread_id)[2] < 50_000  # no stored value holds the raw message


def test_two_python_threads_sending_to_one_session_both_get_their_turn(app: App) -> None:
    s = app.session(user_id="twice")
    results, errors = [], []

    def send(message: str) -> None:
        try:
            results.append(s.send(message))
        except Exception as e:  # reported by the assertion below
            errors.append(e)

    workers = [threading.Thread(target=send, args=(m,)) for m in ("westerns", "horror films")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == [] and len(results) == 2
    values = s.values()
    assert values["turns"] == 2
    said = [m.content for m in values["messages"] if m.type == "human"]
    assert sorted(said) == ["horror films", "westerns"]


HOLD = """
import sys, time
from agentic_recsys import threads
from agentic_recsys.session import open_checkpointer
with threads.one_run(open_checkpointer(__import__("pathlib").Path(sys.argv[1])), sys.argv[2]):
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def test_a_thread_answering_in_another_process_makes_a_send_wait_then_refuse(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = app.session(user_id="busy")
    db = app.dataset.state_dir / THREADS_FILE
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), s.thread_id, "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(threads, "RUN_WAIT_S", 0.5)
        with pytest.raises(ArsError, match="still answering another message") as error:
            s.send("westerns")
        assert "\n" not in str(error.value)
        other = app.session(user_id="busy")  # another thread is not held up
        assert other.send("westerns").items
        monkeypatch.setattr(threads, "RUN_WAIT_S", 60.0)
        started = time.monotonic()
        assert s.send("westerns").items  # waits until the other process is done
        assert time.monotonic() - started > 0.1
    finally:
        holder.wait(timeout=30)


def ars_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ARS), *args], capture_output=True, text=True, timeout=300)


def test_threads_cli_lists_shows_and_deletes_only_that_users(app: App) -> None:
    data = str(app.dataset.path)
    mine = app.session(user_id="cli-ann")
    mine.send("a funny [bold]90s[/] movie")
    theirs = app.session(user_id="cli-ben")
    theirs.send("westerns")

    listed = ars_cli("threads", "list", "--user", "cli-ann", "--data", data)
    assert listed.returncode == 0 and mine.thread_id in listed.stdout
    assert theirs.thread_id not in listed.stdout

    shown = ars_cli(
        "threads", "show", "--user", "cli-ann", "--thread", mine.thread_id, "--data", data
    )
    assert shown.returncode == 0 and "you: a funny [bold]90s[/] movie" in shown.stdout

    for command in ("show", "delete"):  # someone else's thread, or no such thread
        for thread in (theirs.thread_id, "nope"):
            done = ars_cli(
                "threads", command, "--user", "cli-ann", "--thread", thread, "--data", data
            )
            assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
            assert "has no conversation" in done.stderr

    gone = ars_cli("threads", "delete", "--user", "cli-ann", "--data", data, "--yes")
    assert gone.returncode == 0 and "deleted 1 conversations" in gone.stdout
    assert app.threads("cli-ann") == [] and [t.thread_id for t in app.threads("cli-ben")]


def test_deleting_a_users_memory_deletes_their_conversations_too(app: App) -> None:
    data = str(app.dataset.path)
    s = app.session(user_id="forget-me")
    s.send("no horror please, a comedy")
    app.memory.remember_turn(
        "forget-me", preferences=[Preference(key="genre:Horror", polarity="avoid", text="no")]
    )
    keep = app.session(user_id="keep-me")
    keep.send("westerns")

    done = ars_cli("memory", "delete", "--user", "forget-me", "--data", data, "--yes")
    assert done.returncode == 0 and "and 1 conversations" in done.stdout
    assert app.threads("forget-me") == [] and app.memory.show("forget-me") == []
    with sqlite3.connect(app.dataset.state_dir / THREADS_FILE) as db:
        assert db.execute(
            "SELECT count(*) FROM writes WHERE thread_id = ?", (s.thread_id,)
        ).fetchone() == (0,)
    assert [t.thread_id for t in app.threads("keep-me")] == [keep.thread_id]

    s.send("a comedy")  # and the API does the same
    assert app.forget("forget-me")[1] == 1 and app.threads("forget-me") == []


def test_state_stored_under_the_types_old_modules_loads_as_those_types(tmp_path: Path) -> None:
    """Threads stored before the state types moved (graphs.* -> turn/understanding) load."""
    import ormsgpack
    from langgraph.checkpoint.serde.jsonplus import EXT_PYDANTIC_V2, _msgpack_enc

    from agentic_recsys.session import open_checkpointer

    def stored(module: str, obj: object) -> bytes:  # as an older version wrote it
        dump = obj.model_dump()  # type: ignore[attr-defined]
        fields = (module, type(obj).__name__, dump, "model_validate_json")
        return ormsgpack.packb(ormsgpack.Ext(EXT_PYDANTIC_V2, _msgpack_enc(fields)))

    serde = open_checkpointer(tmp_path / THREADS_FILE).serde
    item = state.BusItem(item="50", score=1.0)
    back = serde.loads_typed(("msgpack", stored("agentic_recsys.graphs.state", item)))
    assert back == item and isinstance(back, state.BusItem)
    taste = Preference(key="genre:Horror", polarity="avoid", text="no horror")
    assert serde.loads_typed(("msgpack", stored("agentic_recsys.graphs.schema", taste))) == taste
