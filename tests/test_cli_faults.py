"""Faults end in one line and the right exit code, never a traceback.

Found by hand: invalid UTF-8 on stdin and a corrupted `threads.sqlite` ended
`ars chat --json` with a raw traceback; with the Chroma server killed mid-session every
turn failed with a traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import free_port, running
from terminal import piped_chat

from agentic_recsys.app import THREADS_FILE
from agentic_recsys.data.dataset import STATE_DIR
from agentic_recsys.errors import ArsError
from agentic_recsys.memory import MemoryStore
from agentic_recsys.understanding.schema import Preference

CHROMA = Path(sys.executable).with_name("chroma")

pytestmark = pytest.mark.slow


def chat_json(data: Path, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return piped_chat(data, stdin, "--json", "--user", "fault-tester")


def test_invalid_utf8_on_stdin_is_an_error_object_for_that_line(ml100k_copy: Path) -> None:
    run = chat_json(ml100k_copy, b"a funny 90s movie\nno \xff\xfe horror\nsomething older\n")
    assert run.returncode == 0 and b"Traceback" not in run.stderr, run.stderr
    first, bad, last = (json.loads(line) for line in run.stdout.decode().splitlines())
    assert first["items"] and last["items"]
    assert "not valid UTF-8" in bad["error"] and "items" not in bad


def test_invalid_utf8_in_a_piped_chat_is_one_line_and_the_chat_goes_on(ml100k_copy: Path) -> None:
    run = piped_chat(
        ml100k_copy, b"no \xff\xfe horror\na comedy please\n", "--user", "fault-tester"
    )
    out = run.stdout.decode()
    assert run.returncode == 0 and "Traceback" not in out + run.stderr.decode(), out
    assert "error: this line is not valid UTF-8; nothing was sent" in out
    assert "unexpected error" not in out and "picks in Comedy" in out


def test_a_corrupted_threads_file_is_one_line(ml100k_copy: Path, tmp_path: Path) -> None:
    data = Path(
        shutil.copytree(ml100k_copy, tmp_path / "ml", ignore=shutil.ignore_patterns(STATE_DIR))
    )
    (data / STATE_DIR).mkdir()
    (data / STATE_DIR / THREADS_FILE).write_bytes(b"not a database at all " * 400)
    run = chat_json(data, b"hello\n")
    assert run.returncode == 2 and b"Traceback" not in run.stderr, run.stderr
    assert len(run.stderr.decode().strip().splitlines()) == 1
    assert "is damaged" in run.stderr.decode() and "move it aside" in run.stderr.decode()


def test_the_chroma_server_dying_mid_session_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(CHROMA), "run", "--path", str(tmp_path / "db"), "--host", "127.0.0.1"]
    with running(command + ["--port", str(port)], f"{url}/api/v2/heartbeat", tmp_path / "log"):
        store = MemoryStore.open(url=url, namespace="films")
        store.remember_turn(
            "ann", preferences=[Preference(key="genre:Horror", polarity="avoid", text="no horror")]
        )
        assert store.preferences("ann")
    # the server is gone; the store (and its cached collection) is still in use
    for use in (
        lambda: store.recall("ann", "a comedy"),
        lambda: store.remember_turn(
            "ann", preferences=[Preference(key="genre:Drama", polarity="like", text="drama")]
        ),
        lambda: store.show("bob"),
    ):
        with pytest.raises(ArsError, match=f"the Chroma server at {url} is not answering"):
            use()
