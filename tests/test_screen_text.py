"""Text from a catalog or a user is data on screen: never markup, never terminal control.

Found by hand: a title "[/]" broke every reply that showed it, "[link=...]" hid a link,
`--user '[/bold]x'` crashed `ars chat` at start, and escape sequences in titles and
memories reached the terminal (also through `ars memory show`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from terminal import piped_chat
from typer.testing import CliRunner

from agentic_recsys.cli.chat_render import banner, items_table, show_reply, threads_table
from agentic_recsys.cli.main import app as ars_app
from agentic_recsys.cli.screen_text import clean
from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.memory import MemoryStore
from agentic_recsys.session import ThreadInfo, TurnResult
from agentic_recsys.turn.context import Context
from agentic_recsys.understanding.schema import Preference

HOSTILE_TITLES = {
    "1": "[/]",
    "2": "[link=http://x]a[/link]",
    "3": "\x1b[31mred",
    "4": "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",
    "5": "\x1b]0;owned\x07title",
    "6": "cl\x1b[2Jear\x1bc",
    "7": "\x9b31m8bit\u202eevil",
    "8": "[bold red]shout",
}
SHOWN_AS = {
    "1": "[/]",
    "2": "[link=http://x]a[/link]",
    "3": "red",
    "4": "click",
    "5": "title",
    "6": "clear",
    "7": "8bitevil",
    "8": "[bold red]shout",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    items = [
        ItemRecord(id=i, title=t, year=1990, genres=("[/]Drama",))
        for i, t in HOSTILE_TITLES.items()
    ]
    out = tmp_path_factory.mktemp("hostile") / "[red]cat\x1b[5m"
    events = [InteractionRecord(user="u", item=i) for i in HOSTILE_TITLES]
    return Dataset.open(write_dataset(out, "[/]name\x1b[31m", items, events))


def terminal() -> Console:
    """A console that writes colour, as a real terminal gets; only rich's own escapes appear."""
    return Console(width=200, record=True, force_terminal=True, color_system="truecolor")


def plain_output(console: Console) -> str:
    return console.export_text(styles=False)


def test_clean_removes_every_control_and_keeps_the_words() -> None:
    for item, text in HOSTILE_TITLES.items():
        assert clean(text) == SHOWN_AS[item]
    assert clean("用户-🎬 line\nnext\tcol\r\x00\x07\x7f") == "用户-🎬 line\nnext col"


def test_titles_and_genres_render_literally(hostile: Dataset) -> None:
    ids = list(HOSTILE_TITLES)
    result = TurnResult(
        text="Picks for you:\n" + "\n".join(HOSTILE_TITLES.values()),
        items=ids,
        explanations={i: f"because {HOSTILE_TITLES[i]}" for i in ids},
        question="[/]more?\x1b[1m",
        models=[],
        thread_id="t",
        seconds=0.0,
    )
    console = terminal()
    console.print(items_table(hostile.items, ids, result.explanations))
    show_reply(console, hostile.items, result, paced=False)
    text = plain_output(console)
    for item in ids:
        assert SHOWN_AS[item] in text
    assert "[/]Drama" in text and "[/]more?" in text
    # the only escape sequences are rich's own styling, none from the data
    styled = console.export_text(styles=True)
    for seq in ("\x1b[31m", "\x1b]", "\x1b[2J", "\x1bc", "\x9b", "\u202e", "\x07"):
        assert seq not in styled, repr(seq)
    assert "http://evil" not in text


def test_a_hostile_user_id_shows_in_the_banner_as_typed(hostile: Dataset) -> None:
    console = terminal()
    console.print(banner(hostile, Context(), "[/bold]x\x1b[31m", "[/]t", resumed=False))
    console.print(threads_table([ThreadInfo("[/]t", 1, "[link=http://x]hi\x1b[5m")], "[/]t"))
    text = plain_output(console)
    assert "[/bold]x" in text and "[/]name" in text and "[link=http://x]hi" in text
    assert "\x1b[5m" not in text and "\x1b[31m" not in text


def test_memory_show_prints_memories_as_text(hostile: Dataset) -> None:
    user = "[/bold]x\x1b]0;t\x07"
    MemoryStore.for_dataset(hostile).remember_turn(
        user,
        preferences=[
            Preference(key="tag:[/]", polarity="avoid", text="\x1b[2J[link=http://x]no[/link]")
        ],
    )
    result = CliRunner().invoke(
        ars_app,
        ["memory", "show", "--user", user, "--data", str(hostile.path)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "[link=http://x]no[/link]" in result.output and "[/bold]x" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


@pytest.mark.slow
def test_chat_starts_for_a_markup_user_id(ml100k_copy: Path) -> None:
    run = piped_chat(ml100k_copy, "/quit\n", "--user", "[/bold]x")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "user [/bold]x" in run.stdout
