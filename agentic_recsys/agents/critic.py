"""Critic agent: checks the candidate bus before anyone sees it, and returns a typed verdict.

Checks: every item exists, meets the hard constraints, was not shown, rejected, disliked or
seen; there are enough; the list is not one genre over and over. With a capable LLM it also
drops items that do not fit the request's mood or theme (asked only when there is one).
Verdict: accept, revise (back to the planner, at most `Context.max_revisions` times per
turn) or clarify (ask the user). When the user turned a whole list down, the accepted list
comes with a question on what the request does not say yet (genre, era, mood, a movie they
liked), each asked once per request: a miss means the request is still too broad.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, Field

from agentic_recsys.agents.prompts import CRITIC_SYSTEM, CRITIC_USER
from agentic_recsys.agents.retrieval import constraint_mask, known_to_user
from agentic_recsys.llm import ask_json
from agentic_recsys.resources import Resources
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import app_of, context_of, role_model
from agentic_recsys.turn.state import BusItem, Critique, Plan, Request, State

# Follow-up questions in the order they are asked. A mood narrows the movie itself, so it
# comes before an example, which says more about the user than about the movie.
FOLLOW_UPS: tuple[tuple[str, str], ...] = (
    ("genre", "What kind of {noun} would suit you: {genres}...?"),
    ("era", "From which years or decade should it be?"),
    ("mood", "Is there a mood or theme it should have?"),
    ("example", "Is there a {noun} you enjoyed that it should resemble?"),
)
DIVERSITY = 0.15  # weight of genre overlap against rank when ordering the shortlist
SHORTLIST = 10  # items an LLM critic sees


class Misfit(BaseModel):
    """An item an LLM critic judged not to fit, by 1-based position."""

    position: int = Field(ge=1, le=SHORTLIST)
    reason: str = Field(default="", max_length=200)


class LLMCritique(BaseModel):
    """An LLM critic's answer."""

    misfits: list[Misfit] = Field(default_factory=list, max_length=SHORTLIST)


def critic_agent(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["planner", "explainer"]]:
    """Accept the bus, send the plan back with reasons, or ask the user."""
    app, ctx = app_of(runtime), context_of(runtime)
    plan = state["plan"]
    assert plan is not None, "the planner runs first"
    blocked = known_to_user(state, app)
    # What met the plan before the planner relaxed it fits best: it stays first.
    earlier = state.get("critique")
    kept = earlier.kept if earlier is not None and earlier.verdict == "revise" else []
    kept_ids = {k.item for k in kept}
    fresh = [c for c in state.get("candidates", []) if c.item not in kept_ids]
    valid, reasons = check([*kept, *fresh], app, plan, blocked)
    role = role_model(runtime, "critic")
    use = role.use()
    request = state.get("request")
    # Hard checks are code; an LLM is asked only to judge fit to a mood or theme.
    has_mood = request is not None and bool(request.query)
    if role.may("critique") and role.model is not None and valid and has_mood:
        shortlist = valid[:SHORTLIST]
        answer, calls = ask_json(
            role.model,
            LLMCritique,
            CRITIC_SYSTEM,
            CRITIC_USER.format(
                request=state.get("message", "")[:500], items=_item_lines(app, shortlist)
            ),
            role="critic",
            timeout_s=ctx.llm_timeout_s,
        )
        if answer is not None:
            drop = {
                shortlist[m.position - 1].item
                for m in answer.misfits
                if m.position <= len(shortlist)
            }
            if len(drop) <= len(shortlist) // 2:  # a critic that rejects everything is ignored
                valid = [c for c in valid if c.item not in drop]
                reasons += [f"{len(drop)} did not fit the request"] if drop else []
        use = role.use(calls)
    first = [c for c in valid if c.item in kept_ids]
    chosen = first + diversify(valid[len(first) :], plan.count - len(first), app)
    revisions = state.get("revisions", 0)
    models = [*state.get("models", []), use]
    update: dict[str, object] = {}
    # a few titles with the word asked for are the answer, not a reason to loosen the rest
    enough = plan.count if not plan.constraints.predicates else 1
    if len(chosen) >= enough:
        verdict = Critique(verdict="accept", reasons=reasons)
        intent = state["intent"]
        topic = follow_up_topic(request) if request and intent and intent.reject_shown else None
        if request is not None and topic is not None:
            verdict.question = follow_up_question(topic, app)
            update["request"] = request.model_copy(update={"asked": [*request.asked, topic]})
    elif revisions < ctx.max_revisions:
        reasons.append(f"only {len(chosen)} of {plan.count} items meet the request")
        critique = Critique(verdict="revise", reasons=reasons, kept=chosen)
        return Command(
            goto="planner",
            update={"critique": critique, "revisions": revisions + 1, "models": models},
        )
    elif chosen:
        verdict = Critique(verdict="accept", reasons=[*reasons, f"only {len(chosen)} found"])
    else:
        verdict = Critique(
            verdict="clarify",
            reasons=reasons,
            question="I could not find anything that meets all of that. Could you loosen "
            "something: another genre, a wider range of years, or fewer exclusions?",
        )
    return Command(
        goto="explainer",
        update={"critique": verdict, "candidates": chosen, "models": models, **update},
    )


def follow_up_question(topic: str, app: Resources) -> str:
    """The question for a follow-up topic, in the catalog's words and with its top genres."""
    field = app.dataset.schema.field("genres")
    genres = [g.casefold() for g in field.values[:3]] if field else []
    return dict(FOLLOW_UPS)[topic].format(
        noun=app.dataset.schema.domain.noun, genres=", ".join(genres) or "a kind"
    )


def follow_up_topic(request: Request) -> str | None:
    """The first topic the request leaves open and that was not asked about yet, if any."""
    c = request.constraints
    said = {
        "genre": bool(c.genres_in or request.boost_genres),
        "era": c.year_min is not None or c.year_max is not None,
        "mood": bool(request.query),
        "example": bool(request.like_items),
    }
    return next((t for t, _ in FOLLOW_UPS if not said[t] and t not in request.asked), None)


def check(
    candidates: list[BusItem], app: Resources, plan: Plan, blocked: set[str]
) -> tuple[list[BusItem], list[str]]:
    """The candidates that pass every hard check, and what was removed and why."""
    index = app.dataset.items.index
    mask = constraint_mask(app, plan)
    unknown = [c for c in candidates if c.item not in index]
    known = [c for c in candidates if c.item in index]
    broken = [c for c in known if not mask[index[c.item]]]
    repeat = [c for c in known if mask[index[c.item]] and c.item in blocked]
    valid = [c for c in known if mask[index[c.item]] and c.item not in blocked]
    reasons = [
        f"{len(group)} {what}"
        for group, what in (
            (unknown, "were not in the catalog"),
            (broken, "broke a constraint"),
            (repeat, "were already shown, liked, seen or rejected"),
        )
        if group
    ]
    return valid, reasons


def diversify(candidates: list[BusItem], count: int, app: Resources) -> list[BusItem]:
    """Pick `count` items in rank order, passing over ones whose genres repeat the list's.

    A catalog may list one movie twice under two ids (MovieLens-100K does): one is shown.
    """
    items = app.dataset.items
    labels: set[str] = set()
    unique = []
    for c in candidates:
        label = items.label(items.index[c.item])
        if label not in labels:
            labels.add(label)
            unique.append(c)
    pool = unique[: max(3 * count, count + 10)]
    genres = {c.item: set(items.genres[items.index[c.item]]) for c in pool}
    chosen: list[BusItem] = []
    while pool and len(chosen) < count:

        def value(pos_cand: tuple[int, BusItem]) -> float:
            pos, cand = pos_cand
            overlap = max(
                (_jaccard(genres[cand.item], genres[c.item]) for c in chosen), default=0.0
            )
            return -pos / len(pool) - DIVERSITY * overlap

        _, best = max(enumerate(pool), key=value)
        chosen.append(best)
        pool.remove(best)
    return chosen


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _item_lines(app: Resources, shortlist: list[BusItem]) -> str:
    items = app.dataset.items
    lines = []
    for n, c in enumerate(shortlist, 1):
        row = items.index[c.item]
        lines.append(f"{n}. {items.label(row)} - {', '.join(items.genres[row]) or 'no genre'}")
    return "\n".join(lines)
