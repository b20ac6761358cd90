"""Turns run on a worker thread, so Ctrl-C returns to the prompt while the graph works.

The graph runs synchronously and cannot be killed mid-node; a stopped turn's worker
stops at the next node boundary and its result is dropped. The next turn waits for it,
so two runs never write the same conversation at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from rich.console import Console

from agentic_recsys.llm import ROLES, decisions, load_chat_model, sees
from agentic_recsys.turn.context import Context

if TYPE_CHECKING:
    from agentic_recsys.app import App
    from agentic_recsys.session import Session

Event = tuple[str, object]
_DONE = ("done", None)


class Streams(Protocol):
    """Anything that runs a turn as a stream of events (a `Session`)."""

    def stream(self, message: str, images: Sequence[str] = ()) -> Iterator[Event]:
        """Yield ("step", node), ("token", text), then ("result", TurnResult)."""
        ...


class TurnWorker:
    """Runs one turn at a time off the main thread; the main thread only waits and draws."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """Whether a stopped turn is still finishing its current step."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        """Block until the previous turn's worker has stopped."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def run(self, session: Streams, message: str, images: Sequence[str] = ()) -> Iterator[Event]:
        """Yield the turn's events; closing the iterator (or Ctrl-C) stops the turn.

        An exception raised by the turn is raised here, in the caller's thread.
        """
        self.wait()
        events: queue.Queue[Event] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                for event in session.stream(message, images):
                    if stop.is_set():
                        return  # closes the graph's stream: no further node runs
                    events.put(event)
            except BaseException as exc:  # handed to the caller, which decides
                events.put(("error", exc))
            finally:
                events.put(_DONE)

        self._thread = threading.Thread(target=work, name="ars-turn", daemon=True)
        self._thread.start()
        try:
            while (event := events.get()) != _DONE:
                if event[0] == "error":
                    assert isinstance(event[1], BaseException)
                    raise event[1]
                yield event
        finally:
            stop.set()


def open_session(
    app: App, user_id: str, thread_id: str | None, context: Context, allow_image_urls: bool
) -> Session:
    """Open a conversation of `user_id` (a new one when `thread_id` is None) run with `context`."""
    session = app.session(user_id, thread_id)
    session.context = context
    session.allow_image_urls = allow_image_urls
    return session


def load_models(context: Context, console: Console) -> None:
    """Load each role's model (and the vision model) now, so the first reply does not stall.

    A model that cannot load (no API key, no llama-cpp-python) raises its ArsError here.
    """
    specs = [s for s in dict.fromkeys(context.model_for(role) for role in ROLES) if decisions(s)]
    vision = context.model_for("vision")
    if sees(vision) and vision not in specs:
        specs.append(vision)
    for spec in specs:
        with console.status(f"loading model {spec}…"):
            load_chat_model(spec)
