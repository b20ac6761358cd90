"""The CLIP-style encoder folder as real exports come: fixed shapes, CLIP's crop, no text tower."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image, ImageDraw
from posters import poster

from agentic_recsys.vision.encoder import ClipEncoder, EncoderError
from agentic_recsys.vision.standin import write_standin


def fix_dims(path: Path, dims: dict[int, int]) -> None:
    """Export-style fixed sizes: set dimension i of every input to dims[i]."""
    model = onnx.load(str(path))
    for value in model.graph.input:
        for i, size in dims.items():
            value.type.tensor_type.shape.dim[i].dim_value = size
    onnx.save(model, str(path))


def test_towers_exported_with_a_fixed_batch_and_token_length_work(tmp_path: Path):
    free = ClipEncoder(write_standin(tmp_path / "free"))
    fixed_dir = write_standin(tmp_path / "fixed")
    fix_dims(fixed_dir / "image.onnx", {0: 1})  # one picture per call
    fix_dims(fixed_dir / "text.onnx", {1: 16})  # 16 tokens, padded
    fixed = ClipEncoder(fixed_dir)
    pictures = [poster(i) for i in range(5)]
    assert np.allclose(fixed.embed_images(pictures), free.embed_images(pictures), atol=1e-6)
    texts = ["red", "a dark, rainy poster", "bright top left"]
    assert np.allclose(fixed.embed_texts(texts), free.embed_texts(texts), atol=1e-6)


def test_clip_preprocessing_cuts_the_centre_of_a_tall_picture(tmp_path: Path):
    folder = write_standin(tmp_path / "crop")
    config = json.loads((folder / "preprocess.json").read_text())
    (folder / "preprocess.json").write_text(json.dumps({**config, "crop": True}))
    tall = Image.new("RGB", (100, 300), (250, 250, 250))  # white top and bottom thirds
    ImageDraw.Draw(tall).rectangle((0, 100, 100, 200), fill=(0, 0, 0))
    pixels = ClipEncoder(folder).pixels([tall])
    assert pixels.shape == (1, 3, 32, 32)
    assert pixels.mean() < 0.05  # only the black middle is left


def test_an_encoder_without_a_text_tower_searches_by_picture_only(tmp_path: Path):
    folder = write_standin(tmp_path / "images-only")
    (folder / "text.onnx").unlink()
    encoder = ClipEncoder(folder)
    assert not encoder.has_text
    assert encoder.embed_images([poster(0)]).shape == (1, encoder.dim)
    with pytest.raises(EncoderError, match="no text tower"):
        encoder.embed_texts(["red"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": 4}, "not a valid preprocess file"),
        ({"resample": "lanczos9"}, "not a valid preprocess file"),
        ({"surprise": 1}, "not a valid preprocess file"),
    ],
)
def test_a_bad_preprocess_file_is_one_line(tmp_path: Path, change: dict[str, object], message):
    folder = write_standin(tmp_path / "bad")
    config = json.loads((folder / "preprocess.json").read_text())
    (folder / "preprocess.json").write_text(json.dumps({**config, **change}))
    with pytest.raises(EncoderError, match=message) as err:
        ClipEncoder(folder)
    assert "\n" not in str(err.value)
