"""The one typed state the five agents share, with a narrower input and output schema.

Fields that outlive a turn (what was shown, liked, rejected; the active request) are what
make refinement work across turns of one thread; per-turn fields are reset by `recall`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import Messages, add_messages
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from agentic_recsys.perception.vision import Picture
from agentic_recsys.understanding.schema import Constraints, Intent

MAX_MESSAGES = 40  # the last 20 turns: more than any prompt shows (intent reads the last 8)


def recent_messages(left: Messages, right: Messages) -> Messages:
    """Add the turn's messages and keep the last `MAX_MESSAGES` in the thread's state.

    Every checkpoint holds the whole list: kept whole, a thread's checkpoints grew with
    its length (805 turns made a 4.0 GB `threads.sqlite`).
    """
    merged = add_messages(left, right)
    return merged[-MAX_MESSAGES:] if isinstance(merged, list) else merged


class ToolCall(BaseModel):
    """One step of a plan: a retrieval tool and its arguments."""

    tool: str
    args: dict[str, object] = Field(default_factory=dict)


class Plan(BaseModel):
    """Ordered tool calls, and the criteria the critic checks the result against."""

    steps: list[ToolCall]
    constraints: Constraints  # after memory and refinements: what every item must meet
    count: int = Field(ge=1, le=50)
    notes: list[str] = Field(default_factory=list)  # what was relaxed or widened, told to the user
    boost_genres: list[str] = Field(default_factory=list)  # soft preferences ("darker")
    popularity: float = 0.0  # soft lean to popular (>0) or lesser-known (<0) items
    year_near: int | None = None  # soft lean to years near this one ("around 1993")
    unmet: list[str] = Field(default_factory=list)  # constraints nothing meets, said as such
    # ... and the items that meet them all are known to the user already (shown, seen, ...)
    spent: bool = False
    wish: str = ""  # the request in the user's words, cited by items a model named for it


class EvidenceNote(BaseModel):
    """A reason an item is on the bus, with ids resolved (see engines.base.Evidence)."""

    source: str
    score: float
    because: str | None = None  # item id of the liked item it resembles
    relation: str | None = None
    entity: str | None = None
    detail: str = ""


class BusItem(BaseModel):
    """An entry on the candidate bus: item id, fused score, every piece of evidence.

    Assignments are validated, so a numpy scalar added to the score becomes a plain float
    (the bus is checkpointed, and msgpack cannot write numpy scalars).
    """

    model_config = ConfigDict(validate_assignment=True)

    item: str
    score: float
    evidence: list[EvidenceNote] = Field(default_factory=list)


class Critique(BaseModel):
    """The critic's verdict on the bus."""

    verdict: Literal["accept", "revise", "clarify"]
    reasons: list[str] = Field(default_factory=list)
    question: str = ""
    kept: list[BusItem] = Field(default_factory=list)  # met the plan before it was relaxed


class Request(BaseModel):
    """The request being served, kept across turns so "darker" or "older" can refine it."""

    constraints: Constraints = Field(default_factory=Constraints)
    query: str = ""
    like_items: list[str] = Field(default_factory=list)
    boost_genres: list[str] = Field(default_factory=list)  # soft: "darker" leans to Crime, ...
    popularity: float = 0.0  # >0 leans to popular items, <0 to lesser-known ones
    year_near: int | None = None  # "around 1993": within the range, nearer is better
    asked: list[str] = Field(default_factory=list)  # follow-up topics asked about it, once each
    # when each constraint (`agents.planner.key_of`) was last stated, counted in statements:
    # the older ones are relaxed first
    said: dict[str, int] = Field(default_factory=dict)


class Taste(BaseModel):
    """What long-term memory knows about the user, as structured data (never as instructions)."""

    like_genres: list[str] = Field(default_factory=list)
    avoid_genres: list[str] = Field(default_factory=list)
    liked: list[str] = Field(default_factory=list)
    disliked: list[str] = Field(default_factory=list)
    seen: list[str] = Field(default_factory=list)


class ModelUse(BaseModel):
    """Which model each role used this turn ("rules" when the deterministic policy decided)."""

    role: str
    model: str
    calls: int = 0
    fell_back: bool = False
    why: str = ""  # why it fell back, in a few words ("timeout: no reply within 30 s")


class InputState(TypedDict, total=False):
    """What a caller sends: a message, its pictures, whose it is (on the server: who signed in).

    LangGraph's chat input works too: `{"messages": [{"role": "user", "content": ...}]}`,
    whose last human message is the message (see `memory_steps.turn_message`); its image
    content blocks are the turn's pictures.
    """

    message: str
    user_id: str
    images: list[str]  # this turn's pictures: sha256 refs of sanitised PNGs (perception/images)
    messages: Annotated[list[AnyMessage], recent_messages]  # the recent conversation, for LLMs


class OutputState(TypedDict):
    """What a caller gets back from a turn."""

    reply: str
    items: list[str]
    explanations: dict[str, str]
    question: str
    unmet: list[str]  # what was asked that no item shown meets (nothing in the catalog does)
    models: list[ModelUse]


class State(InputState, OutputState):
    """Everything the agents read and write during a turn, and what the thread remembers."""

    heard: str  # id of the human message the latest turn answered (see `recall_memories`)
    turns: int  # turns in this thread (messages keep only the recent ones)
    notice: str  # said before the reply: what was done to the message (cut to a length)
    picture: Picture | None  # what this turn's pictures showed (see agents/perceive)
    memories: list[str]  # recalled long-term memories, shown to LLMs as data
    taste: Taste  # the structured part of long-term memory, which planner and critic honour
    intent: Intent | None
    request: Request  # the active request (survives the turn, for refinements)
    plan: Plan | None
    candidates: list[BusItem]  # the candidate bus
    critique: Critique | None
    revisions: int  # revise loops used this turn (bounded by Context.max_revisions)
    shown: list[str]  # items shown in the last reply, in order ("#2" refers here)
    shown_before: list[str]  # every item shown in this thread
    liked: list[str]
    rejected: list[str]  # disliked, seen, or "none of those": never shown again in this thread
    follow_up: str  # the question asked with the last list shown: the next message answers it
