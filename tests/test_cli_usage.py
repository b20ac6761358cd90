"""Mistakes on the `ars` command line: one line on stderr, exit status 2, usage in capitals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ARS = Path(sys.executable).with_name("ars")


def ars(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ARS, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("data", "info"), "error: Missing argument 'path'. Usage: ars data info [OPTIONS] PATH"),
        (("data", "import", "--items", "books.csv"), "error: Missing option '--out'."),
        (("eval", "dialogues"), "Usage: ars eval dialogues [OPTIONS] FILE"),
        (("data", "--bogus"), "error: No such option: --bogus."),
        (("data", "infoo"), "error: No such command 'infoo'."),
    ],
)
def test_a_usage_error_is_one_line_with_exit_status_2(args: tuple[str, ...], says: str) -> None:
    run = ars(*args)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and says in run.stderr, run.stderr
    assert "{" not in run.stderr and "╭" not in run.stderr


def test_usage_lines_name_arguments_in_capitals() -> None:
    run = ars("data", "info", "--help")
    assert run.returncode == 0
    assert "ars data info [OPTIONS] PATH" in run.stdout and "{path}" not in run.stdout


def test_a_bare_group_still_shows_its_help() -> None:
    run = ars("data")
    assert run.returncode == 2 and "import" in run.stdout and run.stderr == ""
