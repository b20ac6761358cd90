"""Long-term memory through the whole graph: a taste stated in one thread shapes a new thread in
a new process; a contradiction supersedes; two users talking at once never mix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import agentic_recsys as ars


def turn_in_new_process(data: Path, user: str, message: str) -> dict[str, object]:
    """One turn in a fresh thread of a fresh process; returns the result as JSON."""
    script = textwrap.dedent(f"""
        import json, agentic_recsys as ars
        app = ars.open({str(data)!r})
        r = app.session(user_id={user!r}).send({message!r})
        print(json.dumps({{"items": r.items, "text": r.text, "thread": r.thread_id}}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def genres_of(data: Path, items: list[str]) -> list[tuple[str, ...]]:
    app = ars.open(data)
    return [app.dataset.items.genres[app.dataset.items.index[i]] for i in items]


@pytest.mark.slow
def test_a_stated_taste_shapes_a_new_thread_in_a_new_process(ml100k_copy: Path) -> None:
    said = turn_in_new_process(ml100k_copy, "mem-1", "I don't like horror")
    assert "Horror" in str(said["text"])

    later = turn_in_new_process(ml100k_copy, "mem-1", "recommend 10 thrillers")
    assert len(later["items"]) == 10  # type: ignore[arg-type]
    assert not any("Horror" in g for g in genres_of(ml100k_copy, later["items"]))  # type: ignore[arg-type]
    assert "as you asked before" in str(later["text"])

    # Someone else asking the same gets horror thrillers: the taste was mem-1's alone.
    other = turn_in_new_process(ml100k_copy, "mem-2", "recommend 10 thrillers")
    assert any("Horror" in g for g in genres_of(ml100k_copy, other["items"]))  # type: ignore[arg-type]

    turn_in_new_process(ml100k_copy, "mem-1", "actually I do like horror now")
    changed = turn_in_new_process(ml100k_copy, "mem-1", "recommend 10 thrillers")
    assert any("Horror" in g for g in genres_of(ml100k_copy, changed["items"]))  # type: ignore[arg-type]
    prefs = ars.open(ml100k_copy).memory.preferences("mem-1")
    assert [(p.key, p.polarity) for p in prefs] == [("genre:Horror", "like")]


def test_concurrent_users_never_mix(ml100k_copy: Path) -> None:
    app = ars.open(ml100k_copy)
    users = {"conc-a": "Horror", "conc-b": "Comedy", "conc-c": "Drama"}
    for user, genre in users.items():
        app.session(user_id=user).send(f"I hate {genre.lower()}")

    def ask(user: str) -> tuple[str, list[str]]:
        return user, app.session(user_id=user).send("recommend 10 movies").items

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(ask, list(users) * 2))
    for user, items in results:
        assert len(items) == 10
        assert not any(users[user] in g for g in genres_of(ml100k_copy, items))
    for user, genre in users.items():
        prefs = app.memory.preferences(user)
        assert [p.key for p in prefs] == [f"genre:{genre}"]
