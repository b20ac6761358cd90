"""`ars memory`: see, export and delete what the recommender remembers about a user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from langgraph.checkpoint.sqlite import SqliteSaver
from rich.console import Console
from rich.table import Table

from agentic_recsys import threads
from agentic_recsys.app import THREADS_FILE
from agentic_recsys.cli.screen_text import clean, shown
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.memory import MemoryStore
from agentic_recsys.memory.store import URL_ENV
from agentic_recsys.session import open_checkpointer

app = typer.Typer(help="See, export and delete a user's long-term memory.", no_args_is_help=True)
console = Console()

User = Annotated[str, typer.Option("--user", help="Whose memory.")]
DataDir = Annotated[
    Path, typer.Option("--data", envvar="ARS_DATA", help="Dataset folder (memory is kept in it).")
]
ChromaUrl = Annotated[
    str | None,
    typer.Option("--chroma-url", envvar=URL_ENV, help="A Chroma server, e.g. http://host:8000."),
]
DEFAULT_DATA = Path("data/ml-100k")


@app.command("show")
def show(user: User, data: DataDir = DEFAULT_DATA, chroma_url: ChromaUrl = None) -> None:
    """Show everything remembered about a user, as a table."""
    memories = _store(data, chroma_url).show(user)
    table = Table(title=shown(f"memory of {user!r}: {len(memories)} records"))
    for column in ("kind", "key", "text", "updated"):
        table.add_column(column)
    for m in memories:  # a memory is data, never markup or terminal control
        table.add_row(m.kind, shown(m.key), shown(m.text), m.updated.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@app.command("export")
def export(
    user: User,
    data: DataDir = DEFAULT_DATA,
    chroma_url: ChromaUrl = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write here, not to stdout.")] = None,
) -> None:
    """Export everything remembered about a user, as JSON."""
    records = _store(data, chroma_url).export(user)
    text = json.dumps(records, indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    console.print(shown(f"exported {len(records)} memories to {out}"), highlight=False)


@app.command("delete")
def delete(
    user: User,
    data: DataDir = DEFAULT_DATA,
    chroma_url: ChromaUrl = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget everything remembered about a user, and their conversations (others are untouched)."""
    store = _store(data, chroma_url)
    if not yes:
        typer.confirm(clean(f"Forget everything remembered about user {user!r}?"), abort=True)
    memories = store.delete(user)
    saver = stored_threads(data)  # conversations hold what they said: they go too
    conversations = 0 if saver is None else threads.delete_user(saver, user)
    console.print(
        shown(f"deleted {memories} memories and {conversations} conversations of user {user!r}"),
        highlight=False,
    )


def stored_threads(data: Path) -> SqliteSaver | None:
    """The dataset's stored conversations; None when none was ever stored."""
    path = Dataset.open(data).state_dir / THREADS_FILE
    return open_checkpointer(path) if path.is_file() else None


def _store(data: Path, chroma_url: str | None) -> MemoryStore:
    return MemoryStore.for_dataset(Dataset.open(data), chroma_url)
