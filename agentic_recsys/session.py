"""A conversation for services and the CLI: send a message, get the reply, items and reasons.

Each session is one thread of the graph, persisted by a SQLite checkpointer in the
dataset's state folder, so a conversation survives a restart and can be resumed by id.
A thread belongs to the user who started it: its checkpoints carry that user's id, and
opening it as anyone else is refused (a thread id is not a key to someone's conversation).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import StreamMode

from agentic_recsys import threads
from agentic_recsys.errors import ArsError, NotYourThreadError, require_user_id
from agentic_recsys.graphs import schema as stored_schema
from agentic_recsys.graphs import state as stored_state
from agentic_recsys.graphs.graph import build_graph
from agentic_recsys.graphs.memory_steps import MAX_MESSAGE_CHARS
from agentic_recsys.perception import vision
from agentic_recsys.perception.images import ImageSource, store_images, urls_allowed
from agentic_recsys.resources import Resources, shared
from agentic_recsys.turn import state
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.state import ModelUse
from agentic_recsys.understanding import schema

# Checkpoints hold our pydantic models; only these may be rebuilt when a thread is loaded
# (also under the modules that held them before: `graphs.state`, `graphs.schema`).
_SCHEMA_TYPES = ("Intent", "Constraints", "Feedback", "Preference")
_STATE_TYPES = (
    "Plan",
    "ToolCall",
    "BusItem",
    "EvidenceNote",
    "Critique",
    "Request",
    "Taste",
    "ModelUse",
)
STATE_TYPES = [
    (module.__name__, name)
    for module, names in (
        (schema, _SCHEMA_TYPES),
        (state, _STATE_TYPES),
        (stored_schema, _SCHEMA_TYPES),
        (stored_state, _STATE_TYPES),
        (vision, ("ImageDescription", "Picture")),
    )
    for name in names
]


STREAM_MODES: list[StreamMode] = ["updates", "messages"]


@dataclass(frozen=True)
class TurnResult:
    """What one turn produced."""

    text: str
    items: list[str]  # item ids, ranked
    explanations: dict[str, str]  # item id -> why
    question: str  # what the system asks, instead of items or (after a miss) under them
    models: list[ModelUse]  # which model each role used
    thread_id: str
    seconds: float
    unmet: list[str] = field(default_factory=list)  # asked for, but no item shown meets it

    @classmethod
    def of_state(cls, values: dict[str, Any], thread_id: str, seconds: float) -> TurnResult:
        """The result a thread's state holds after a turn."""
        return cls(
            text=values.get("reply", ""),
            items=list(values.get("items", [])),
            explanations=dict(values.get("explanations", {})),
            question=values.get("question", ""),
            models=list(values.get("models", [])),
            thread_id=thread_id,
            seconds=seconds,
            unmet=list(values.get("unmet", [])),
        )

    @property
    def llm_calls(self) -> int:
        """LLM calls made during the turn."""
        return sum(m.calls for m in self.models)


@dataclass(frozen=True)
class ThreadInfo:
    """A stored conversation of a user."""

    thread_id: str
    turns: int
    last_message: str


def open_checkpointer(path: Path) -> SqliteSaver:
    """A SQLite checkpointer usable from several threads of this process."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False)
        threads.prepare(conn)
        saver = SqliteSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))
        saver.setup()
        conn.execute("SELECT count(*) FROM checkpoints").fetchone()  # reads a page: damage shows
    except (OSError, sqlite3.Error) as e:
        damaged = isinstance(e, sqlite3.DatabaseError) and not isinstance(
            e,
            sqlite3.OperationalError,  # locked, read-only, cannot open: the file may be fine
        )
        todo = (
            "is damaged ({e}); move it aside to go on without the saved conversations"
            if damaged
            else "cannot be used ({e}); check that its folder is writable"
        )
        raise ArsError(f"the conversations file {path} {todo.format(e=e)}") from None
    return saver


def compile_graph(checkpointer: SqliteSaver) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The turn graph with a checkpointer: what sessions run."""
    return build_graph().compile(checkpointer=checkpointer, name="agentic-recsys")


@dataclass
class Session:
    """One user's conversation thread."""

    graph: CompiledStateGraph[Any, Any, Any, Any]
    context: Context
    user_id: str
    thread_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    allow_image_urls: bool = field(default_factory=urls_allowed)  # $ARS_IMAGE_URLS=allow

    def __post_init__(self) -> None:
        require_user_id(self.user_id)
        saver = self.graph.checkpointer
        if isinstance(saver, BaseCheckpointSaver):
            owner = thread_owner(saver, self.thread_id)
            if owner is not None and owner != self.user_id:
                raise NotYourThreadError(
                    f"conversation {self.thread_id} belongs to another user; "
                    "start a new one, or list yours with /threads"
                )

    def send(self, message: str, images: Sequence[ImageSource] = ()) -> TurnResult:
        """Run one turn and return its result.

        `images` are pictures sent with the words: paths, bytes, data: URLs, or http(s)
        URLs when `allow_image_urls`; a bad one raises an ImageError before the turn runs.
        """
        result: TurnResult | None = None
        for kind, value in self.stream(message, images):
            if kind == "result":
                assert isinstance(value, TurnResult)
                result = value
        assert result is not None
        return result

    def stream(
        self, message: str, images: Sequence[ImageSource] = ()
    ) -> Iterator[tuple[str, object]]:
        """Run one turn: yields ("step", node), ("token", text), then ("result", TurnResult).

        One turn at a time per thread: a second one waits for the first (bounded, see
        `threads.one_run`); the thread's older checkpoints are pruned after the turn.
        Pictures are made safe and stored first: the turn's state holds only their refs.
        """
        start = time.perf_counter()
        config = self._config()
        saver = self.graph.checkpointer
        state_dir = shared(self.context.data_dir, Resources).dataset.state_dir
        refs = [s.ref for s in store_images(state_dir, images, allow_urls=self.allow_image_urls)]
        with threads.one_run(saver, self.thread_id):
            # cut before it is stored; one character more than the graph reads, so it says so
            message = message[: MAX_MESSAGE_CHARS + 1]
            for mode, chunk in self.graph.stream(
                {"message": message, "user_id": self.user_id, "images": refs},
                config,
                context=self.context,
                stream_mode=STREAM_MODES,
            ):
                if mode == "updates" and isinstance(chunk, dict):
                    for node in chunk:
                        yield "step", node
                elif mode == "messages" and isinstance(chunk, tuple):
                    token, meta = chunk
                    # Chunks only: the finished message arrives again at the end, whole.
                    node = meta.get("langgraph_node")
                    if node == "explainer" and isinstance(token, AIMessageChunk):
                        yield "token", str(token.content)
            values = self.graph.get_state(config).values
            if isinstance(saver, SqliteSaver):
                threads.prune(saver, self.thread_id)
        yield (
            "result",
            TurnResult.of_state(values, self.thread_id, time.perf_counter() - start),
        )

    def values(self) -> dict[str, Any]:
        """The thread's current state (empty for a new thread)."""
        return dict(self.graph.get_state(self._config()).values)

    def _config(self) -> RunnableConfig:
        return {
            "configurable": {"thread_id": self.thread_id},
            "metadata": {"user_id": self.user_id},
        }


def thread_owner(checkpointer: BaseCheckpointSaver[Any], thread_id: str) -> str | None:
    """Who started the thread (None for a thread nobody has written yet).

    Every run writes the user's id into its checkpoints' metadata; a thread of a version
    that did not has it in its state.
    """
    latest = checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})
    if latest is None:
        return None
    owner = latest.metadata.get("user_id") or latest.checkpoint["channel_values"].get("user_id")
    return str(owner) if owner else ""


def list_threads(checkpointer: SqliteSaver, user_id: str) -> list[ThreadInfo]:
    """The user's stored threads, most recent first."""
    latest: dict[str, ThreadInfo] = {}
    for cp in checkpointer.list(None, filter={"user_id": user_id}):
        thread = cp.config["configurable"]["thread_id"]
        if thread in latest:
            continue
        values = cp.checkpoint["channel_values"]
        turns = values.get("turns") or sum(  # counted before threads kept a window of messages
            1 for m in values.get("messages", []) if getattr(m, "type", "") == "human"
        )
        latest[thread] = ThreadInfo(thread, turns, str(values.get("message", ""))[:80])
    return list(latest.values())
