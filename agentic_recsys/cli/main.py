"""The `ars` command: one sub-command group per job; every error is one line, never a traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from agentic_recsys.cli import data, evaluate, memory, threads
from agentic_recsys.cli.chat import chat
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.cli.usage import UsageError, usage_line
from agentic_recsys.errors import ArsError

app = typer.Typer(
    name="ars",
    help="agentic-recsys: an agentic recommender you can talk to.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("chat")(chat)
app.add_typer(data.app, name="data")
app.add_typer(evaluate.app, name="eval")
app.add_typer(memory.app, name="memory")
app.add_typer(threads.app, name="threads")

EXIT_USAGE = 2  # bad input: a file, an argument, a dataset that is not there
EXIT_INTERRUPTED = 130


def run() -> None:
    """Entry point of the console script."""
    err = Console(stderr=True)
    try:
        status = app(standalone_mode=False)  # usage errors reach us, to be said in one line
    except UsageError as e:
        if type(e).__name__ != "NoArgsIsHelpError":  # a bare `ars data`: the help is printed
            err.print(
                Text.assemble(("error: ", "bold red"), shown(usage_line(e))),
                highlight=False,
                soft_wrap=True,
            )
        sys.exit(e.exit_code)
    except ArsError as e:
        err.print(Text.assemble(("error: ", "bold red"), shown(e)), highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
