"""How the eval commands print: whole tables when piped, a progress bar on a terminal only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

UNBOUNDED = 10_000  # columns a table may measure itself in


def print_table(console: Console, table: Table) -> None:
    """Print a table; piped or redirected it gets the width it needs.

    Rich gives a console that is not a terminal 80 columns and cuts cells to "1.…" to fit.
    """
    if console.is_terminal:
        console.print(table)
        return
    width = console.measure(table, options=console.options.update_width(UNBOUNDED)).maximum
    Console(file=console.file, width=max(width, console.width)).print(table)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr when it is a terminal; elsewhere a no-op."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
