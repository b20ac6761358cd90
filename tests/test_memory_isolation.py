"""User B never sees anything of user A: hostile ids, and concurrent sessions in threads."""

from __future__ import annotations

import threading
from pathlib import Path

from agentic_recsys.memory import Episode, MemoryStore
from agentic_recsys.memory.chroma import collection_name
from agentic_recsys.understanding.schema import Feedback, Preference

HOSTILE_IDS = [
    "alice",
    "bob",
    'alice" OR "1"="1',
    "alice'; DROP TABLE collections; --",
    "*",
    "%",
    "x" * 10_000,
    "../alice",
    "alice\x00bob",
    "ALICE",
    " alice",
    "alice,bob",
    collection_name("alice"),  # another user's collection name as an id
    "ars-memory-*",
    "用户-🎬",
]


def marker(n: int) -> str:
    return f"zebra{n}quokka"


def test_hostile_ids_read_and_write_only_their_own(tmp_path: Path) -> None:
    store = MemoryStore.open(tmp_path / "memory")
    for n, user in enumerate(HOSTILE_IDS):
        store.remember_turn(
            user,
            preferences=[Preference(key=f"tag:{marker(n)}", polarity="like", text=marker(n))],
            feedback=[Feedback(item=f"item-{n}", verdict="liked")],
            episode=Episode(asked=f"asked about {marker(n)}", shown=[f"item-{n}"]),
        )

    assert len(store.space.client.list_collections()) == len(HOSTILE_IDS)
    for n, user in enumerate(HOSTILE_IDS):
        others = [marker(m) for m in range(len(HOSTILE_IDS)) if m != n]
        everything = repr(store.export(user))
        assert marker(n) in everything
        assert not any(o in everything for o in others), user[:40]
        assert store.feedback(user) == {f"item-{n}": "liked"}
        assert [p.text for p in store.preferences(user)] == [marker(n)]
        for m in range(len(HOSTILE_IDS)):  # asking for someone else's memory finds only mine
            recalled = store.recall(user, f"asked about {marker(m)}", k=8)
            assert not any(o in m_.text for m_ in recalled.memories for o in others)

    assert store.delete("*") == 4 and store.delete("ars-memory-*") == 4
    assert store.delete(collection_name("alice")) == 4
    assert store.show("alice") and store.show("bob")


def test_concurrent_sessions_in_threads_stay_apart(tmp_path: Path) -> None:
    store = MemoryStore.open(tmp_path / "memory")
    users = ["alice", "bob", "carol", 'alice"*']
    sessions_per_user, turns = 2, 6
    problems: list[str] = []
    start = threading.Barrier(len(users) * sessions_per_user)

    def session(user: str, session_no: int) -> None:
        mine = f"{users.index(user)}-"
        start.wait()
        for t in range(turns):
            item = f"{mine}{session_no}-{t}"
            store.remember_turn(
                user,
                feedback=[Feedback(item=item, verdict="seen")],
                episode=Episode(asked=f"turn {t} of {user}", shown=[item]),
            )
            recall = store.recall(user, f"turn {t}", k=5)
            seen = list(recall.feedback) + [
                i for m in recall.memories for i in m.data.get("shown", [])
            ]
            problems.extend(f"{user} saw {i}" for i in seen if not i.startswith(mine))

    threads = [
        threading.Thread(target=session, args=(u, s))
        for u in users
        for s in range(sessions_per_user)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert problems == []
    for n, user in enumerate(users):
        # two sessions of one user wrote at once: no verdict and no episode was lost
        expected = {f"{n}-{s}-{t}" for s in range(sessions_per_user) for t in range(turns)}
        assert set(store.feedback(user)) == expected
        episodes = [m for m in store.show(user) if m.kind == "episode"]
        assert len(episodes) == sessions_per_user * turns
        assert len({m.id for m in episodes}) == len(episodes)


def test_two_catalogs_sharing_one_store_keep_a_user_apart(tmp_path: Path) -> None:
    # Item "1" is a film in one catalog and a shoe in another: one Chroma (as a shared
    # server would be), the same user id, two datasets.
    films = MemoryStore.open(tmp_path / "memory", namespace="MovieLens-100K")
    shoes = MemoryStore(films.space, namespace="shoe-shop")
    films.remember_turn("ann", feedback=[Feedback(item="1", verdict="liked")])
    shoes.remember_turn("ann", feedback=[Feedback(item="1", verdict="disliked")])

    assert films.feedback("ann") == {"1": "liked"}
    assert shoes.feedback("ann") == {"1": "disliked"}
    assert MemoryStore(films.space, namespace='["shoe-shop", "ann"]').show("ann") == []
    assert shoes.delete("ann") == 2 and films.feedback("ann") == {"1": "liked"}  # profile, verdict
