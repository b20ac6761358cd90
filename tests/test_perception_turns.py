"""A picture sent through the Python API is read by a (scripted) vision model in one call, and
what it shows (a title off a poster, genre cues) changes the items; without pictures the
turn is as before (no call); without a vision model the words alone are served, and said so."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image

import agentic_recsys as ars
from agentic_recsys.agents.perceive import NO_VISION_NOTICE, with_picture
from agentic_recsys.app import THREADS_FILE, App
from agentic_recsys.llm import clear_model_cache, register_chat_model
from agentic_recsys.llm.testing import ScriptedChatModel, scripted_model
from agentic_recsys.perception.images import ImageError
from agentic_recsys.perception.vision import ImageDescription, Picture
from agentic_recsys.session import TurnResult
from agentic_recsys.understanding.intent_rules import parse_intent

VISION = "fake:vision"
TOY_STORY_POSTER = {
    "shows": "toy cowboy and space ranger figures on a bed",
    "item_type": "movie poster",
    "style": "bright computer animation",
    "genre_cues": ["animation", "family"],
    "visible_text": ["TOY STORY", "the adventure takes off"],
    "titles": ["TOY STORY"],
    "colours": ["blue", "yellow"],
    "mood": "playful",
}
WORDS = "something for tonight"


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


Script = Callable[[list[str]], ScriptedChatModel]


@pytest.fixture
def script() -> Iterator[Script]:
    """Register a scripted vision model under VISION that plays the given replies."""

    def play(replies: list[str]) -> ScriptedChatModel:
        model = scripted_model(replies, spec=VISION)
        register_chat_model(VISION, model)
        return model

    yield play
    clear_model_cache()


def poster(path: Path) -> Path:
    """A JPEG carrying EXIF a model must never see."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    out = io.BytesIO()
    Image.new("RGB", (120, 180), (30, 90, 200)).save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def user() -> str:
    return f"pic-{uuid.uuid4().hex[:8]}"


def test_no_picture_no_vision_call(app: App, script: Script) -> None:
    vision = script([])  # any call would fail the script
    events = list(app.session(user(), vision_model=VISION).stream("a funny 90s movie"))
    steps = [value for kind, value in events if kind == "step"]
    assert steps[:2] == ["recall", "intent"]  # not even a perceive step
    r = events[-1][1]
    assert isinstance(r, TurnResult)
    assert vision.received == []
    assert r.llm_calls == 0 and "vision" not in {m.role for m in r.models}
    assert len(r.items) == 5


def test_a_poster_title_and_genre_cues_choose_the_items(
    app: App, script: Script, tmp_path: Path
) -> None:
    vision = script([json.dumps(TOY_STORY_POSTER)])
    words_only = app.session(user()).send(WORDS)
    s = app.session(user(), vision_model=VISION)
    r = s.send(WORDS, images=[poster(tmp_path / "poster.jpg")])

    assert len(vision.received) == 1  # one call for the turn
    sent = vision.received[0][-1]
    assert isinstance(sent, HumanMessage) and isinstance(sent.content, list)
    blocks = [b for b in sent.content if isinstance(b, dict) and b.get("type") == "image"]
    assert len(blocks) == 1 and blocks[0]["mime_type"] == "image/png"
    shown_to_model = base64.b64decode(blocks[0]["base64"])
    assert shown_to_model.startswith(b"\x89PNG") and b"SecretCam" not in shown_to_model
    vision_use = next(m for m in r.models if m.role == "vision")
    assert (vision_use.model, vision_use.calls, vision_use.fell_back) == (VISION, 1, False)

    items = app.dataset.items
    toy_story = app.titles.resolve("Toy Story")
    assert toy_story is not None
    assert r.items and set(r.items) != set(words_only.items)
    assert toy_story.item_id not in r.items  # the seed, not a pick
    assert toy_story.item_id in s.values()["liked"]
    for item in r.items:  # the genre cues, read as catalog genres
        assert {"Animation", "Children's"} & set(items.genres[items.index[item]])
    assert any("Toy Story (1995)" in why for why in r.explanations.values())
    assert r.text.startswith("I read Toy Story (1995) off your picture. Here are 5 picks")


def test_no_picture_data_in_checkpoints_or_memory(app: App, script: Script, tmp_path: Path) -> None:
    vision = script([json.dumps(TOY_STORY_POSTER)])
    who = user()
    s = app.session(who, vision_model=VISION)
    s.send("like this", images=[poster(tmp_path / "poster.jpg")])
    values = s.values()
    assert values["images"] == []  # the next turn does not see this turn's picture
    said = [m.content for m in values["messages"] if isinstance(m, HumanMessage)]
    assert said == ["like this [a picture]"]
    stored = sqlite3.connect(app.dataset.state_dir / THREADS_FILE)
    blobs = b"".join(
        bytes(row[0]) for row in stored.execute("SELECT checkpoint FROM checkpoints") if row[0]
    )
    assert b"iVBORw0KGgo" not in blobs and b"\x89PNG" not in blobs and b"data:image" not in blobs
    episodes = [m.text for m in app.memory.show(who) if m.kind == "episode"]
    assert any("like this [a picture]" in e for e in episodes)
    assert not any("base64" in e or "iVBOR" in e for e in episodes)
    again = s.send("a comedy")  # no picture: no call (the script has no second step)
    assert "vision" not in {m.role for m in again.models} and len(vision.received) == 1


def test_without_a_vision_model_the_words_are_served(app: App, tmp_path: Path) -> None:
    r = app.session(user()).send("a funny 90s movie", images=[poster(tmp_path / "p.jpg")])
    assert r.text.startswith(NO_VISION_NOTICE + "\n")
    assert len(r.items) == 5 and r.llm_calls == 0
    vision_use = next(m for m in r.models if m.role == "vision")
    assert vision_use.fell_back and vision_use.why == "no vision model"


def test_a_failing_vision_model_falls_back_to_the_words(
    app: App, script: Script, tmp_path: Path
) -> None:
    vision = script(["not json", '{"titles": "not a list"}'])
    sent = poster(tmp_path / "p.jpg").read_bytes()  # raw bytes work as well as paths
    r = app.session(user(), vision_model=VISION).send("a funny 90s movie", images=[sent])
    assert len(vision.received) == 2  # one retry, then the words alone
    assert r.text.startswith("(I could not read your picture (schema); I went on with your words.)")
    assert len(r.items) == 5


def test_a_bad_picture_stops_before_the_turn(app: App, tmp_path: Path) -> None:
    svg = tmp_path / "poster.png"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>')
    s = app.session(user())
    with pytest.raises(ImageError, match="poster.png is an SVG drawing; SVG is refused"):
        s.send("like this", images=[svg])
    assert s.values() == {}  # nothing was recorded


def test_the_words_win_and_picture_text_never_becomes_a_preference(app: App) -> None:
    items = app.dataset.items
    description = ImageDescription(
        item_type="movie poster",
        titles=["Toy Story"],
        genre_cues=["animation", "horror"],
        visible_text=["I hate comedies", "no horror ever"],
        mood="playful",
    )
    picture = Picture(description=description, items=["1"])
    said = parse_intent("a western, nothing scary", items, app.titles, [], app.entities)
    intent = with_picture(said, picture, items)
    assert intent.constraints.genres_in == ["Western"]  # the words named a genre
    assert intent.constraints.genres_out == ["Horror"]
    assert intent.preferences == said.preferences and intent.feedback == said.feedback == []
    assert intent.like_items == ["1"] and "playful" in intent.query
    quiet = with_picture(parse_intent("", items, app.titles), picture, items)
    assert quiet.kind == "recommend" and not quiet.question
    assert quiet.constraints.genres_in == ["Animation", "Horror"]
