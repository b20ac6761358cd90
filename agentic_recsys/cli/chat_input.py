"""Reading the user's lines: prompt_toolkit on a terminal, plain `input()` otherwise.

On a terminal there is line editing, a history kept across sessions (one file per user:
Up must never bring back what someone else typed), and completion of the slash commands.
Piped input (scripts, tests) is read as is.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Protocol

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory

PROMPT = "you › "
HISTORY_DIR = "chat_histories"  # in the dataset's state folder; one file per user


class LineReader(Protocol):
    """Reads one line; EOFError on Ctrl-D, KeyboardInterrupt on Ctrl-C."""

    def read(self) -> str:
        """Return the next line the user typed."""
        ...


class TerminalReader:
    """Line editing, persistent history and command completion with prompt_toolkit."""

    def __init__(self, history_file: Path, commands: list[str]) -> None:
        history_file.parent.mkdir(parents=True, exist_ok=True)
        self._session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history_file)),
            completer=WordCompleter(commands, sentence=True),
            complete_while_typing=False,
        )

    def read(self) -> str:
        """Prompt and return the line."""
        return self._session.prompt(FormattedText([("bold ansigreen", PROMPT)]))


class PlainReader:
    """`input()` for piped stdin: no prompt echo games, no terminal queries."""

    def __init__(self, prompt: str = "") -> None:
        self._prompt = prompt

    def read(self) -> str:
        """Read the next line of stdin."""
        return input(self._prompt)


def user_history(state_dir: Path, user_id: str) -> Path:
    """The user's input history, named from a hash of the id (no id can name another's file)."""
    digest = hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return state_dir / HISTORY_DIR / f"{digest}.txt"


def line_reader(history_file: Path, commands: list[str]) -> LineReader:
    """Return the best reader this stdin allows; on a terminal `commands` complete."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return TerminalReader(history_file, commands)
    return PlainReader()
