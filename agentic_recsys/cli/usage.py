"""Mistakes on the command line, said the way the README promises: one line, exit status 2.

Typer prints a usage error as a usage line, a hint and a boxed message, and spells a
required argument `{path}` in usage lines; here the usage line reads `... [OPTIONS] PATH`
and the error is `error: Missing argument 'PATH'. Usage: ars data info [OPTIONS] PATH`.
"""

from __future__ import annotations

import re
from typing import Any, cast

import typer
from typer.core import TyperCommand

# Typer carries its own copy of click and exports only BadParameter of its errors; their
# common base, UsageError, is every mistake on the command line (a missing argument or
# option, an unknown one, a bad value).
UsageError = cast("type[typer.BadParameter]", typer.BadParameter.__mro__[1])
_WRAPPED = re.compile(r"^\{(.+)\}(\.\.\.)?$")  # typer's `{path}`, `{files}...`


class Command(TyperCommand):
    """A command whose usage line names its arguments in capitals: `PATH`, `[FILE]`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage pieces, with each argument spelled as a metavar."""
        return [_metavar(piece) for piece in super().collect_usage_pieces(ctx)]


def _metavar(piece: str) -> str:
    m = _WRAPPED.match(piece)
    if m:
        return m.group(1).upper() + (m.group(2) or "")
    if piece.startswith("[") and piece != "[OPTIONS]":
        return piece.upper()
    return piece


def usage_line(error: typer.BadParameter) -> str:
    """A usage error in one line: what is wrong, then how the command is used."""
    message = error.format_message().rstrip(".")
    ctx = error.ctx
    if ctx is None:
        return f"{message}; see `ars --help`"
    usage = " ".join(ctx.get_usage().split())  # "Usage: ars data info [OPTIONS] PATH"
    return f"{message}. {usage}"
