"""A thread id is not a key to someone else's conversation; there is no shared default user.

User A's thread, opened or sent to as user B: refused in the Python API (a clear
`NotYourThreadError`) and by `ars chat --thread` (one line, exit 2), and A's thread
is left as it was. A missing or empty user id is an error everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terminal import piped_chat

import agentic_recsys as ars
from agentic_recsys.cli.chat_input import user_history
from agentic_recsys.errors import NotYourThreadError, UserIdError
from agentic_recsys.server_auth import DEV_PREFIX, MODE_ENV, TOKENS_ENV, user_for


@pytest.fixture(scope="module")
def a_thread(ml100k_copy: Path) -> str:
    """A thread of user A in which A said they avoid horror."""
    result = ars.open(ml100k_copy).session(user_id="A").send("no horror, a funny 90s movie")
    assert result.items
    return result.thread_id


def human_turns(data: Path, thread: str) -> int:
    messages = ars.open(data).session("A", thread).values()["messages"]
    return sum(1 for m in messages if m.type == "human")


def test_another_user_cannot_open_a_thread(ml100k_copy: Path, a_thread: str) -> None:
    app = ars.open(ml100k_copy)
    with pytest.raises(
        NotYourThreadError, match=f"conversation {a_thread} belongs to another user"
    ):
        app.session(user_id="B", thread_id=a_thread)
    assert [t.thread_id for t in app.threads("B")] == []
    resumed = app.session(user_id="A", thread_id=a_thread)  # the owner goes on
    assert resumed.values()["user_id"] == "A"


@pytest.mark.parametrize("user", ["", "   ", None])
def test_no_user_id_is_an_error(ml100k_copy: Path, user: str | None) -> None:
    with pytest.raises(UserIdError, match="user id is needed"):
        ars.open(ml100k_copy).session(user_id=user)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("json_mode", [True, False])
def test_chat_refuses_another_users_thread(
    ml100k_copy: Path, a_thread: str, json_mode: bool
) -> None:
    before = human_turns(ml100k_copy, a_thread)
    json_flag = ["--json"] if json_mode else []
    run = piped_chat(ml100k_copy, "a western\n", "--thread", a_thread, "--user", "B", *json_flag)
    assert run.returncode == 2, run.stderr
    assert not run.stdout.strip() and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "belongs to another user" in lines[0], run.stderr
    assert human_turns(ml100k_copy, a_thread) == before  # nothing appended to A's thread


@pytest.mark.slow
def test_chat_with_an_empty_user_is_one_line(ml100k_copy: Path) -> None:
    run = piped_chat(ml100k_copy, "hi\n", "--user", "", "--json")
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "user id is needed" in run.stderr


def test_each_user_has_an_input_history_of_their_own(tmp_path: Path) -> None:
    paths = {user_history(tmp_path, u) for u in ("A", "B", "../A", "a", "A\x00")}
    assert len(paths) == 5
    assert all(p.parent == tmp_path / "chat_histories" for p in paths)


def test_server_identity_comes_from_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langgraph_sdk import Auth

    monkeypatch.delenv(MODE_ENV, raising=False)
    monkeypatch.delenv(TOKENS_ENV, raising=False)

    def refused(header: str | None) -> str:
        with pytest.raises(Auth.exceptions.HTTPException) as e:
            user_for(header)
        assert e.value.status_code == 401
        return str(e.value.detail)

    # no configuration: nobody gets in, not even as a "default" user
    assert TOKENS_ENV in refused(f"Bearer {DEV_PREFIX}A")
    refused(None)
    # development mode: Bearer user:<id>, and nothing else
    monkeypatch.setenv(MODE_ENV, "dev")
    assert user_for(f"Bearer {DEV_PREFIX}A") == "A"
    for header in ("Bearer A", "Bearer user:", "Bearer user:   ", "Basic user:A", "", None):
        refused(header)

    # tokens: only the file's, compared whole
    monkeypatch.delenv(MODE_ENV)
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"s3cret-a": "A", "s3cret-b": "B"}')
    monkeypatch.setenv(TOKENS_ENV, str(tokens))
    assert user_for("Bearer s3cret-b") == "B"
    for header in ("Bearer s3cret", "Bearer s3cret-a2", f"Bearer {DEV_PREFIX}A"):
        refused(header)
