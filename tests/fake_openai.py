"""A scripted OpenAI-compatible chat server on loopback, for processes a test cannot reach into.

`ars chat` in a pseudo-terminal and `langgraph dev` load their models themselves; pointed
at this server (`openai:<model>@<url>`), their real OpenAI client sends real requests,
which are recorded, and gets the scripted replies in order (a call past the end is a 500).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpenAI:
    """The replies still to play and the requests received (JSON bodies, in order)."""

    replies: list[str]
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    def images_sent(self) -> list[list[str]]:
        """Per request, the image URLs of its user messages (data: URLs for our pictures)."""
        return [
            [
                part["image_url"]["url"]
                for message in body["messages"]
                if isinstance(message.get("content"), list)
                for part in message["content"]
                if part.get("type") == "image_url"
            ]
            for body in self.requests
        ]


@contextmanager
def fake_openai(replies: list[str]) -> Iterator[FakeOpenAI]:
    """Serve `replies` on a free loopback port until the block ends."""
    fake = FakeOpenAI(list(replies))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                fake.requests.append(body)
                reply = fake.replies.pop(0) if fake.replies else None
            if reply is None or not self.path.endswith("/chat/completions"):
                self.send_error(500, "no scripted reply left")
                return
            if body.get("stream"):
                self._stream(body["model"], reply)
            else:
                self._send(
                    "application/json",
                    json.dumps(
                        {
                            "id": "fake",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body["model"],
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": reply},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 1,
                                "completion_tokens": 1,
                                "total_tokens": 2,
                            },
                        }
                    ).encode(),
                )

        def _stream(self, model: str, reply: str) -> None:
            def chunk(delta: dict[str, str], finish: str | None) -> str:
                return "data: " + json.dumps(
                    {
                        "id": "fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }
                )

            events = [
                chunk({"role": "assistant", "content": reply}, None),
                chunk({}, "stop"),
                "data: [DONE]",
            ]
            self._send("text/event-stream", "".join(f"{e}\n\n" for e in events).encode())

        def _send(self, kind: str, payload: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
