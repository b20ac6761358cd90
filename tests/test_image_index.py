"""The image index on a generated catalog of posters, with the stand-in encoder (real ONNX).

Built and queried through the real CLI (`ars data import`, `ars data index-images`) and a
whole graph turn; the stand-in knows colours and layout only, which is what these posters
differ by.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from posters import describe, poster, write_catalog

import agentic_recsys as ars
from agentic_recsys.agents.explainer import cites_picture
from agentic_recsys.agents.faithful import unsupported_claims
from agentic_recsys.agents.retrieval import TOOL_WEIGHTS
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.errors import DataError
from agentic_recsys.tools.retrieval import TOOLS
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.state import EvidenceNote
from agentic_recsys.vision.encoder import EncoderError, load_encoder
from agentic_recsys.vision.index import ImageIndex, build_image_index, open_image_index
from agentic_recsys.vision.standin import write_standin

ARS = Path(sys.executable).with_name("ars")


def run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ARS, *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("encoder") / "standin"
    done = run("data", "standin-encoder", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "stand-in" in done.stdout
    return out


def imported(folder: Path, extra: tuple[tuple[str, str], ...] = ()) -> Path:
    write_catalog(folder / "src", extra=extra)
    done = run(
        "data", "import", "--items", folder / "src/items.csv",
        "--interactions", folder / "src/interactions.csv", "--out", folder / "data",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder / "data"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory, encoder_dir: Path) -> Path:
    data = imported(tmp_path_factory.mktemp("posters"))
    done = run("data", "index-images", data, "--encoder", encoder_dir)
    assert done.returncode == 0, done.stderr
    assert "Indexed 40 of 40 item pictures" in done.stdout
    assert "stand-in" in done.stdout
    return data


def index_of(data: Path) -> ImageIndex:
    index, status = open_image_index(Dataset.open(data))
    assert index is not None, status.line()
    return index


def test_the_standin_is_a_deterministic_labelled_onnx_pair(tmp_path: Path, encoder_dir: Path):
    again = load_encoder(write_standin(tmp_path / "again"))
    first = load_encoder(encoder_dir)
    assert again.identity == first.identity  # written byte for byte the same
    assert "stand-in" in first.label and first.config.stand_in
    assert first.has_text and first.dim == again.dim
    # it runs through onnxruntime on the poster's own pixels: one row per picture, unit length
    vectors = first.embed_images([poster(i) for i in range(5)])
    assert vectors.shape == (5, first.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    words = first.embed_texts(["red", "of course", "a dark, rainy poster"])
    assert np.linalg.norm(words[1]) == 0  # words that name no look are no direction at all
    assert words[0] @ vectors[0] > max(words[0] @ v for v in vectors[1:])  # poster 0 is red


def test_the_index_reopens_and_finds_the_poster_a_picture_resembles(catalog: Path):
    index = index_of(catalog)
    assert index.present.all() and index.encoder.config.stand_in
    items = Dataset.open(catalog).items
    for i in (3, 17, 26, 38):
        # the same poster as a user would send it: a JPEG photo of it, smaller, a bit off
        buffer = io.BytesIO()
        poster(i).resize((90, 140)).rotate(2, fillcolor=(128, 128, 128)).save(buffer, "JPEG")
        sent = Image.open(io.BytesIO(buffer.getvalue()))
        best = int(np.argmax(index.picture_scores([sent])))
        assert items.ids[best] == str(i), (describe(i), describe(best))
        assert index.picture_scores([sent])[best] > index.close_neighbour


def test_words_find_the_pictures_they_describe(catalog: Path):
    index = index_of(catalog)
    items = Dataset.open(catalog).items
    red = index.text_scores("a red poster")
    assert red is not None
    top = [int(items.ids[r]) for r in np.argsort(-red)[:4]]
    assert all(describe(i).startswith("red") for i in top), [describe(i) for i in top]
    dark = index.text_scores("a dark, rainy poster")
    assert dark is not None
    assert describe(int(items.ids[int(np.argmax(dark))])).startswith(("black", "blue", "grey"))
    assert index.describes_look("something dark and rainy")
    assert not index.describes_look("a film my friend told me about")  # no look named
    named = [describe(int(items.ids[r])) for r in np.flatnonzero(index.text_matches("red"))]
    assert named and all(d.startswith("red") for d in named), named


def test_a_changed_picture_or_encoder_makes_the_index_stale(tmp_path: Path):
    data = imported(tmp_path)
    encoder = write_standin(tmp_path / "encoder")
    assert run("data", "index-images", data, "--encoder", encoder).returncode == 0
    assert open_image_index(Dataset.open(data))[1].state == "ready"
    changed = poster(6)
    changed.paste((250, 250, 0), (0, 120, 120, 180))  # a poster like no other
    changed.save(tmp_path / "src/posters/5.png")
    index, status = open_image_index(Dataset.open(data))
    assert index is None and status.state == "stale"
    assert "1 catalog picture(s) changed" in status.line()
    info = run("data", "info", data)
    assert "stale" in info.stdout and info.returncode == 0
    done = run("data", "index-images", data)  # the encoder it was built with
    assert done.returncode == 0, done.stderr
    assert "1 encoded, 39 unchanged" in done.stdout, done.stdout
    scores = index_of(data).picture_scores([changed])
    assert int(np.argmax(scores)) == 5  # item 5 is found as it looks now
    # another encoder (here: the stand-in under another name) makes another index
    config = encoder / "preprocess.json"
    config.write_text(config.read_text().replace('"stand-in', '"renamed stand-in'))
    index, status = open_image_index(Dataset.open(data))
    assert index is None and "is not the one it was built with" in status.line()
    done = run("data", "index-images", data, "--encoder", encoder)
    assert "40 encoded, 0 unchanged" in done.stdout, done.stdout
    assert index_of(data).encoder.label.startswith("renamed stand-in")


def test_bad_catalog_pictures_are_skipped_and_counted_in_one_line(tmp_path: Path, encoder_dir):
    (tmp_path / "src" / "posters").mkdir(parents=True)
    (tmp_path / "src" / "posters" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 50)
    half = io.BytesIO()
    poster(1).save(half, "PNG")
    (tmp_path / "src" / "posters" / "cut.png").write_bytes(half.getvalue()[:200])
    (tmp_path / "src" / "posters" / "script.svg").write_text("<svg><script>alert(1)</script></svg>")
    extra = (
        ("m", "posters/none.png"),
        ("b", "posters/broken.png"),
        ("c", "posters/cut.png"),
        ("s", "posters/script.svg"),
        ("u", "https://example.com/poster.jpg"),
        ("e", ""),  # no picture: not a bad one
    )
    data = imported(tmp_path, extra)
    done = run("data", "index-images", data, "--encoder", encoder_dir)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    line = done.stdout.strip()
    assert "\n" not in line and "Indexed 40 of 45 item pictures" in line
    assert "skipped 5 (" in line and "1 missing" in line and "network image fetches are off" in line
    index = index_of(data)
    assert int(index.present.sum()) == 40


@pytest.mark.parametrize("case", ["no pictures", "no encoder", "not an encoder"])
def test_what_cannot_be_indexed_is_one_line_and_exit_2(tmp_path: Path, case: str):
    data = imported(tmp_path)
    encoder = tmp_path / "nothing-here"
    if case == "no pictures":
        items = tmp_path / "src/items.csv"
        items.write_text("id,title\n1,One\n2,Two\n")
        assert run("data", "import", "--items", items, "--out", data).returncode == 0
        write_standin(encoder)
    elif case == "not an encoder":
        encoder.mkdir()
        (encoder / "image.onnx").write_bytes(b"not a model")
    done = run("data", "index-images", data, "--encoder", encoder)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    with pytest.raises(EncoderError if case != "no pictures" else DataError):
        build_image_index(Dataset.open(data), encoder)


def save_sent_picture(data: Path, image: Image.Image) -> str:
    """Store a picture as the perceive step will: a PNG named by its sha256, in state/images."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    ref = hashlib.sha256(buffer.getvalue()).hexdigest()
    folder = Dataset.open(data).state_dir / "images"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ref}.png").write_bytes(buffer.getvalue())
    return ref


def turn(app: ars.App, message: str, images: list[str]) -> dict[str, Any]:
    """One graph turn for user u1 (who has a history), with pictures; the whole state after it."""
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}, "metadata": {"user_id": "u1"}}
    app.graph.invoke(
        {"message": message, "user_id": "u1", "images": images},
        config,
        context=Context(data_dir=str(app.dataset.path)),
    )
    return dict(app.graph.get_state(config).values)


def test_a_turn_with_a_picture_picks_the_item_it_looks_like(catalog: Path):
    app = ars.open(catalog)
    ref = save_sent_picture(catalog, poster(23).resize((100, 150)))
    out = turn(app, "something that looks like this", [ref])
    items, explanations = out["items"], out["explanations"]
    assert isinstance(items, list) and isinstance(explanations, dict)
    assert items[0] == "23", out["reply"]
    assert "looks like the picture you sent" in explanations["23"]
    plan = out["plan"]
    assert [s.tool for s in plan.steps][0] == "looks_like_picture"
    # an item says so only when its picture is closer than the catalog's usual neighbour
    index = app.images
    assert index is not None
    scores = index.picture_scores([poster(23).resize((100, 150))])
    for item in items:
        close = scores[app.dataset.items.index[item]] > index.close_neighbour
        assert ("looks like the picture you sent" in explanations[item]) == close
    far = EvidenceNote(source="picture", score=index.close_neighbour - 0.01, detail="looks like")
    assert not cites_picture(app, far)


def test_a_described_look_is_searched_among_pictures_only_when_words_name_one(catalog: Path):
    app = ars.open(catalog)
    out = turn(app, "a dark, rainy poster", [])
    tools = [s.tool for s in out["plan"].steps]
    assert "text_to_image" in tools
    explanations = out["explanations"]
    assert isinstance(explanations, dict)
    cited = [i for i, e in explanations.items() if 'its picture looks like "' in e]
    assert cited, explanations
    assert all(describe(int(i)).startswith(("black", "blue", "grey")) for i in cited)
    plain = turn(app, "a drama", [])
    assert "text_to_image" not in [s.tool for s in plain["plan"].steps]
    assert not any("picture" in e for e in plain["explanations"].values())


def test_a_turn_without_an_image_index_ignores_pictures(tmp_path: Path):
    data = imported(tmp_path)  # pictures in the catalog, no index built
    app = ars.open(data)
    assert app.images is None
    ref = save_sent_picture(data, poster(4))
    out = turn(app, "something like this", [ref, "../../etc/passwd"])
    assert "looks_like_picture" not in [s.tool for s in out["plan"].steps]


def test_every_tool_has_a_fusion_weight():
    assert set(TOOLS) == set(TOOL_WEIGHTS) and all(w > 0 for w in TOOL_WEIGHTS.values())


def test_an_llm_may_say_a_picture_looks_alike_only_from_the_index(catalog: Path):
    app = ars.open(catalog)
    facts = "Last Harbor (1983): Thriller"
    assert unsupported_claims("its poster is much like the one you sent", facts, app)
    assert unsupported_claims("it looks like your picture", facts, app)
    cited = facts + "; looks like the picture you sent"
    assert not unsupported_claims("it looks like the picture you sent", cited, app)


def test_a_picture_sent_through_the_python_api_finds_its_lookalike(catalog: Path, tmp_path: Path):
    sent = tmp_path / "photo.jpg"
    poster(31).resize((80, 120)).save(sent, quality=80)  # a photo of item 31's poster
    result = ars.open(catalog).session(user_id="new-user").send("one like this", images=[sent])
    assert result.items[0] == "31", result.text
    assert "looks like the picture you sent" in result.explanations["31"]
    assert "pictures that look like it" in result.text  # no vision model, yet not ignored
