"""The perceive step: before intent, the turn's pictures become a description and catalog items.

A turn without pictures never reaches this step (no call, no step). With pictures
and a model that can see, one call describes them; titles read off a poster or cover are
resolved against the catalog's title index and become the titles the request is "like".
The description adds to the intent only through catalog-grounded, soft channels (titles,
catalog genres when the words name none, mood and style as wishes): text in a picture
never becomes a stated preference, an exclusion or feedback.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agentic_recsys.data.dataset import Items
from agentic_recsys.perception.vision import Picture, describe_images
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import app_of, context_of, vision_model
from agentic_recsys.turn.state import ModelUse, State
from agentic_recsys.understanding.lexicon import canonical_genre
from agentic_recsys.understanding.schema import Intent

NO_VISION_NOTICE = (
    "(I cannot see pictures: no vision model is set. Use --vision-model openai:gpt-4o-mini "
    "or $ARS_VISION_MODEL, or your own server, e.g. llama.cpp with an mmproj file: "
    "--vision-model openai:<model>@http://127.0.0.1:8080/v1. I went on with your words.)"
)
LOOKALIKES_NOTE = "I went on with your words and the catalog's pictures that look like it"
FAILED_NOTICE = "(I could not read your picture ({why}); I went on with your words.)"
QUIET_KINDS = ("clarify", "chitchat")  # what words alone may be, with a picture to act on


def after_recall(state: State) -> Literal["perceive", "intent"]:
    """A turn with pictures is perceived first; one without goes straight on, as before."""
    return "perceive" if state.get("images") else "intent"


def perceive(state: State, runtime: Runtime[Context]) -> dict[str, object]:
    """Describe this turn's pictures (one call), or say why they could not be seen."""
    refs = state["images"]
    role = vision_model(runtime)
    app = app_of(runtime)
    if role.model is None:
        use = ModelUse(role="vision", model="none", fell_back=True, why="no vision model")
        notice = NO_VISION_NOTICE
        if app.images is not None:  # the image index still finds what looks like it
            notice = notice.replace("I went on with your words", LOOKALIKES_NOTE)
        return {"notice": _said(state, notice), "models": [*state.get("models", []), use]}
    domain = app.dataset.schema.domain
    description, calls = describe_images(
        role.model,
        app.dataset.state_dir,
        refs,
        state.get("message", ""),
        noun=domain.noun,
        plural=domain.plural,
        timeout_s=context_of(runtime).llm_timeout_s,
    )
    use = role.use(calls)
    if description is None:
        notice = FAILED_NOTICE.format(why=use.why.split(":")[0] or "no answer")
        return {"notice": _said(state, notice), "models": [*state.get("models", []), use]}
    matches = [(t, app.titles.resolve(t)) for t in description.titles]
    picture = Picture(
        description=description,
        items=list(dict.fromkeys(m.item_id for _, m in matches if m is not None)),
        unresolved=[t for t, m in matches if m is None],
    )
    return {"picture": picture, "models": [*state.get("models", []), use]}


def with_picture(intent: Intent, picture: Picture, items: Items) -> Intent:
    """Add what the pictures show to what the words asked, the words winning every conflict."""
    d = picture.description
    said = intent.constraints
    genres = [
        g
        for g in dict.fromkeys(canonical_genre(c, items) for c in d.genre_cues)
        if g is not None and g not in said.genres_out
    ]
    constraints = (
        said if said.genres_in or not genres else said.model_copy(update={"genres_in": genres})
    )
    wish = " ".join(w for w in (intent.query, d.mood, d.style, d.shows[:160]) if w.strip())
    titles = [items.label(items.index[i]) for i in picture.items if i in items.index]
    acts = bool(picture.items or genres or wish)
    return intent.model_copy(
        update={
            "kind": "recommend" if acts and intent.kind in QUIET_KINDS else intent.kind,
            "question": "" if acts and intent.kind in QUIET_KINDS else intent.question,
            "constraints": constraints,
            "query": wish[:500],
            "like_items": list(dict.fromkeys([*intent.like_items, *picture.items])),
            "unresolved_titles": list(
                dict.fromkeys([*intent.unresolved_titles, *picture.unresolved])
            ),
            "notes": [*intent.notes, *(f"I read {t} off your picture" for t in titles)],
        }
    )


def _said(state: State, line: str) -> str:
    return f"{state['notice']}\n{line}" if state.get("notice") else line
