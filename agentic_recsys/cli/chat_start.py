"""Starting `ars chat`: open the dataset and the models, then hand over to the chat.

Startup is where the waiting is (indexes built on first use, models loaded), so each
long step shows a progress bar or a spinner.
"""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from agentic_recsys import app as apps
from agentic_recsys.app import App
from agentic_recsys.cli.chat_commands import help_lines
from agentic_recsys.cli.chat_input import line_reader, user_history
from agentic_recsys.cli.chat_json import run_json
from agentic_recsys.cli.chat_render import banner
from agentic_recsys.cli.chat_screen import ChatScreen
from agentic_recsys.cli.chat_turns import load_models, open_session
from agentic_recsys.data.dataset import META_FILE, STATE_DIR
from agentic_recsys.errors import ArsError, UserIdError, require_user_id
from agentic_recsys.llm import parse_spec
from agentic_recsys.perception.images import urls_allowed
from agentic_recsys.session import Session
from agentic_recsys.turn.context import Context

LOG_FILE = "chat.log"


def start_chat(
    data: Path,
    user: str | None,
    thread: str | None,
    model: str | None,
    json_mode: bool,
    vision_model: str | None = None,
    allow_image_urls: bool = False,
) -> None:
    """Open everything the chat needs, then chat (or answer JSON lines) until the end."""
    user = require_user_id(login_name() if user is None else user)
    console = Console(stderr=json_mode, highlight=False, no_color=json_mode)
    context = Context(data_dir=str(data))
    if model:
        context.model = parse_spec(model).text
    if vision_model:
        context.vision_model = parse_spec(vision_model).text
    load_models(context, console)  # first: a missing API key should not wait for an index
    app = open_app(data, console)
    session = open_session(app, user, thread, context, allow_image_urls or urls_allowed())
    if json_mode:
        run_json(app, session, sys.stdin.buffer, sys.stdout)  # bytes: bad UTF-8 is one line
    else:
        run_screen(console, app, session)


def login_name() -> str:
    """Who is logged in, the chat's user unless --user says otherwise (never a shared default)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        raise UserIdError("cannot tell who you are: pass --user ID") from None


def open_app(data: Path, console: Console) -> App:
    """Open the dataset, with a progress bar on a terminal while indexes are built.

    Elsewhere (`--json`, stderr piped) no bar: rich ends even a transient one with a line.
    What the engines warn of while building goes to the chat log, like every later warning.
    """
    if not (data / META_FILE).is_file():
        raise ArsError(
            f"no dataset in {data}: prepare MovieLens-100K with "
            f"`ars data movielens-100k --out {data}`, or pass --data DIR"
        )
    log_to_file(data / STATE_DIR / LOG_FILE)
    if not console.is_terminal:
        return apps.open(data)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"opening {data}", total=1.0)

        def report(step: str, fraction: float) -> None:
            progress.update(task, description=step, completed=fraction)

        return apps.open(data, progress=report)


def log_to_file(path: Path) -> None:
    """Send library warnings to a file, not across the conversation.

    A chat user is rarely a dataset user, so the engines' "unknown user" warning is routine.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=path,
        level=logging.WARNING,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def run_screen(console: Console, app: App, session: Session) -> None:
    """Run the interactive chat: the banner, the last reply of a resumed conversation, the loop."""
    resumed = bool(session.values().get("reply"))
    console.print(banner(app.dataset, session.context, session.user_id, session.thread_id, resumed))
    history = user_history(app.dataset.state_dir, session.user_id)
    commands = [h.usage.split()[0] for h in help_lines(app.dataset.schema.domain)]
    screen = ChatScreen(console, app, session, line_reader(history, commands))
    if resumed:
        screen.show_last_reply()
    screen.run()
