"""Planner agent: the intent (and any critique) becomes a `Plan` of retrieval tool calls.

The policy: carry the active request across turns (refinements change it; a message that
names titles the request does not fit starts a new one), add what long-term memory says
to avoid, pick tools for what the user gave (a title, a mood, a history), and on a
critique relax step by step (widen the years, then drop the genre wish; never a "no
horror"), what the user said before this message first: the newest statement wins. With
a capable LLM, a plan for moods and themes, or a re-plan after a critique, is the LLM's
calls of the retrieval tools, checked (`agents.tool_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langgraph.runtime import Runtime

from agentic_recsys.agents.retrieval import known_to_user
from agentic_recsys.agents.tool_plan import model_steps, wants_model, wish_of
from agentic_recsys.resources import Resources
from agentic_recsys.tools.retrieval import MAX_TITLES
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import app_of, context_of, role_model
from agentic_recsys.turn.state import Plan, Request, State, Taste, ToolCall
from agentic_recsys.understanding.lexicon import mood_leans
from agentic_recsys.understanding.predicates import Predicate, describe, mask
from agentic_recsys.understanding.schema import Constraints, Intent

DARK = ("Crime", "Thriller", "Film-Noir", "Drama", "War", "Mystery")
LIGHT = ("Comedy", "Romance", "Children's", "Animation", "Musical", "Adventure")
YEAR_STEP = 5


def planner_agent(state: State, runtime: Runtime[Context]) -> dict[str, object]:
    """Plan this turn's retrieval (or re-plan it after a critique)."""
    app, ctx = app_of(runtime), context_of(runtime)
    intent = state["intent"]
    assert intent is not None, "the intent agent runs first"
    request = state.get("request") or Request()
    if state.get("revisions", 0) == 0:  # first plan of the turn: update the active request
        answering = bool(state.get("follow_up"))
        request = next_request(request, intent, app, state.get("shown", []), answering)
    now = stated_now(intent)
    constraints, notes = effective_constraints(request.constraints, state.get("taste") or Taste())
    constraints, relaxed = relax(constraints, state.get("revisions", 0), now)
    constraints, dropped, spent = drop_unmeetable(
        constraints, app, known_to_user(state, app), request.said, now
    )
    unmet = [describe(p, app.dataset.schema) for p in dropped]
    request = given_up(request, [p for p in dropped if key_of(p) not in now])
    count = intent.constraints.count or request.constraints.count or ctx.default_count
    has_history = bool(
        state["user_id"] in app.dataset.interactions.user_index
        or state.get("liked")
        or (state.get("taste") or Taste()).liked
    )
    images = app.images
    looks = Looks(
        picture=images is not None and bool(state.get("images")),
        described=images is not None and images.describes_look(request.query),
    )
    steps = policy_steps(request, has_history, widen=state.get("revisions", 0) > 0, looks=looks)
    role = role_model(runtime, "planner")
    use = role.use()
    critique = state.get("critique")
    if wants_model(role, bool(intent.query), replanning=critique is not None):
        steps, use = model_steps(
            role,
            steps,
            state["message"],
            _describe(request, app),
            "; ".join(critique.reasons) if critique is not None else "",
            ctx.llm_timeout_s,
            pictures=app.images is not None,
        )
    plan = Plan(
        steps=steps,
        constraints=constraints,
        count=count,
        notes=notes + relaxed,
        boost_genres=request.boost_genres,
        popularity=request.popularity,
        year_near=request.year_near,
        unmet=unmet,
        spent=spent,
        wish=wish_of(state["message"]),
    )
    return {"plan": plan, "request": request, "models": [*state.get("models", []), use]}


def next_request(
    prev: Request, intent: Intent, app: Resources, shown: list[str], answering: bool = False
) -> Request:
    """The request this turn serves: a new one, or the last one refined.

    `answering`: the message answers the question asked with the last list, so it adds to
    the request whatever it names.
    """
    items = app.dataset.items
    now = stated_now(intent)
    if starts_anew(prev, intent, app, answering):
        return Request(
            constraints=intent.constraints,
            query=intent.query,
            like_items=intent.like_items,
            boost_genres=mood_leans(intent.query, items),
            year_near=intent.year_near,
            said=dict.fromkeys(now, 0),
        )
    c = prev.constraints.model_copy(deep=True)
    new = intent.constraints
    # Genres said earlier still say something about the movie: a new genre wish replaces
    # them as the filter, and they stay as a lean.
    earlier = [g for g in c.genres_in if g not in new.genres_in] if new.genres_in else []
    c.genres_in = new.genres_in or c.genres_in
    # the newer statement wins: "horror after all" lifts an earlier "no horror"
    kept_out = [g for g in c.genres_out if g not in new.genres_in]
    c.genres_out = list(dict.fromkeys(kept_out + new.genres_out))
    c.genres_in = [g for g in c.genres_in if g not in c.genres_out]
    c.year_min = new.year_min if new.year_min is not None else c.year_min
    c.year_max = new.year_max if new.year_max is not None else c.year_max
    c.count = new.count or c.count
    c.predicates = merge_predicates(c.predicates, new.predicates)
    leans = [*mood_leans(intent.query, items), *earlier, *prev.boost_genres]
    request = Request(
        constraints=c,
        query=" ".join(q for q in (prev.query, intent.query) if q)[-300:],
        like_items=intent.like_items or prev.like_items,
        boost_genres=[g for g in dict.fromkeys(leans) if g not in c.genres_out],
        popularity=prev.popularity,
        # a new period replaces the old one, and its centre with it
        year_near=intent.year_near if new.year_min or new.year_max else prev.year_near,
        asked=prev.asked,
        said={**prev.said, **dict.fromkeys(now, max(prev.said.values(), default=-1) + 1)},
    )
    if intent.kind == "feedback" and any(f.verdict == "liked" for f in intent.feedback):
        request.like_items = [f.item for f in intent.feedback if f.verdict == "liked"]
    return apply_refinements(request, intent, app, shown)


def starts_anew(prev: Request, intent: Intent, app: Resources, answering: bool) -> bool:
    """Whether the message is a request of its own, not a change to the one being served.

    A "recommend" is. So is a refinement that names titles none of which fits the request
    (none meets its genre, people or other field wishes): after "something for my kids",
    "I loved Heat, anything like it?" asks for what Heat is like, not for more children's
    films. The years are no test: "like Cuckoo's Nest" after "a drama after 1980" names
    the kind of drama, not its era. A refinement word ("darker", "more"), a title we lack,
    or an answer to the question asked with the last list keeps the request.
    """
    if intent.kind == "recommend":
        return not intent.reject_shown
    if intent.kind != "refine" or answering or intent.refinements or not intent.like_items:
        return False
    wishes = [p for p in prev.constraints.all_predicates() if not p.negative and p.field != "year"]
    index = app.dataset.items.index
    rows = [index[i] for i in intent.like_items if i in index]
    return bool(wishes and rows) and not mask(wishes, app.dataset)[rows].any()


def key_of(p: Predicate) -> str:
    """Which wish a constraint states, to tell how old it is: its field, and if it excludes."""
    return f"{p.field} not" if p.negative else p.field


def stated_now(intent: Intent) -> set[str]:
    """The keys of the constraints this message states ("older" states the years)."""
    keys = {key_of(p) for p in intent.constraints.all_predicates()}
    if {"older", "newer"} & set(intent.refinements):
        keys.add("year")
    return keys


def merge_predicates(old: list[Predicate], new: list[Predicate]) -> list[Predicate]:
    """A refinement's predicates join the request's; a new wish on a field replaces the old one.

    "Also on Netflix" adds a predicate; "under 90 minutes" after "under 120" replaces it;
    exclusions pile up ("not on Hulu" then "not on Max" keeps both out); a statement of the
    opposite undoes one ("nothing by King" after "by King").
    """

    def same_wish(a: Predicate, b: Predicate) -> bool:
        if a.field != b.field:
            return False
        if a.negative != b.negative:
            return bool(set(a.values) & set(b.values))
        if a.negative:
            return False
        return a.op == b.op or "between" in (a.op, b.op) or a.op not in ("<=", ">=")

    kept = [p for p in old if not any(same_wish(p, n) for n in new)]
    return list(dict.fromkeys([*kept, *new]))


def apply_refinements(
    request: Request, intent: Intent, app: Resources, shown: list[str]
) -> Request:
    """Apply "darker", "older", "more popular", ... relative to what was shown."""
    items = app.dataset.items
    vocab = set(items.genre_vocab)
    years = sorted(
        int(items.years[items.index[i]])
        for i in shown
        if i in items.index and items.years[items.index[i]]
    )
    c, said = request.constraints, intent.constraints
    for r in intent.refinements:
        if r in ("darker", "lighter"):
            lean = DARK if r == "darker" else LIGHT
            request.boost_genres = [g for g in lean if g in vocab]
        elif r == "older" and said.year_max is None:  # "older, before 1970": the year wins
            c.year_max = (years[0] - 1) if years else (c.year_max or 2000) - 10
            c.year_min = c.year_min if c.year_min and c.year_min <= c.year_max else None
            request.year_near = None
        elif r == "newer" and said.year_min is None:
            c.year_min = (years[len(years) // 2] + 1) if years else (c.year_min or 1990) + 10
            c.year_max = c.year_max if c.year_max and c.year_max >= c.year_min else None
            request.year_near = None
        elif r == "more_popular":
            request.popularity = 1.0
        elif r == "less_popular":
            request.popularity = -1.0
    return request


def effective_constraints(c: Constraints, taste: Taste) -> tuple[Constraints, list[str]]:
    """Add what memory says the user avoids, unless they asked for it this time."""
    out = c.model_copy(deep=True)
    remembered = [g for g in taste.avoid_genres if g not in c.genres_in and g not in c.genres_out]
    out.genres_out = c.genres_out + remembered
    notes = [f"left out {', '.join(remembered)}, as you asked before"] if remembered else []
    if out.year_min is not None and out.year_max is not None and out.year_min > out.year_max:
        out.year_min, out.year_max = out.year_max, out.year_min
        notes.append(f"read the years as {out.year_min}-{out.year_max}")
    return out, notes


def drop_unmeetable(
    c: Constraints, app: Resources, known: set[str], said: dict[str, int], now: set[str]
) -> tuple[Constraints, list[Predicate], bool]:
    """When no new item meets every hard constraint, drop the fewest that make it possible.

    What is dropped is returned, so the reply says the list does not meet it (never a
    relaxed list presented as the request), with whether items meeting it all
    exist but are known to the user (shown, seen, rejected): then "nothing here has it"
    would be false. What this message said (`now`) is dropped only when nothing older is
    left to drop; then wishes before exclusions, ones whose loss is enough, the oldest
    statement (`said`: key -> when), the loss that leaves the most items.
    """
    dataset = app.dataset
    fresh = np.ones(len(dataset.items), dtype=bool)
    fresh[[dataset.items.index[i] for i in known if i in dataset.items.index]] = False
    predicates = c.all_predicates()
    meeting = mask(predicates, dataset)
    if not predicates or (meeting & fresh).any():
        return c, [], False
    dropped: list[Predicate] = []
    left = list(predicates)

    def cost(p: Predicate, left: list[Predicate]) -> tuple[bool, bool, bool, int, int]:
        remaining = int((mask(_without(left, p), dataset) & fresh).sum())
        age = said.get(key_of(p), -1)  # -1: older than anything said
        return key_of(p) not in now, not p.negative, remaining > 0, -age, remaining

    while left and not (mask(left, dataset) & fresh).any():
        best = max(left, key=lambda p: cost(p, left))
        dropped.append(best)
        left = _without(left, best)
    return _constraints_of(c, left), dropped, bool(meeting.any())


def given_up(request: Request, dropped: list[Predicate]) -> Request:
    """The request without the earlier wishes a newer one could not be met with.

    Said once ("no book here has X along with ..."), an earlier wish the newest statement
    beat leaves the request: kept, it would be dropped and said again on every later turn.
    """
    if not dropped:
        return request
    c = request.constraints
    kept = [p for p in c.all_predicates() if p not in dropped]
    return request.model_copy(update={"constraints": _constraints_of(c, kept)})


def _without(predicates: list[Predicate], p: Predicate) -> list[Predicate]:
    return [q for q in predicates if q != p]


def _constraints_of(c: Constraints, kept: list[Predicate]) -> Constraints:
    """`c` with only the predicates in `kept` (genre and year ones map back to their fields)."""
    out = c.model_copy(deep=True)
    fields = {(p.field, p.negative) for p in kept}
    out.genres_in = c.genres_in if ("genres", False) in fields else []
    out.genres_out = c.genres_out if ("genres", True) in fields else []
    if ("year", False) not in fields:
        out.year_min = out.year_max = None
    out.predicates = [p for p in c.predicates if p in kept]
    return out


def relax(c: Constraints, revision: int, now: set[str]) -> tuple[Constraints, list[str]]:
    """Loosen soft constraints by revision: widen the years, then drop the genre wish.

    What this message said (`now`: "before 1900" after "a funny fantasy book") is loosened
    only when nothing said before is: the newest statement wins, so an older genre wish
    goes first, and at once, as the years cannot be widened.
    """
    if revision == 0:
        return c, []
    years = c.year_min is not None or c.year_max is not None
    said = [k for k, on in (("year", years), ("genres", bool(c.genres_in))) if on]
    loosen = [k for k in said if k not in now] or said
    out, notes = c.model_copy(deep=True), []
    if revision == 1 and "year" in loosen:
        out.year_min = c.year_min - YEAR_STEP if c.year_min is not None else None
        out.year_max = c.year_max + YEAR_STEP if c.year_max is not None else None
        notes.append(f"widened the years to {_years(out)}")
    elif revision >= 2 or years and "year" not in loosen:
        if "genres" in loosen:
            notes.append(f"included picks outside {', '.join(c.genres_in)}")
            out.genres_in = []
        if "year" in loosen:
            notes.append("dropped the year range")
            out.year_min = out.year_max = None
    return out, notes


@dataclass(frozen=True)
class Looks:
    """What the turn says about pictures, when the catalog has an image index."""

    picture: bool = False  # the user sent a picture this turn
    described: bool = False  # the request's words single out some pictures (a look)


def policy_steps(
    request: Request, has_history: bool, widen: bool, looks: Looks = Looks()
) -> list[ToolCall]:
    """Tools for what the user gave: a picture, a title, a mood, a look, a history; else popular.

    similar_items already ranks by the user's taste too, so with a title no separate
    personalized list is merged in; a picture sent is as specific, so its look-alikes are
    not diluted by the user's history either. A text search keeps only real matches, so a
    mood alone (no title, no history) is backed by popular items rather than by loosening
    the request. A look in words is searched among pictures only when the encoder's text
    tower says the words single out some pictures (`ImageIndex.describes_look`).
    """
    steps = []
    if looks.picture:
        steps.append(ToolCall(tool="looks_like_picture"))
    if request.like_items:
        titles = request.like_items[:MAX_TITLES]  # "loved #1 to #5, and Heat, and ..."
        steps.append(ToolCall(tool="similar_items", args={"titles": titles}))
    if request.query:
        steps.append(ToolCall(tool="search_catalog", args={"query": request.query}))
    if looks.described:
        steps.append(ToolCall(tool="text_to_image", args={"query": request.query}))
    if has_history and not request.like_items and not looks.picture:
        steps.append(ToolCall(tool="personalized"))
    only_text = bool(request.query) and not request.like_items and not has_history
    if not steps or widen or only_text:
        steps.append(ToolCall(tool="popular"))
    return steps


def _years(c: Constraints) -> str:
    return f"{c.year_min or 'any'}-{c.year_max or 'now'}"


def _describe(request: Request, app: Resources) -> str:
    items = app.dataset.items
    like = [items.label(items.index[i]) for i in request.like_items if i in items.index]
    c = request.constraints
    return (
        f"genres: {', '.join(c.genres_in) or 'any'}; not: {', '.join(c.genres_out) or '-'}; "
        f"years: {_years(c)}; like: {'; '.join(like) or '-'}; mood/themes: "
        f"{request.query or '-'}"
    )
