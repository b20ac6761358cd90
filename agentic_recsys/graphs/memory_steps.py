"""The two memory steps around the agents: recall before the intent, remember after the reply.

Recall also starts the turn: it reads the message (ours, or LangGraph's chat input),
records it in the conversation, and resets per-turn fields; thread fields are kept.
Only the structured part of memory (`Taste`) steers the planner and the critic; memory
text reaches an LLM as quoted data, never as instructions.
"""

from __future__ import annotations

import uuid

from langchain_core.messages import HumanMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agentic_recsys.agents.intent import clean_message
from agentic_recsys.memory import Episode
from agentic_recsys.perception.images import block_images, picture_mark, store_images, urls_allowed
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import app_of, turn_user
from agentic_recsys.turn.state import State, Taste

RECALL_K = 6
EMPTY = "(empty message)"
MAX_MESSAGE_CHARS = 4_000  # a message is cut here, where it enters, and the reply says so


def recall_memories(state: State, runtime: Runtime[Context]) -> dict[str, object]:
    """Start the turn: settle whose it is and the message, recall what memory holds for them."""
    user = turn_user(state, get_config())
    message, said, pictures = turn_message(state)
    app = app_of(runtime)
    images = list(state.get("images") or [])
    if pictures:  # sent as image blocks (over HTTP): made safe and stored here, once
        stored = store_images(app.dataset.state_dir, pictures, allow_urls=urls_allowed())
        images = [s.ref for s in stored]
    notice = ""
    if len(message) > MAX_MESSAGE_CHARS:
        notice = (
            f"(Your message is longer than {MAX_MESSAGE_CHARS:,} characters; I read only the "
            "first ones.)"
        )
        message = message[:MAX_MESSAGE_CHARS]
    recall = app.memory.recall(user, message[:500], k=RECALL_K)
    feedback = recall.feedback
    taste = Taste(
        like_genres=[
            p.key.split(":", 1)[1]
            for p in recall.preferences
            if p.polarity == "like" and p.key.startswith("genre:")
        ],
        avoid_genres=[
            p.key.split(":", 1)[1]
            for p in recall.preferences
            if p.polarity == "avoid" and p.key.startswith("genre:")
        ],
        liked=[i for i, v in feedback.items() if v == "liked"],
        disliked=[i for i, v in feedback.items() if v == "disliked"],
        seen=[i for i, v in feedback.items() if v == "seen"],
    )
    if images:  # the thread records that pictures came, never their data
        words = "" if said.content == EMPTY else said.content
        said.content = f"{words} {picture_mark(len(images))}".strip()
    return {
        "message": message,
        "images": images,
        "picture": None,
        "messages": [said],
        "heard": said.id,
        "user_id": user,
        "notice": notice,
        "turns": state.get("turns", 0) + 1,
        "memories": [m.text for m in recall.memories],
        "taste": taste,
        "intent": None,
        "critique": None,
        "revisions": 0,
        "reply": "",
        "items": [],
        "explanations": {},
        "question": "",
        "unmet": [],
        "models": [],
    }


def turn_message(state: State) -> tuple[str, HumanMessage, list[str]]:
    """The message this turn answers, the human message that records it, and its pictures.

    A caller sends either `message` or LangGraph's `messages`: a human message the input
    just appended (the last one, not the one the previous turn heard) wins, and is
    replaced by its cleaned text under the same id (its image blocks are returned as
    data: or http(s) URLs, never kept in the thread); otherwise `message` is appended.
    """
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    pictures: list[str] = []
    if isinstance(last, HumanMessage) and last.id != state.get("heard"):
        message, mid, pictures = str(last.text), last.id, block_images(last.content)
    else:
        message, mid = state.get("message", ""), str(uuid.uuid4())
    said = HumanMessage(content=clean_message(message) or EMPTY, id=mid)
    return message, said, pictures


def remember_turn(state: State, runtime: Runtime[Context]) -> dict[str, object]:
    """End the turn: write stated preferences, feedback and the episode to long-term memory."""
    said: dict[str, object] = {"images": []}  # a turn's pictures are not the next turn's
    if state.get("notice"):
        said["reply"] = f"{state['notice']}\n{state.get('reply', '')}"
    intent = state.get("intent")
    if intent is None:
        return said
    app = app_of(runtime)
    shown = list(state.get("items", []))
    chosen = [f.item for f in intent.feedback if f.verdict == "liked"]
    items = app.dataset.items
    titles = {
        i: items.label(items.index[i])
        for i in {*shown, *chosen, *(f.item for f in intent.feedback)}
        if i in items.index
    }
    app.memory.remember_turn(
        state["user_id"],
        preferences=intent.preferences,
        feedback=intent.feedback,
        episode=Episode(asked=_asked(state), shown=shown, chosen=chosen),
        titles=titles,
    )
    return said


def _asked(state: State) -> str:
    """What the episode records as asked: the words, and a mark for pictures (not their data)."""
    mark = picture_mark(len(state.get("images") or []))
    return " ".join(p for p in (state.get("message", "")[:500], mark) if p)
