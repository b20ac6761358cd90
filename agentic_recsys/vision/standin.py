"""A stand-in CLIP pair, written as real ONNX: colour and layout statistics, not a vision model.

No CLIP weights can be had here (see issue 15), so tests and benchmarks run the whole
encoder path (ONNX towers on onnxruntime, a tokenizer, the index, the tools) with this:

- its image tower sees a soft colour histogram over 11 named colours, the overall
  brightness, and a 4x4 grid of where the picture is lighter or darker than its average;
- its text tower knows only words for those ("red", "dark", "rainy", "bright top") and
  maps each to the vector a picture of that would have; any other word is a zero vector,
  so a message that names no look matches nothing.

It finds a poster by its colours and layout and nothing else: it knows no objects, faces
or styles. It is named "stand-in" wherever an encoder is shown. Writing it needs the
`onnx` package (`pip install 'agentic-recsys[standin]'`); running it needs onnxruntime only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from agentic_recsys.vision.encoder import (
    IMAGE_TOWER,
    PREPROCESS,
    TEXT_TOWER,
    TOKENIZER,
    EncoderError,
)

NAME = "stand-in colour-and-layout encoder"
SIZE = 32  # pixels a side: colours and a coarse layout need no more
GRID = 4  # the layout grid is GRID x GRID cells
TEMPERATURE = 0.02  # how sharply a pixel is assigned to its nearest named colour
COLOURS = {  # RGB in [0, 1]
    "black": (0.05, 0.05, 0.05),
    "white": (0.95, 0.95, 0.95),
    "grey": (0.5, 0.5, 0.5),
    "red": (0.85, 0.1, 0.1),
    "orange": (0.95, 0.55, 0.1),
    "yellow": (0.95, 0.9, 0.15),
    "green": (0.15, 0.65, 0.2),
    "blue": (0.15, 0.3, 0.85),
    "purple": (0.55, 0.2, 0.7),
    "pink": (0.95, 0.55, 0.75),
    "brown": (0.5, 0.3, 0.12),
}
LUMA = (0.299, 0.587, 0.114)
# How much each block counts in the cosine: colours, brightness, layout.
W_COLOUR, W_BRIGHT, W_LAYOUT = 1.0, 0.7, 1.5
K = len(COLOURS)
DIM = K + 2 + GRID * GRID
OPSET, IR_VERSION = 17, 8  # what onnxruntime >= 1.18 reads

# A word is the picture it describes: weights on named colours, brightness, layout.
LOOKS: dict[str, dict[str, float]] = {
    "dark": {"dark": 1.0, "black": 0.5},
    "bright": {"bright": 1.0, "white": 0.3, "yellow": 0.3},
    "light": {"bright": 1.0, "white": 0.4},
    "pale": {"bright": 0.5, "white": 0.5},
    "rain": {"grey": 0.7, "blue": 0.5, "dark": 0.5},
    "storm": {"grey": 0.6, "black": 0.4, "dark": 0.7},
    "gloomy": {"grey": 0.7, "dark": 0.7},
    "night": {"black": 1.0, "blue": 0.5, "dark": 1.0},
    "sunny": {"yellow": 1.0, "orange": 0.5, "bright": 0.8},
    "fire": {"red": 1.0, "orange": 0.8},
    "forest": {"green": 1.0, "brown": 0.5},
    "sea": {"blue": 1.0},
    "sky": {"blue": 0.8, "bright": 0.4},
    "snow": {"white": 1.0, "bright": 0.8},
    "top": {"top": 1.0},
    "bottom": {"bottom": 1.0},
    "left": {"left": 1.0},
    "right": {"right": 1.0},
    "centre": {"centre": 1.0},
    **{name: {name: 1.0} for name in COLOURS},
}
SAME_AS = {
    "gray": "grey", "rainy": "rain", "raining": "rain", "stormy": "storm", "sun": "sunny",
    "fiery": "fire", "ocean": "sea", "snowy": "snow", "center": "centre", "middle": "centre",
    "upper": "top", "lower": "bottom", "darker": "dark", "brighter": "bright", "violet": "purple",
}  # fmt: skip


def write_standin(folder: Path | str) -> Path:
    """Write the stand-in pair (image.onnx, text.onnx, tokenizer.json, preprocess.json)."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise EncoderError(
            "writing the stand-in encoder needs the onnx package: "
            "pip install 'agentic-recsys[standin]'"
        ) from None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / IMAGE_TOWER).write_bytes(_image_tower())
    words = sorted({*LOOKS, *SAME_AS})
    (folder / TEXT_TOWER).write_bytes(_text_tower(words))
    _write_tokenizer(folder / TOKENIZER, words)
    preprocess = {
        "name": NAME,
        "stand_in": True,
        "size": SIZE,
        "crop": False,  # a poster's top and bottom are part of its layout
        "resample": "box",
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "max_tokens": 32,
    }
    (folder / PREPROCESS).write_text(json.dumps(preprocess, indent=2) + "\n", encoding="utf-8")
    return folder


def word_vector(word: str) -> np.ndarray:
    """The vector a picture that `word` describes would have (zeros for an unknown word)."""
    looks = LOOKS.get(SAME_AS.get(word, word), {})
    v = np.zeros(DIM, dtype=np.float32)
    names = list(COLOURS)
    for part, weight in looks.items():
        if part in COLOURS:
            v[names.index(part)] += W_COLOUR * weight
        elif part in ("bright", "dark"):
            v[K + (part == "dark")] += W_BRIGHT * weight
        else:
            v[K + 2 :] += W_LAYOUT * weight * _layout(part).ravel()
    return v


def _layout(where: str) -> np.ndarray:
    """A GRID x GRID pattern: lighter where `where` says, darker elsewhere, mean zero."""
    rows, cols = np.mgrid[0:GRID, 0:GRID]
    half = GRID / 2 - 0.5
    lit = {
        "top": rows < GRID / 2,
        "bottom": rows >= GRID / 2,
        "left": cols < GRID / 2,
        "right": cols >= GRID / 2,
        "centre": (abs(rows - half) < 1) & (abs(cols - half) < 1),
    }[where]
    pattern = np.where(lit, 1.0, -1.0)
    return (pattern - pattern.mean()) * 0.25


def _image_tower() -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    colours = np.asarray(list(COLOURS.values()), dtype=np.float32)
    consts: dict[str, np.ndarray] = {
        "colours_t": colours.T.copy(),
        "colour_norms": (colours**2).sum(axis=1),
        "neg_two": np.asarray(-2.0, np.float32),
        "inv_temp": np.asarray(-1.0 / TEMPERATURE, np.float32),
        "luma": np.asarray(LUMA, np.float32).reshape(1, 3, 1, 1),
        "one": np.asarray(1.0, np.float32),
        "w_colour": np.asarray(W_COLOUR, np.float32),
        "w_bright": np.asarray(W_BRIGHT, np.float32),
        "w_layout": np.asarray(W_LAYOUT, np.float32),
        "eps": np.asarray(1e-12, np.float32),
        "pixels_shape": np.asarray([0, -1, 3], np.int64),
        "grid_shape": np.asarray([0, GRID * GRID], np.int64),
        "last_axis": np.asarray([-1], np.int64),
    }
    node = helper.make_node
    cell = SIZE // GRID
    nodes = [
        # a soft histogram of named colours over 16x16 pooled pixels
        node("AveragePool", ["pixels"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Transpose", ["pooled"], ["hwc"], perm=[0, 2, 3, 1]),
        node("Reshape", ["hwc", "pixels_shape"], ["flat"]),
        node("Mul", ["flat", "flat"], ["flat_sq"]),
        node("ReduceSum", ["flat_sq", "last_axis"], ["sq"], keepdims=1),
        node("MatMul", ["flat", "colours_t"], ["cross"]),
        node("Mul", ["cross", "neg_two"], ["cross2"]),
        node("Add", ["sq", "cross2"], ["d0"]),
        node("Add", ["d0", "colour_norms"], ["dist"]),
        node("Mul", ["dist", "inv_temp"], ["logits"]),
        node("Softmax", ["logits"], ["soft"], axis=-1),
        node("ReduceMean", ["soft"], ["hist"], axes=[1], keepdims=0),
        node("Sqrt", ["hist"], ["hist_sqrt"]),
        node("Mul", ["hist_sqrt", "w_colour"], ["colour_block"]),
        # overall brightness, as "bright" and "dark"
        node("Conv", ["pixels", "luma"], ["lum"]),
        node("ReduceMean", ["lum"], ["b"], axes=[2, 3], keepdims=0),
        node("Sub", ["one", "b"], ["not_b"]),
        node("Concat", ["b", "not_b"], ["bd"], axis=1),
        node("Mul", ["bd", "w_bright"], ["bright_block"]),
        # where it is lighter or darker than its average, on a coarse grid
        node("AveragePool", ["lum"], ["cells"], kernel_shape=[cell, cell], strides=[cell, cell]),
        node("Reshape", ["cells", "grid_shape"], ["grid"]),
        node("Sub", ["grid", "b"], ["grid_centred"]),
        node("Mul", ["grid_centred", "w_layout"], ["layout_block"]),
        node("Concat", ["colour_block", "bright_block", "layout_block"], ["emb"], axis=1),
        *_normalise_nodes("emb", "image_embeds"),
    ]
    graph = helper.make_graph(
        nodes,
        "standin_image_tower",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch", DIM])],
        [numpy_helper.from_array(v, name) for name, v in consts.items()],
    )
    return _serialise(graph)


def _text_tower(words: list[str]) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    table = np.zeros((len(words) + 2, DIM), dtype=np.float32)  # rows 0, 1: [PAD], [UNK]
    for i, word in enumerate(words, start=2):
        table[i] = word_vector(word)
    consts: dict[str, np.ndarray] = {
        "table": table,
        "token_axis": np.asarray([1], np.int64),
        "last_axis": np.asarray([2], np.int64),
        "eps": np.asarray(1e-12, np.float32),
    }
    node = helper.make_node
    nodes = [
        node("Gather", ["table", "input_ids"], ["vectors"], axis=0),
        node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        node("Unsqueeze", ["mask_f", "last_axis"], ["mask3"]),
        node("Mul", ["vectors", "mask3"], ["kept"]),
        node("ReduceSum", ["kept", "token_axis"], ["summed"], keepdims=0),
        *_normalise_nodes("summed", "text_embeds"),
    ]
    graph = helper.make_graph(
        nodes,
        "standin_text_tower",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch", DIM])],
        [numpy_helper.from_array(v, name) for name, v in consts.items()],
    )
    return _serialise(graph)


def _normalise_nodes(x: str, out: str) -> list[Any]:
    from onnx import helper

    return [
        helper.make_node("ReduceL2", [x], [f"{x}_norm"], axes=[1], keepdims=1),
        helper.make_node("Max", [f"{x}_norm", "eps"], [f"{x}_safe"]),
        helper.make_node("Div", [x, f"{x}_safe"], [out]),
    ]


def _serialise(graph: Any) -> bytes:
    import onnx
    from onnx import helper

    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="agentic-recsys"
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model.SerializeToString(deterministic=True)


def _write_tokenizer(path: Path, words: list[str]) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: i for i, w in enumerate(words, start=2)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(path))
