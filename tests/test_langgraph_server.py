"""`langgraph dev` serves the graph: a conversation over HTTP through langgraph-sdk."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client

ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).parent / "langgraph"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(ml100k_dir: Path, tmp_path: Path):
    port = _free_port()
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "ARS_DATA": str(ml100k_dir),
        "ARS_MODEL": "none",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
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
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(
                "langgraph dev did not come up:\n" + (tmp_path / "server.log").read_text()[-2000:]
            )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
