"""Start a real server for a test on a free loopback port, wait until it answers, stop it by PID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    command: Sequence[str],
    ready_url: str,
    log: Path,
    *,
    timeout: float = 180,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[None]:
    """Run `command` until the block ends; ready once `ready_url` answers 200.

    Fails the test with the end of the server's log if it exits or does not answer in time.
    Only the process started here is stopped, by its PID.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"{command[0]} exited:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{command[0]} not ready in {timeout:.0f} s:\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).parent / "langgraph"


@contextmanager
def langgraph_dev(data: Path, folder: Path, env: Mapping[str, str]) -> Iterator[str]:
    """`langgraph dev` with the project's langgraph.json over the dataset `data`; yields its URL.

    `env` adds to (or, with an empty value, removes from) the environment: auth and models.
    """
    port = free_port()
    environment = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "ARS_DATA": str(data),
        "ARS_MODEL": "none",
        **env,
    }
    environment = {k: v for k, v in environment.items() if v}
    command = [str(LANGGRAPH), "dev", "--no-reload", "--no-browser", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--config", str(ROOT / "langgraph.json")]
    url = f"http://127.0.0.1:{port}"
    with running(command, f"{url}/ok", folder / "server.log", env=environment, cwd=ROOT):
        yield url
