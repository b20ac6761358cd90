"""Pictures over HTTP: `langgraph dev` started for real, langgraph-sdk sending a human message
with an image content block. The server's vision model is a scripted OpenAI-compatible
server (`ARS_VISION_MODEL=openai:fake-vision@<url>`), reached by the real OpenAI client."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, fake_openai
from langgraph_sdk import get_sync_client
from PIL import Image
from servers import langgraph_dev

from agentic_recsys.agents.perceive import NO_VISION_NOTICE

TOY_STORY = {"item_type": "movie poster", "titles": ["Toy Story"], "genre_cues": ["animation"]}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vision() -> Iterator[FakeOpenAI]:
    with fake_openai([json.dumps(TOY_STORY)]) as fake:
        yield fake


@pytest.fixture(scope="module")
def server(
    ml100k_copy: Path, vision: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("langgraph-pictures")
    env = {
        "ARS_VISION_MODEL": f"openai:fake-vision@{vision.url}",
        "ARS_AUTH": "dev",
        "ARS_AUTH_TOKENS": "",
        "ARS_IMAGE_URLS": "",
    }
    with langgraph_dev(ml100k_copy, folder, env) as url:
        yield url


def poster_base64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (90, 130), (30, 90, 200)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_an_image_block_chooses_the_items(server: str, vision: FakeOpenAI) -> None:
    client = get_sync_client(url=server, headers={"Authorization": "Bearer user:31"})
    words = client.runs.wait(
        client.threads.create()["thread_id"],
        "recommender",
        input={"message": "something for tonight"},
    )
    assert isinstance(words, dict) and not vision.requests  # no picture: no vision call

    thread = client.threads.create()["thread_id"]
    content = [
        {"type": "text", "text": "something for tonight"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{poster_base64()}"}},
    ]
    out = client.runs.wait(
        thread, "recommender", input={"messages": [{"role": "user", "content": content}]}
    )
    assert isinstance(out, dict)
    assert out["reply"].startswith("I read Toy Story (1995) off your picture")
    assert out["items"] and set(out["items"]) != set(words["items"])
    assert any("Toy Story (1995)" in why for why in out["explanations"].values())
    vision_use = next(m for m in out["models"] if m["role"] == "vision")
    assert vision_use["calls"] == 1 and not vision_use["fell_back"]
    assert len(vision.requests) == 1
    assert vision.images_sent()[0][0].startswith("data:image/png;base64,")

    values = client.threads.get_state(thread)["values"]
    human = [m["content"] for m in values["messages"] if m["type"] == "human"]
    assert human == ["something for tonight [a picture]"]  # the data is not kept
    assert "base64" not in json.dumps(values)
    assert values["images"] == []


def test_without_a_vision_model_the_words_get_items(server: str, vision: FakeOpenAI) -> None:
    client = get_sync_client(url=server, headers={"Authorization": "Bearer user:32"})
    calls_before = len(vision.requests)
    block = {
        "type": "image",
        "source_type": "base64",
        "data": poster_base64(),
        "mime_type": "image/png",
    }
    out = client.runs.wait(
        client.threads.create()["thread_id"],
        "recommender",
        input={
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "a western"}, block]}
            ]
        },
        context={"vision_model": "none"},
    )
    assert isinstance(out, dict)
    assert out["reply"].startswith(NO_VISION_NOTICE + "\n")
    assert out["items"]
    assert len(vision.requests) == calls_before


def test_a_bad_picture_over_http_is_one_line(server: str) -> None:
    client = get_sync_client(url=server, headers={"Authorization": "Bearer user:33"})
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>').decode()
    for url, says in (
        (f"data:image/svg+xml;base64,{svg}", "the picture is an SVG drawing; SVG is refused"),
        ("https://example.com/poster.png", "pictures from URLs are off"),
    ):
        content = [
            {"type": "text", "text": "like this"},
            {"type": "image_url", "image_url": {"url": url}},
        ]
        failed = client.runs.wait(
            client.threads.create()["thread_id"],
            "recommender",
            input={"messages": [{"role": "user", "content": content}]},
            raise_error=False,
        )
        assert isinstance(failed, dict)
        error = failed["__error__"]
        assert error["error"] == "ImageError" and says in error["message"]
        assert "\n" not in error["message"]
