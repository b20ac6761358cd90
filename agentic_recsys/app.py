"""The embedding API: open a dataset folder, get recommendations, hold conversations.

`agentic_recsys.open("data/ml-100k")` builds missing indexes (or reuses them) and returns
an `App`; `app.recommend("42", k=10)` returns item ids with the user's seen items excluded;
`app.session(user_id="42").send("a funny 90s movie")` runs the agents. One App per dataset
folder and process: the graph's nodes work with the same resources (`resources.shared`).
`app.close()` (or `with ars.open(...) as app:`) closes its files when a process is done with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentic_recsys.resources import Resources, shared

if TYPE_CHECKING:  # the graph imports this module: break the cycle for type checking only
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph.state import CompiledStateGraph

    from agentic_recsys.session import Session, ThreadInfo

THREADS_FILE = "threads.sqlite"


@dataclass
class App(Resources):
    """An opened dataset with its recommender; what a service keeps for its lifetime."""

    @cached_property
    def checkpointer(self) -> SqliteSaver:
        """Where conversation threads are persisted."""
        from agentic_recsys.session import open_checkpointer

        return open_checkpointer(self.dataset.state_dir / THREADS_FILE)

    @cached_property
    def graph(self) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The agent graph, compiled with this dataset's checkpointer."""
        from agentic_recsys.session import compile_graph

        return compile_graph(self.checkpointer)

    def session(
        self, user_id: str, thread_id: str | None = None, model: str | None = None, **settings: Any
    ) -> Session:
        """A conversation thread for a user; pass a thread id to resume one.

        `model` is a provider:model spec for every role; `settings` are further
        `Context` fields (e.g. explainer_model="local:smollm2", max_revisions=1).
        """
        from agentic_recsys.session import Session
        from agentic_recsys.turn.context import Context

        context = Context(data_dir=str(self.dataset.path), **settings)
        if model is not None:
            context.model = model
        session = Session(self.graph, context, user_id)
        return session if thread_id is None else Session(self.graph, context, user_id, thread_id)

    def forget(self, user_id: str) -> tuple[int, int]:
        """Delete the user's long-term memory and every stored conversation of theirs.

        `memory.delete` alone keeps the conversations, which hold what the user said.
        Returns how many memories and conversations were deleted.
        """
        from agentic_recsys import threads

        return self.memory.delete(user_id), threads.delete_user(self.checkpointer, user_id)

    def threads(self, user_id: str) -> list[ThreadInfo]:
        """The user's stored conversation threads, most recent first."""
        from agentic_recsys.session import list_threads

        return list_threads(self.checkpointer, user_id)

    def close(self) -> None:
        """Close the files the App holds open (conversations, memory: about 16) once done.

        Sessions made before cannot go on; `open` on the folder gives a new App. Not while
        a turn runs. Without it, each App a process opens keeps its files to the end.
        """
        from agentic_recsys import threads

        super().close()
        opened = self.__dict__  # cached properties, as far as they were used
        opened.pop("graph", None)
        if "checkpointer" in opened:
            threads.close(opened.pop("checkpointer"))


def open(path: Path | str, progress: Callable[[str, float], None] | None = None) -> App:  # noqa: A001
    """Open a prepared dataset folder, building its indexes if missing or stale.

    The App is shared by the process (and reopened when the dataset folder is replaced):
    the graph's nodes work with the same resources (see `resources.shared`).
    """
    return shared(path, App, progress)
