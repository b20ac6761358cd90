"""Who is calling the LangGraph server, and what they may touch: their own threads, runs, crons.

`langgraph.json` points the server here. Every request must carry
`Authorization: Bearer <token>`; the token names the user:

- `ARS_AUTH_TOKENS=FILE`: a JSON object of token -> user id, read at start (keep it private).
- `ARS_AUTH=dev`: for development on one machine only, `Bearer user:<id>` is user <id>.

With neither, every request is refused: there is no anonymous or shared default user.
A thread records its owner when created; threads, runs and crons are filtered to the
caller's, store items live under the caller's namespace, and assistants are read-only.
The graph takes the user from this identity, never from the run's input.
"""

from __future__ import annotations

import hmac
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from langgraph_sdk import Auth

MODE_ENV, TOKENS_ENV = "ARS_AUTH", "ARS_AUTH_TOKENS"
DEV_MODE, DEV_PREFIX = "dev", "user:"
OWNER = "owner"  # the thread (and run, cron) metadata key naming who it belongs to
MAX_USER_ID = 256

auth = Auth()


class AuthConfigError(ValueError):
    """The server's authentication is not configured, or its token file is unreadable."""


def _refuse(detail: str) -> Auth.exceptions.HTTPException:
    return Auth.exceptions.HTTPException(status_code=401, detail=detail)


@cache
def _tokens() -> dict[str, str]:
    """Token -> user id, from the file in $ARS_AUTH_TOKENS (read once per server process)."""
    path = os.environ.get(TOKENS_ENV, "")
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise AuthConfigError(f"{TOKENS_ENV}={path}: cannot read it ({e})") from None
    if not isinstance(table, dict) or not all(
        isinstance(t, str) and t and isinstance(u, str) and u.strip() for t, u in table.items()
    ):
        raise AuthConfigError(f"{TOKENS_ENV}={path}: must be a JSON object of token -> user id")
    return table


def user_for(authorization: str | None) -> str:
    """The user an Authorization header names; raises the 401 to send back otherwise."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _refuse("send Authorization: Bearer <token>")
    if os.environ.get(MODE_ENV, "") == DEV_MODE:
        user = token.removeprefix(DEV_PREFIX).strip() if token.startswith(DEV_PREFIX) else ""
        if not user or len(user) > MAX_USER_ID:
            raise _refuse(f"{MODE_ENV}=dev: send Authorization: Bearer user:<id>")
        return user
    if not os.environ.get(TOKENS_ENV):
        raise _refuse(
            f"no users configured on the server: set {TOKENS_ENV}=FILE (or {MODE_ENV}=dev)"
        )
    try:
        table = _tokens()
    except AuthConfigError as e:
        raise _refuse(str(e)) from None
    # compare with every token, in constant time each, so timing tells nothing
    found = [user for known, user in table.items() if hmac.compare_digest(known, token)]
    if not found:
        raise _refuse("unknown token")
    return found[0]


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    """Every request: the user its bearer token names, or 401."""
    return {"identity": user_for(authorization)}


@auth.on
async def deny_the_rest(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """Anything not allowed below is refused (403)."""
    return False


@auth.on.threads
async def own_threads(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    """Threads and their runs: created with the caller as owner, else filtered to theirs."""
    return _owned(ctx, value)


@auth.on.crons
async def own_crons(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    """Crons: as threads."""
    return _owned(ctx, value)


@auth.on.assistants.read
async def read_assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """Everyone may read the graph's assistants; nobody may create or change one over HTTP."""
    return True


@auth.on.assistants.search
async def search_assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """As reading."""
    return True


@auth.on.store
async def own_store(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Store items live under the caller's namespace, whatever namespace was asked for."""
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        value["namespace"] = (ctx.user.identity, *namespace)


def _owned(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    owner = {OWNER: ctx.user.identity}
    if ctx.action in ("create", "create_run") and isinstance(value, dict):
        # in place: the server goes on with this dict; it replaces any owner the client wrote
        metadata = value.get("metadata")
        if metadata is None:
            metadata = value["metadata"] = {}
        metadata.update(owner)
    return owner
