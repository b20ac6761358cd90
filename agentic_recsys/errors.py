"""User-facing errors: each prints as one line that says what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class ArsError(RuntimeError):
    """An error a user can act on; the CLI prints it as one line, never a traceback.

    A RuntimeError so that the LangGraph server passes its text on to clients: it sends
    the message of built-in error types only, "An internal error occurred" for others.
    """


class NotYourThreadError(ArsError):
    """A conversation thread opened or sent to by someone other than the user who started it."""


class UserIdError(ArsError, ValueError):
    """A missing, empty or spoofed user id (a ValueError too, so the LangGraph server shows why)."""


def require_user_id(user_id: object) -> str:
    """The user id a conversation or memory belongs to; an ArsError if missing or empty.

    There is no shared default user: two people without an id must never share one.
    """
    if not isinstance(user_id, str) or not user_id.strip():
        raise UserIdError("a user id is needed (and must not be empty): pass --user ID or user_id=")
    return user_id


class DataError(ArsError):
    """Bad input data, reported as one line a user can act on."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.field = field
        self.message = " ".join(message.split())  # one line, whatever a library said
        where = [str(self.path)] if self.path is not None else []
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {self.message}" if where else self.message)
