"""Retrieval tools over the engines: what the planner's steps call.

Each tool is a LangChain tool, built once from its function: the docstring is what a model
reads, the signature (bounds included) is the schema a model's call is held to. Its
model-visible arguments are only what a model may choose (a query, some titles). Who the
user is, what they liked, what must be excluded and the hard filters arrive as an injected
`ToolScope`, never from a model. A tool returns a short text for an LLM and, as its
artifact, the candidates for the bus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Annotated

import numpy as np
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool
from PIL import Image
from pydantic import Field, PlainSerializer

from agentic_recsys.engines.base import Candidate
from agentic_recsys.engines.fusion import top_k
from agentic_recsys.engines.recommender import Blend
from agentic_recsys.perception.images import ImageError, image_path
from agentic_recsys.resources import Resources
from agentic_recsys.turn.state import BusItem, EvidenceNote
from agentic_recsys.vision.pictures import user_picture

SUGGESTED = "suggested"  # the evidence source of items a model named (see suggest_titles)
# Within a suggestion's year: the catalog's year and the one a model remembers may differ by one.
YEAR_SLACK = 1
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# How much the user's own ranking counts beside the named titles' similar items (which count
# 1) when similar_items ranks both at once; 0.5 turned up the target soonest on the
# conversational benchmark (0.25, 1 and 2 were slower).
TASTE_WEIGHT = 0.5


@dataclass(frozen=True)
class ToolScope:
    """What a tool call may not choose: the user, their history, the exclusions, the filters."""

    app: Resources
    user_id: str
    liked: tuple[str, ...]
    exclude: tuple[str, ...]
    mask: np.ndarray  # catalog rows allowed by the hard constraints
    k: int
    pictures: tuple[str, ...] = ()  # refs of the pictures the user sent this turn
    wish: str = ""  # the request in the user's words, cited by suggested items' evidence


# Injected by the retrieval agent, unseen by models. Not serialised: LangChain dumps a call's
# validated arguments only to learn their names, and a dump of the scope walked all of
# `Resources` (17 ms a call, the largest cost of a turn).
Scope = Annotated[ToolScope, InjectedToolArg, PlainSerializer(lambda _: None)]
Query = Annotated[str, Field(min_length=1, max_length=200)]
Title = Annotated[str, Field(min_length=1, max_length=120)]
MAX_TITLES = 10  # titles one call may start from (a model's choice or the policy's)
Titles = Annotated[list[Title], Field(min_length=1, max_length=MAX_TITLES)]
Suggestions = Annotated[list[Title], Field(min_length=1, max_length=8)]


def personalized(scope: Scope) -> tuple[str, list[BusItem]]:
    """Items this user is likely to enjoy, from their history and what they liked."""
    return _run(scope, None, liked=scope.liked)


def search_catalog(query: Query, scope: Scope) -> tuple[str, list[BusItem]]:
    """Items whose description matches a mood or theme."""
    # Only matches closer than chance on this catalog.
    matching = scope.app.recommender.semantic.matches(query)
    narrowed = replace(scope, mask=scope.mask & matching)
    return _run(narrowed, {"semantic": 1.0}, query=query, with_user=False)


def similar_items(titles: Titles, scope: Scope) -> tuple[str, list[BusItem]]:
    """Items similar to some titles the user named, ranked with this user's taste."""
    # Who watched it next, and who made it (when the dataset's relations are trusted).
    # Not the item text: titles, genres and years say what the hard filters already said.
    # Blended by score with the user's taste, so that an item close to both beats one
    # close to either (a merge of the two top lists could only pick from each list's head).
    made_by = {"kg": 1.0} if scope.app.dataset.relations_trusted else {}
    return _run(
        scope,
        {"itemknn": 1.0, **made_by},
        liked=_resolve(scope, titles),
        with_user=False,
        blend=_taste(scope),
    )


def related_by_people(titles: Titles, scope: Scope) -> tuple[str, list[BusItem]]:
    """Items sharing a director, actor or writer with some titles."""
    return _run(scope, {"kg": 1.0}, liked=_resolve(scope, titles), with_user=False)


def popular(scope: Scope) -> tuple[str, list[BusItem]]:
    """The most popular items."""
    return _run(scope, {"popularity": 1.0}, with_user=False)


def looks_like_picture(scope: Scope) -> tuple[str, list[BusItem]]:
    """Items whose picture looks like the pictures the user sent this turn."""
    index = scope.app.images
    if index is None:
        return "this catalog has no image index", []
    sent = [p for ref in scope.pictures if (p := _sent_picture(scope, ref)) is not None]
    if not sent:
        return "no picture was sent this turn", []
    return _by_picture(scope, index.picture_scores(sent), "picture", SENT_PICTURE)


def text_to_image(query: Query, scope: Scope) -> tuple[str, list[BusItem]]:
    """Items whose picture looks like a description ("a dark, rainy poster"), and only those."""
    index = scope.app.images
    scores = index.text_scores(query) if index is not None else None
    if index is None or scores is None:
        return "this catalog has no image index with a text tower", []
    narrowed = replace(scope, mask=scope.mask & index.text_matches(query))
    return _by_picture(narrowed, scores, "picture_text", f'its picture looks like "{query}"')


SENT_PICTURE = "looks like the picture you sent"


def _sent_picture(scope: ToolScope, ref: str) -> Image.Image | None:
    """A picture the user sent, by its ref (the sha256 of the stored, sanitised PNG)."""
    try:  # a ref names a stored file, never a path of a client's choosing
        return user_picture(image_path(scope.app.dataset.state_dir, ref))
    except ImageError:
        return None


def _by_picture(
    scope: ToolScope, scores: np.ndarray, source: str, detail: str
) -> tuple[str, list[BusItem]]:
    """The k allowed items with a picture, best first, each citing the picture's cosine."""
    rec, index = scope.app.recommender, scope.app.images
    assert index is not None
    profile, _ = rec.profile(None, exclude=scope.exclude)
    allowed = rec.allowed(profile, scope.mask) & index.present
    ranked = top_k(np.where(allowed, scores, -np.inf).astype(np.float32), scope.k)
    ids = scope.app.dataset.items.ids
    bus = [
        BusItem(
            item=ids[row],
            score=float(scores[row]),
            evidence=[EvidenceNote(source=source, score=float(scores[row]), detail=detail)],
        )
        for row in ranked
    ]
    return _summary(scope, bus), bus


def suggest_titles(titles: Suggestions, scope: Scope) -> tuple[str, list[BusItem]]:
    """Titles you know fit the request, as "Title (year)", best first."""
    # A model's memory, not the catalog: each title must resolve to a catalog item (with
    # the year it gave, if any) that meets the filters and is new to the user, else it is
    # dropped. What is left is cited as the model's, for the user's words.
    index, items = scope.app.titles, scope.app.dataset.items
    excluded = set(scope.exclude)
    found: dict[str, BusItem] = {}
    for rank, title in enumerate(titles):
        match = index.resolve(title)
        if match is None or match.item_id in excluded or not scope.mask[match.row]:
            continue
        year = _year_of(title)
        if year is not None and abs(int(items.years[match.row]) - year) > YEAR_SLACK:
            continue  # a film of the same name from another year: not the one named
        note = EvidenceNote(source=SUGGESTED, score=1.0 / (rank + 1), detail=scope.wish)
        found.setdefault(
            match.item_id, BusItem(item=match.item_id, score=note.score, evidence=[note])
        )
    bus = list(found.values())[: scope.k]
    named = ", ".join(items.label(items.index[b.item]) for b in bus)
    return (f"{len(bus)} of {len(titles)} found: {named}" if bus else "none found"), bus


PLAN_TOOLS: dict[str, BaseTool] = {
    f.__name__: StructuredTool.from_function(f, response_format="content_and_artifact")
    for f in (
        personalized,
        search_catalog,
        similar_items,
        related_by_people,
        popular,
        looks_like_picture,
        text_to_image,
    )
}
PICTURE_TOOLS = frozenset({"looks_like_picture", "text_to_image"})  # need an image index
SUGGEST_TOOL: BaseTool = StructuredTool.from_function(
    suggest_titles, response_format="content_and_artifact"
)
TOOLS: dict[str, BaseTool] = {**PLAN_TOOLS, SUGGEST_TOOL.name: SUGGEST_TOOL}


def _run(
    scope: ToolScope,
    weights: dict[str, float] | None,
    liked: tuple[str, ...] = (),
    query: str = "",
    with_user: bool = True,
    blend: tuple[Blend, ...] = (),
) -> tuple[str, list[BusItem]]:
    rec = scope.app.recommender
    profile, _ = rec.profile(
        scope.user_id if with_user else None, liked=liked, exclude=scope.exclude, query=query
    )
    found = rec.recommend(profile, scope.k, mask=scope.mask, weights=weights, blend=blend)
    bus = [to_bus_item(scope.app, c) for c in found]
    return _summary(scope, bus), bus


def _summary(scope: ToolScope, bus: list[BusItem]) -> str:
    """What a tool tells an LLM: how many candidates, and the first few titles."""
    items = scope.app.dataset.items
    titles = ", ".join(items.label(items.index[b.item]) for b in bus[:5])
    return f"{len(bus)} candidates, e.g. {titles}" if bus else "no candidates"


def _year_of(title: str) -> int | None:
    """The year written in a title ("Heat (1995)"), if any."""
    years = YEAR.findall(title)
    return int(years[-1]) if years else None


def _resolve(scope: ToolScope, titles: list[str]) -> tuple[str, ...]:
    ids = []
    for t in titles:
        if t in scope.app.dataset.items.index:
            ids.append(t)
        elif (m := scope.app.titles.resolve(t)) is not None:
            ids.append(m.item_id)
    return tuple(ids)


def _taste(scope: ToolScope) -> tuple[Blend, ...]:
    """The user's own ranking (history and liked items) to blend in, if there is one."""
    user, _ = scope.app.recommender.profile(scope.user_id, liked=scope.liked, exclude=scope.exclude)
    return (Blend(user, weight=TASTE_WEIGHT),) if user.history else ()


def to_bus_item(app: Resources, c: Candidate) -> BusItem:
    """An engine candidate (catalog rows) as a bus entry (item ids)."""
    ids = app.dataset.items.ids
    return BusItem(
        item=ids[c.item],
        score=float(c.score),
        evidence=[
            EvidenceNote(
                source=e.source,
                score=float(e.score),
                because=ids[e.because] if e.because is not None else None,
                relation=e.relation,
                entity=e.entity,
                detail=e.detail,
            )
            for e in c.evidence
        ],
    )
