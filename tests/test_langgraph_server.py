"""`langgraph dev` serves the graph: a conversation over HTTP through langgraph-sdk."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client
from servers import free_port, running

ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).parent / "langgraph"

pytestmark = pytest.mark.slow


@pytest.fixture()
def server(ml100k_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "ARS_DATA": str(ml100k_dir),
        "ARS_MODEL": "none",
    }
    command = [
        str(LANGGRAPH),
        "dev",
        "--no-reload",
        "--no-browser",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--config",
        str(ROOT / "langgraph.json"),
    ]
    url = f"http://127.0.0.1:{port}"
    with running(command, f"{url}/ok", tmp_path / "server.log", env=env, cwd=ROOT):
        yield url


def test_conversation_over_the_langgraph_server(server: str) -> None:
    client = get_sync_client(url=server)
    assistants = client.assistants.search(graph_id="recommender")
    assert assistants, "the graph from langgraph.json is registered"
    thread = client.threads.create()

    first = client.runs.wait(
        thread["thread_id"],
        "recommender",
        input={"message": "a funny 90s movie, no horror", "user_id": "7"},
    )
    assert isinstance(first, dict)
    assert len(first["items"]) == 5
    assert set(first["explanations"]) == set(first["items"])

    second = client.runs.wait(
        thread["thread_id"],
        "recommender",
        input={"message": "none of those, something older", "user_id": "7"},
    )
    assert isinstance(second, dict)
    assert second["items"] and not set(second["items"]) & set(first["items"])

    state = client.threads.get_state(thread["thread_id"])
    values = state["values"]
    assert set(first["items"]) <= set(values["rejected"])
    assert len([m for m in values["messages"] if m["type"] == "human"]) == 2
