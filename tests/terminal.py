"""`ars chat` in a pseudo-terminal, for the tests that drive it as a person would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect

ARS = str(Path(sys.executable).with_name("ars"))
TIMEOUT = 600  # the first process may build the indexes; other tests share the 2 cores
# A fresh prompt: prompt_toolkit turns on bracketed paste, then draws it (the redraw of an
# accepted line, "you › a funny 90s movie", is not preceded by that switch).
PROMPT = re.compile(r"\x1b\[\?2004h[^\n]*?you › ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


def spawn_chat(env: dict[str, str], *args: str, columns: int = 160) -> pexpect.spawn:
    """Start `ars chat ARGS`; what it prints is shown by pytest when a test fails."""
    child = pexpect.spawn(
        ARS,
        ["chat", *args],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, columns),
        use_poll=True,  # late in a full run the test process may hold over 1024 descriptors
    )
    child.logfile_read = sys.stdout
    return child


def until_prompt(child: pexpect.spawn) -> str:
    """Everything printed up to the next prompt, without terminal escapes."""
    child.expect(PROMPT)
    return ANSI.sub("", child.before)


def say(child: pexpect.spawn, line: str) -> str:
    """Type a line; return what the chat printed before its next prompt."""
    child.sendline(line)
    return until_prompt(child)


def piped_chat(data: Path, stdin: str | bytes, *args: str) -> subprocess.CompletedProcess[Any]:
    """Run `ars chat ARGS` on `data` with no LLM and `stdin` as its whole input (no terminal);
    output comes back as text when `stdin` is text, else as bytes."""
    return subprocess.run(
        [ARS, "chat", *args],
        input=stdin,
        env={**os.environ, "ARS_DATA": str(data), "ARS_MODEL": "none", "COLUMNS": "200"},
        capture_output=True,
        text=isinstance(stdin, str),
        timeout=TIMEOUT,
        check=False,
    )
