"""`ars chat --json`: messages in on stdin, one line each; one JSON object per turn out.

For scripts: nothing but JSON lines on stdout, no banner, no colour. Item commands
(`/like 2`, `/more`) and `/image PATH [words]` work as in the chat; `/new` starts a new
conversation and `/quit` ends; the commands that talk to a person answer with an error
object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from agentic_recsys.cli.chat_commands import Local, parse_line, pasted_pictures, readable
from agentic_recsys.cli.chat_render import item_facts
from agentic_recsys.cli.chat_turns import open_session
from agentic_recsys.errors import ArsError

if TYPE_CHECKING:
    from agentic_recsys.app import App
    from agentic_recsys.session import Session, TurnResult


def turn_record(app: App, message: str, result: TurnResult) -> dict[str, Any]:
    """One turn as a JSON-able object."""
    return {
        "message": message,
        "reply": result.text,
        "items": item_facts(app.dataset.items, result.items, result.explanations),
        "question": result.question,
        "unmet": result.unmet,
        "models": [use.model_dump() for use in result.models],
        "llm_calls": result.llm_calls,
        "seconds": round(result.seconds, 3),
        "thread_id": result.thread_id,
    }


def run_json(app: App, session: Session, lines: Iterable[str | bytes], out: IO[str]) -> None:
    """Answer every line of `lines` with one JSON object on `out`, until /quit or the end.

    Lines may come as bytes (stdin): one that is not UTF-8 gets an error object (see
    `parse_line`), and the lines after it are answered as usual.
    """
    for raw in lines:
        line = raw if isinstance(raw, str) else raw.decode("utf-8", "surrogateescape")
        if not line.strip():
            continue
        record: dict[str, Any]
        try:
            shown = len(session.values().get("shown", []))
            command = parse_line(line, app.dataset.schema.domain, shown)
            if isinstance(command, Local):
                if command.name == "quit":
                    return
                if command.name != "new":
                    raise ArsError(f"/{command.name} is not available with --json")
                session = open_session(
                    app, session.user_id, None, session.context, session.allow_image_urls
                )
                record = {"message": line.strip(), "thread_id": session.thread_id}
            else:
                say, _ = pasted_pictures(command, session.allow_image_urls)  # a URL not allowed
                record = turn_record(app, say.message, session.send(say.message, say.images))
        except ArsError as e:
            record = {"message": readable(line).strip(), "error": str(e)}
            record["thread_id"] = session.thread_id
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
