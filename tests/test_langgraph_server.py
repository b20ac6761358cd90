"""`langgraph dev` serves the graph over HTTP to authenticated users, each in their own threads.

The server is started for real with the project's `langgraph.json` (and its auth handler)
and two users' bearer tokens: a conversation works, and user B can neither list, read nor
run user A's threads, nor reach A's memory by naming A in the input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from servers import langgraph_dev

TOKENS = {"token-of-a-7f3c": "7", "token-of-b-91d2": "8"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(ml100k_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("langgraph-server")
    tokens = folder / "tokens.json"
    tokens.write_text(json.dumps(TOKENS))
    env = {"ARS_AUTH_TOKENS": str(tokens), "ARS_AUTH": ""}
    with langgraph_dev(ml100k_copy, folder, env) as url:
        yield url


def client_of(server: str, user: str) -> SyncLangGraphClient:
    token = next(t for t, u in TOKENS.items() if u == user)
    return get_sync_client(url=server, headers={"Authorization": f"Bearer {token}"})


def test_conversation_over_the_langgraph_server(server: str) -> None:
    client = client_of(server, "7")
    assistants = client.assistants.search(graph_id="recommender")
    assert assistants, "the graph from langgraph.json is registered"
    thread = client.threads.create()

    first = client.runs.wait(
        thread["thread_id"], "recommender", input={"message": "a funny 90s movie, no horror"}
    )
    assert isinstance(first, dict)
    assert len(first["items"]) == 5
    assert set(first["explanations"]) == set(first["items"])

    second = client.runs.wait(
        thread["thread_id"], "recommender", input={"message": "none of those, something older"}
    )
    assert isinstance(second, dict)
    assert second["items"] and not set(second["items"]) & set(first["items"])

    values = client.threads.get_state(thread["thread_id"])["values"]
    assert values["user_id"] == "7"  # who authenticated
    assert set(first["items"]) <= set(values["rejected"])
    assert len([m for m in values["messages"] if m["type"] == "human"]) == 2


def test_no_request_without_a_known_token(server: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer user:7"}):
        response = httpx.post(f"{server}/threads/search", json={}, headers=headers)
        assert response.status_code == 401, (headers, response.text)


def test_b_cannot_list_read_or_run_a_threads_nor_reach_a_memory(server: str) -> None:
    a, b = client_of(server, "7"), client_of(server, "8")
    mine = a.threads.create(metadata={"owner": "8"})  # a client cannot name another owner
    said = a.runs.wait(mine["thread_id"], "recommender", input={"message": "no horror, a comedy"})
    assert isinstance(said, dict) and said["items"]
    a_thread = mine["thread_id"]

    assert a_thread not in {t["thread_id"] for t in b.threads.search(limit=100)}
    assert a_thread in {t["thread_id"] for t in a.threads.search(limit=100)}
    for read in (
        lambda: b.threads.get(a_thread),
        lambda: b.threads.get_state(a_thread),
        lambda: b.threads.get_history(a_thread),
        lambda: b.runs.list(a_thread),
        lambda: b.runs.wait(a_thread, "recommender", input={"message": "a western"}),
        lambda: b.threads.update_state(a_thread, {"message": "x"}),
        lambda: b.threads.delete(a_thread),
    ):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            read()
        assert refused.value.response.status_code in (403, 404)
    with pytest.raises(httpx.HTTPStatusError):
        b.assistants.create("recommender", config={}, name="mine")

    # B's own thread, naming A in the input: served as B, nothing of A's memory recalled
    own = b.threads.create()
    for message in ("a western", "what do you remember about me"):
        b.runs.wait(own["thread_id"], "recommender", input={"message": message, "user_id": "7"})
    state = b.threads.get_state(own["thread_id"])["values"]
    assert state["user_id"] == "8"
    assert not any("Horror" in m for m in state["memories"]), state["memories"]
    a_state = a.threads.get_state(a_thread)["values"]
    assert a_state["user_id"] == "7"
    assert len([m for m in a_state["messages"] if m["type"] == "human"]) == 1  # B added nothing


def test_langgraph_chat_input_and_our_error_text_over_http(server: str) -> None:
    client = client_of(server, "7")
    thread = client.threads.create()
    out = client.runs.wait(
        thread["thread_id"],
        "recommender",
        input={"messages": [{"role": "user", "content": "two westerns, please"}]},
    )
    assert isinstance(out, dict)
    assert len(out["items"]) == 2 and out["reply"]
    values = client.threads.get_state(thread["thread_id"])["values"]
    assert [m["content"] for m in values["messages"] if m["type"] == "human"] == [
        "two westerns, please"
    ]

    failed = client.runs.wait(
        client.threads.create()["thread_id"],
        "recommender",
        input={"message": "hello"},
        context={"data_dir": "/no/such/dataset"},
        raise_error=False,
    )
    assert isinstance(failed, dict)
    error = failed["__error__"]
    assert error["error"] == "DataError"
    assert error["message"].startswith("/no/such/dataset: does not exist; prepare one with")


def test_two_messages_sent_at_once_to_a_thread_both_land_in_order(server: str) -> None:
    """The server queues a second run on a busy thread (its default "enqueue"): none is lost."""
    client = client_of(server, "7")
    thread = client.threads.create()["thread_id"]
    runs = [
        client.runs.create(thread, "recommender", input={"message": message})
        for message in ("a western", "none of those, something older")
    ]
    results = [client.runs.join(thread, run["run_id"]) for run in runs]
    assert all(isinstance(r, dict) and r["items"] for r in results)
    first, second = results
    assert isinstance(first, dict) and isinstance(second, dict)
    assert not set(first["items"]) & set(second["items"])  # the second saw the first's list
    values = client.threads.get_state(thread)["values"]
    asked = [m["content"] for m in values["messages"] if m["type"] == "human"]
    assert asked == ["a western", "none of those, something older"] and values["turns"] == 2
