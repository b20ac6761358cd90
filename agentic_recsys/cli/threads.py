"""`ars threads`: list, read and delete a user's stored conversations (`threads.sqlite`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from langgraph.checkpoint.sqlite import SqliteSaver
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentic_recsys import threads
from agentic_recsys.cli.memory import DEFAULT_DATA, DataDir, User, stored_threads
from agentic_recsys.errors import ArsError
from agentic_recsys.session import list_threads

app = typer.Typer(help="List, read and delete a user's conversations.", no_args_is_help=True)
console = Console()

Thread = Annotated[str, typer.Option("--thread", help="The conversation's id (see `list`).")]


@app.command("list")
def list_(user: User, data: DataDir = DEFAULT_DATA) -> None:
    """List the user's conversations, most recent first."""
    saver = stored_threads(data)
    found = [] if saver is None else list_threads(saver, user)
    table = Table(title=f"conversations of {user!r}: {len(found)}")
    for column in ("thread", "turns", "last message"):
        table.add_column(column)
    for t in found:  # Text(): what a user said is data, never markup
        table.add_row(t.thread_id, str(t.turns), Text(t.last_message))
    console.print(table)


@app.command("show")
def show(user: User, thread: Thread, data: DataDir = DEFAULT_DATA) -> None:
    """Print the messages a conversation keeps (the most recent turns)."""
    saver = _owned(data, user, thread)
    stored = saver.get_tuple({"configurable": {"thread_id": thread}})
    messages = [] if stored is None else stored.checkpoint["channel_values"].get("messages", [])
    for m in messages:
        who = "you" if getattr(m, "type", "") == "human" else "ars"
        console.print(Text(f"{who}: ", style="bold"), Text(str(m.content)), sep="")


@app.command("delete")
def delete(
    user: User,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Only this conversation (default: all).")
    ] = None,
    data: DataDir = DEFAULT_DATA,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete one or all of the user's conversations (long-term memory is kept)."""
    saver = stored_threads(data) if thread is None else _owned(data, user, thread)
    what = f"conversation {thread}" if thread else "every conversation"
    if not yes:
        typer.confirm(f"Delete {what} of user {user!r}?", abort=True)
    if saver is None:
        count = 0
    elif thread is None:
        count = threads.delete_user(saver, user)
    else:
        count = threads.delete(saver, [thread])
    console.print(f"deleted {count} conversations of user {user!r}", highlight=False)


def _owned(data: Path, user: str, thread: str) -> SqliteSaver:
    saver = stored_threads(data)
    if saver is None or thread not in threads.of_user(saver, user):
        raise ArsError(f"user {user!r} has no conversation {thread!r}; see `ars threads list`")
    return saver
