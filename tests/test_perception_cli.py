"""Pictures in `ars chat`, in a pseudo-terminal: `/image PATH words` and a pasted path reach a
vision model (a scripted OpenAI-compatible server, reached by the real OpenAI client) whose
descriptions choose the items; bad pictures and URLs not allowed are one line each."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pexpect
import pytest
from fake_openai import fake_openai
from PIL import Image
from terminal import say as typed
from terminal import spawn_chat, until_prompt

from agentic_recsys.perception.images import ALLOW_URLS_HINT

pytestmark = pytest.mark.slow

TOY_STORY = {
    "item_type": "movie poster",
    "titles": ["Toy Story"],
    "genre_cues": ["animation", "family"],
    "mood": "playful",
}
SCREAM = {"item_type": "movie poster", "titles": ["SCREAM"], "genre_cues": ["horror"]}


def spawn(data: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "ARS_DATA": str(data), "ARS_MODEL": "none", "TERM": "xterm"}
    env.pop("ARS_IMAGE_URLS", None)
    return spawn_chat(env, *args, columns=200)


def say(child: pexpect.spawn, line: str) -> str:
    """What the chat printed for `line`, on one line."""
    return " ".join(typed(child, line).split())


def write_poster(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (90, 130), colour).save(path, "PNG")
    return path


def test_pictures_in_the_chat(ml100k_copy: Path, tmp_path: Path) -> None:
    toy = write_poster(tmp_path / "toy poster.png", (30, 90, 200))
    scream = write_poster(tmp_path / "scream.png", (10, 10, 10))
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>')
    with fake_openai([json.dumps(TOY_STORY), json.dumps(SCREAM)]) as server:
        child = spawn(
            ml100k_copy,
            "--user",
            f"cli-{uuid.uuid4().hex[:6]}",
            "--vision-model",
            f"openai:fake-vision@{server.url}",
        )
        banner = " ".join(until_prompt(child).split())
        assert f"vision openai:fake-vision@{server.url}" in banner

        out = say(child, f'/image "{toy}" something for tonight')
        assert "I read Toy Story (1995) off your picture" in out
        assert "vision ×1: openai:fake-vision" in out

        out = say(child, f"and more like {scream} please")  # a path pasted in a message
        assert "I read Scream (1996) off your picture" in out
        assert "Horror" in out

        out = say(child, f"/image {svg}")
        assert "error: logo.svg is an SVG drawing; SVG is refused" in out
        out = say(child, "/image https://example.com/poster.png like this")
        assert ALLOW_URLS_HINT in out

        out = say(child, "a funny 90s movie")  # no picture: no vision call
        assert "vision" not in out
        child.sendline("/quit")
        child.expect(pexpect.EOF)

    assert len(server.requests) == 2
    for images in server.images_sent():
        assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
