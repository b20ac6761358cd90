"""Retrieval agent: runs the plan's tool calls and puts their candidates on the bus.

Lists from several tools are merged by reciprocal-rank fusion (robust to their different
score scales), evidence is pooled per item, and the plan's soft wishes (a genre lean, a
popularity lean) nudge the order. Hard filters and exclusions were applied by the tools.
"""

from __future__ import annotations

import uuid

import numpy as np
from langgraph.runtime import Runtime

from agentic_recsys.resources import Resources
from agentic_recsys.tools.retrieval import TOOLS, ToolScope
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import app_of
from agentic_recsys.turn.state import BusItem, Plan, State, Taste
from agentic_recsys.understanding.predicates import mask

RRF_K = 20.0
# How much a first place in each tool's list counts. A title the user named is the most
# specific thing they said; a mood searched over item text (titles, genres, years) and
# plain popularity are the weakest (measured on the conversational benchmark's turns).
TOOL_WEIGHTS = {
    "similar_items": 1.5,
    "related_by_people": 1.5,
    "personalized": 1.0,
    "search_catalog": 0.5,
    "popular": 0.5,
    # A picture the user sent is as specific as a title they named; a look described in
    # words ("a dark, rainy poster") is a mood, weighed like a text search. Not tuned: no
    # catalog with pictures and interactions is at hand (the conversational benchmark has none).
    "looks_like_picture": 1.5,
    "text_to_image": 0.5,
    "suggest_titles": 1.0,  # a model's memory of titles that fit: as strong as the user's taste
}
# A soft wish met (a genre leaned to, a second wanted genre) is worth a first place in one
# list: half of that showed the target later on the conversational benchmark, more gained
# nothing.
BOOST = 1.0 / RRF_K
NEAR_YEARS = 3  # "around 1993": the lean fades from a full BOOST at 1993 to none 3 years off
# Candidates fetched per tool: deep enough that a wish can lift an item from far down the
# personal ranking (30 often cut off the one movie with both genres asked for).
POOL_FACTOR = 4  # relative to the items shown
MIN_POOL = 100


def retrieval_agent(state: State, runtime: Runtime[Context]) -> dict[str, object]:
    """Execute the plan; the result is the candidate bus."""
    app = app_of(runtime)
    plan = state["plan"]
    assert plan is not None, "the planner runs first"
    taste = state.get("taste") or Taste()
    scope = ToolScope(
        app=app,
        user_id=state["user_id"],
        liked=tuple(dict.fromkeys([*taste.liked, *state.get("liked", [])])),
        exclude=tuple(
            dict.fromkeys(
                [
                    *state.get("shown_before", []),
                    *state.get("rejected", []),
                    *taste.disliked,
                    *taste.seen,
                    *app.seen(state["user_id"]),  # every tool, not only the personal ones
                ]
            )
        ),
        mask=constraint_mask(app, plan),
        k=min(max(POOL_FACTOR * plan.count, MIN_POOL), len(app.dataset.items)),
        pictures=tuple(state.get("images", [])),
        wish=plan.wish,
    )
    ranked_lists = []
    for step in plan.steps:
        args = {**step.args, "scope": scope}  # injected: never a model's to choose
        call = {"name": step.tool, "args": args, "id": uuid.uuid4().hex, "type": "tool_call"}
        ranked_lists.append((TOOL_WEIGHTS[step.tool], TOOLS[step.tool].invoke(call).artifact or []))
    return {"candidates": fuse(ranked_lists, app, plan)}


def known_to_user(state: State, app: Resources) -> set[str]:
    """Items the user knows already (shown, rejected, liked, seen): never shown as new."""
    taste = state.get("taste") or Taste()
    return {
        *state.get("shown_before", []),
        *state.get("rejected", []),
        *state.get("liked", []),
        *taste.liked,
        *taste.disliked,
        *taste.seen,
        *app.seen(state["user_id"]),
    }


def constraint_mask(app: Resources, plan: Plan) -> np.ndarray:
    """Catalog rows that meet every hard constraint of the plan."""
    return mask(plan.constraints.all_predicates(), app.dataset)


def fuse(
    ranked_lists: list[tuple[float, list[BusItem]]], app: Resources, plan: Plan
) -> list[BusItem]:
    """Weighted reciprocal-rank fusion of the tools' (weight, list) pairs, plus soft wishes."""
    merged: dict[str, BusItem] = {}
    for weight, ranked in ranked_lists:
        for rank, cand in enumerate(ranked):
            entry = merged.setdefault(cand.item, BusItem(item=cand.item, score=0.0))
            entry.score += weight / (RRF_K + rank + 1)
            entry.evidence.extend(cand.evidence)
    items = app.dataset.items
    lean, wanted = set(plan.boost_genres), set(plan.constraints.genres_in)
    pop = app.popularity_percentile if plan.popularity else None
    for entry in merged.values():
        genres = set(items.genres[items.index[entry.item]])
        if lean & genres:
            entry.score += BOOST
        # "drama and romance": any one is allowed, both is better
        entry.score += BOOST * max(0, len(wanted & genres) - 1)
        if pop is not None:
            entry.score += BOOST * plan.popularity * (pop[items.index[entry.item]] - 0.5) * 2
        if plan.year_near is not None:
            off = abs(int(items.years[items.index[entry.item]]) - plan.year_near)
            entry.score += BOOST * max(0.0, 1 - off / NEAR_YEARS)
    return sorted(merged.values(), key=lambda b: -b.score)
