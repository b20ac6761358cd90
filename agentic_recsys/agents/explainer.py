"""Explainer agent: writes the reply, one grounded reason per item.

Reasons are built only from an item's evidence and catalog facts (the constraint it
meets, the liked item it resembles, the knowledge-graph entity it shares). An LLM, even
the small embedded one, may word them; its wording is kept only if it
claims nothing the facts do not hold (`agents.faithful`), else the template stands.
"""

from __future__ import annotations

import re
from typing import Annotated

import numpy as np
from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agentic_recsys.agents.faithful import faithful
from agentic_recsys.agents.prompts import CHITCHAT_SYSTEM, EXPLAINER_SYSTEM, EXPLAINER_USER
from agentic_recsys.llm import ask_json, ask_text
from agentic_recsys.resources import Resources
from agentic_recsys.tools.retrieval import SUGGESTED
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import RoleModel, app_of, context_of, role_model
from agentic_recsys.turn.state import BusItem, EvidenceNote, ModelUse, Plan, State
from agentic_recsys.understanding.intent_rules import cannot_use
from agentic_recsys.understanding.predicates import describe, number_text, numeric_column
from agentic_recsys.understanding.schema import Intent

RELATION_NAMES = {
    "directed_by": "director",
    "actor": "actor",
    "written_by": "writer",
    "produced_by": "producer",
    "cinematography": "cinematographer",
    "sequel": "series",
    "prequel": "series",
    "production_companies": "studio",
    "subjects": "subject",
    "genre": "genre",
    "award_won": "award",
    "award_nomination": "award nomination",
}
BECAUSE = {
    "sequential": "often {verb} soon after {liked}",
    "als": "suits people who {verb} {liked}",
}
PEOPLE_ALSO = "people who {verb} {liked} also {verb} it"
SOURCE_ONLY = {
    "popularity": "one of the most {verb}",
    "recent_popularity": "much {verb} lately",
    "als": "fits your taste profile",
}
POPULAR_SAYING = 0.75  # "one of the most watched" only for the top quarter by interactions
THANKS = re.compile(r"\b(?:thanks?|thx|ty|cheers|thank\s+you)\b")
BYE = re.compile(r"\b(?:bye|goodbye|see\s+you|good\s+night)\b")
EXPLAINER_MAX_TOKENS = 200  # an opening and five short reasons
DESCRIPTION_CHARS = 200
ABOUT_CHARS = 600  # "what is #2 about?": the description, up to a short paragraph
GREETING = (
    "Tell me what you are in the mood for (a genre, an era, a {noun} you liked) and "
    "I will find something."
)
GOING_ON = (  # talk after a list: the list stands, and the chat goes on from it
    'Say "more" for more like these, or tell me what to change (a genre, an era, a {noun} '
    "you liked)."
)


class LLMReply(BaseModel):
    """An LLM's wording of the reply: an opening and one reason per item, in order."""

    opening: str = Field(max_length=160)
    reasons: list[Annotated[str, Field(max_length=160)]] = Field(max_length=20)


def explainer_agent(state: State, runtime: Runtime[Context]) -> dict[str, object]:
    """Write the turn's reply from the intent, the critique and the accepted candidates."""
    app = app_of(runtime)
    intent = state["intent"]
    assert intent is not None, "the intent agent runs first"
    role = role_model(runtime, "explainer")
    critique = state.get("critique")
    acted = intent.kind in ("recommend", "refine", "feedback")
    if acted and critique is not None and critique.verdict != "clarify":
        items = [c.item for c in state.get("candidates", [])]
        return _reply_with_items(state, runtime, app, role, intent, items)
    if intent.kind == "explain":
        return _reply(state, explain(app, state, intent), [], {}, "", role.use())
    if acted and critique is not None:  # the critic found nothing: ask
        return _reply(state, critique.question, [], {}, critique.question, role.use())
    if intent.kind == "clarify":
        question = intent.question or "What are you in the mood for?"
        return _reply(state, question, [], {}, question, role.use())
    if intent.kind == "edit_profile":
        return _reply(state, acknowledge(intent, app) or "Noted.", [], {}, "", role.use())
    text, use = small_talk(state, runtime, role)
    return _reply(state, text, [], {}, "", use)


def _reply_with_items(
    state: State,
    runtime: Runtime[Context],
    app: Resources,
    role: RoleModel,
    intent: Intent,
    items: list[str],
) -> dict[str, object]:
    bus = {c.item: c for c in state.get("candidates", [])}
    plan = state["plan"]
    assert plan is not None
    reasons = {i: reason(app, bus[i], plan) for i in items}
    opening = " ".join(filter(None, [acknowledge(intent, app), heading(app, plan, len(items))]))
    use = role.use()
    if role.may("words"):
        facts = {i: item_facts(app, i, reasons[i]) for i in items}
        answer, calls = ask_json(
            role.model,
            LLMReply,
            EXPLAINER_SYSTEM,
            EXPLAINER_USER.format(
                request=state["message"][:300],
                items="\n".join(f"{n}. {facts[i]}" for n, i in enumerate(items, 1)),
            ),
            role="explainer",
            timeout_s=context_of(runtime).llm_timeout_s,
            max_tokens=EXPLAINER_MAX_TOKENS,
        )
        why = None
        if answer is not None and len(answer.reasons) != len(items):
            why = f"worded {len(answer.reasons)} of {len(items)} items"
        elif answer is not None:
            kept = 0
            for i, text in zip(items, answer.reasons, strict=True):
                if faithful(text, facts[i], app, i):
                    reasons[i] = text.strip()
                    kept += 1
            if faithful(answer.opening, opening, app):
                opening = answer.opening.strip()
            if kept < len(items):
                why = f"{len(items) - kept} of {len(items)} reasons claimed unsupported facts"
        use = role.use(calls, why=why)
    lines = [opening] + [
        f"{n}. {app.dataset.items.label(app.dataset.items.index[i])} - {reasons[i]}"
        for n, i in enumerate(items, 1)
    ]
    critique = state.get("critique")
    question = critique.question if critique is not None else ""
    text = "\n".join([*lines, question] if question else lines)
    return _reply(state, text, items, reasons, question, use)


def _reply(
    state: State,
    text: str,
    items: list[str],
    explanations: dict[str, str],
    question: str,
    use: ModelUse,
) -> dict[str, object]:
    update: dict[str, object] = {
        "reply": text,
        "items": items,
        "explanations": explanations,
        "question": question,
        "unmet": plan.unmet if items and (plan := state.get("plan")) is not None else [],
        "follow_up": question if items else "",
        "messages": [AIMessage(content=text)],
        "models": [*state.get("models", []), use],
    }
    if items:
        update["shown"] = items
        update["shown_before"] = list(dict.fromkeys([*state.get("shown_before", []), *items]))
    return update


def item_facts(app: Resources, item: str, why: str) -> str:
    """What the LLM is told about one item, and all its wording may claim."""
    items = app.dataset.items
    row = items.index[item]
    about = " ".join(items.descriptions[row].split())[:DESCRIPTION_CHARS]
    return f"{items.label(row)}: {why}" + (f". About: {about}" if about else "")


def reason(app: Resources, item: BusItem, plan: Plan) -> str:
    """One line on why an item is here, from its evidence and the catalog only."""
    items = app.dataset.items
    row = items.index[item.item]
    parts = []
    met = [g for g in items.genres[row] if g in plan.constraints.genres_in]
    genres = ", ".join(items.genres[row][:3])
    if met:
        parts.append(
            f"a {', '.join(met)} pick" + (f" ({genres})" if len(items.genres[row]) > 1 else "")
        )
    elif genres:
        parts.append(genres)
    seen_because: set[str] = set()
    for e in sorted(item.evidence, key=lambda e: -e.score):
        text = _evidence_text(app, e, item.item)
        if text and text not in seen_because:
            seen_because.add(text)
            parts.append(text)
        if len(parts) >= 3:
            break
    return "; ".join(parts) or "a good match overall"


def _evidence_text(app: Resources, e: EvidenceNote, item: str | None = None) -> str:
    """How one piece of evidence reads in a reply; "" when it is too weak to mention."""
    items = app.dataset.items
    liked = items.label(items.index[e.because]) if e.because in items.index else ""
    if e.source == "kg" and not app.dataset.relations_trusted:
        return ""  # the dataset's links are unverified: never state them as facts
    if e.source == "kg" and e.relation and liked:
        relation = e.relation.rsplit(".", 1)[-1]
        name = RELATION_NAMES.get(relation, relation.replace("_", " "))
        return f"shares {'an' if name[0] in 'aeiou' else 'a'} {name} with {liked}"
    if e.source in ("picture", "picture_text"):
        return e.detail if cites_picture(app, e) else ""
    if e.source == SUGGESTED:  # the model's claim, said as the model's
        return f"named by the model for '{e.detail}'" if e.detail else "named by the model"
    if e.source == "semantic":
        semantic = app.recommender.semantic
        if e.score < (semantic.close_neighbour if liked else semantic.chance_match):
            return ""  # no closer than is usual on this catalog: not worth saying
        return f"close in description to {liked}" if liked else "matches what you described"
    verb = app.dataset.schema.domain.verb
    if liked:
        return BECAUSE.get(e.source, PEOPLE_ALSO).format(liked=liked, verb=verb)
    if e.source in ("popularity", "recent_popularity") and (
        item is None or app.popularity_percentile[items.index[item]] < POPULAR_SAYING
    ):
        return ""  # not true of this item, so not said
    return SOURCE_ONLY.get(e.source, "").format(verb=verb)


def cites_picture(app: Resources, e: EvidenceNote) -> bool:
    """Whether a picture's score is worth saying: only from the image index, above its bar.

    A picture the user sent must be closer than half the catalog's pictures are to their
    nearest neighbour; a look in words, closer than words that describe nothing.
    """
    index = app.images
    if index is None:
        return False
    bar = index.close_neighbour if e.source == "picture" else index.text_chance
    return e.score > bar


def heading(app: Resources, plan: Plan, n: int) -> str:
    """The opening line: what was asked for, anything relaxed, and what nothing meets.

    When what meets it all was shown already (or the user knows it), the line says so:
    "no item here has it" would be false.
    """
    c, schema = plan.constraints, app.dataset.schema
    what = "1 pick" if n == 1 else f"{n} picks"
    if c.genres_in:
        what += f" in {' or '.join(c.genres_in)}"
    if c.year_min or c.year_max:
        what += f" from {c.year_min or 'any year'} to {c.year_max or 'now'}"
    wishes = [describe(p, schema) for p in c.predicates]
    if wishes:
        what += f" with {', '.join(wishes)}"
    if c.genres_out:
        what += f", no {', '.join(c.genres_out)}"
    notes = f" (I {'; '.join(plan.notes)}.)" if plan.notes else ""
    if plan.unmet:
        noun, unmet = schema.domain.noun, " and ".join(plan.unmet)
        said = (
            f"Every {noun} here with {unmet} along with the rest of what you asked is one "
            "I have shown you or you know already"
            if plan.spent
            else f"No {noun} here has {unmet} along with the rest of what you asked"
        )
        return f"{said}. The closest {'one' if n == 1 else n}, without that: {what}:{notes}"
    return f"Here {'is' if n == 1 else 'are'} {what}:{notes}"


def acknowledge(intent: Intent, app: Resources) -> str:
    """Say back the feedback and lasting preferences taken, and titles not found."""
    items = app.dataset.items
    said = []
    for verdict in ("liked", "disliked", "seen"):
        titles = [
            items.label(items.index[f.item])
            for f in intent.feedback
            if f.verdict == verdict and f.item in items.index
        ]
        if titles:
            said.append(
                f"noted that you {'have ' if verdict == 'seen' else ''}{verdict} "
                f"{', '.join(titles)}"
            )
    if intent.reject_shown:
        said.append("I will leave those out")
    for p in intent.preferences:
        said.append(
            f"I will remember you {'like' if p.polarity == 'like' else 'avoid'} "
            f"{p.key.split(':', 1)[-1]}"
        )
    said.extend(intent.notes)
    said.extend(intent.problems)
    if intent.unsupported:
        said.append(cannot_use(intent.unsupported))
    if intent.unresolved_titles:
        said.append(
            "I could not find "
            + ", ".join(f'"{t}"' for t in intent.unresolved_titles)
            + " in the catalog"
        )
    return (said[0][0].upper() + "; ".join(said)[1:] + ".") if said else ""


def explain(app: Resources, state: State, intent: Intent) -> str:
    """Why the asked-about items were shown, from the evidence kept on the bus.

    Asked what an item is about (`Intent.explain_about`), the answer is what the catalog
    says it is, never the reason it was picked.
    """
    items = app.dataset.items
    bus = {c.item: c for c in state.get("candidates", [])}
    plan = state.get("plan")
    lines = []
    for i in intent.explain_items:
        label = items.label(items.index[i]) if i in items.index else i
        if intent.explain_about and i in items.index:
            lines.append(about(app, i))
        elif i in bus and plan is not None:
            lines.append(f"{label}: {reason(app, bus[i], plan)}.")
        elif i in items.index:
            genres = ", ".join(items.genres[items.index[i]]) or "no listed genre"
            lines.append(f"{label} was not in my last list; it is {genres}.")
    return "\n".join(lines) or 'Which one? Say its number, like "why #2".'


def about(app: Resources, item: str) -> str:
    """What the catalog says an item is, for "what is #2 about?".

    Its description; else that the catalog has none, and the facts it does hold (genres,
    year, people and the other fields): never the reason it was picked instead.
    """
    dataset = app.dataset
    items, row = dataset.items, dataset.items.index[item]
    description = " ".join(items.descriptions[row].split())
    if len(description) > ABOUT_CHARS:
        description = description[:ABOUT_CHARS].rsplit(" ", 1)[0] + "..."
    people: dict[str, list[str]] = {}  # "author": ["Ursula K. Le Guin"]
    if dataset.relations_trusted:  # unverified links are never stated as facts
        relations = dataset.relations
        for j in np.flatnonzero(relations.items == row):
            name = relations.relations[j].rsplit(".", 1)[-1]
            name = RELATION_NAMES.get(name, name.replace("_", " "))
            people.setdefault(name, []).append(relations.entities[j])
    said = {label: f"{label} {', '.join(dict.fromkeys(names))}" for label, names in people.items()}
    for name, values in items.extra.items():
        f = dataset.schema.field(name)
        label = f.label if f else name
        if values[row] and label not in said:
            counted = f is not None and f.unit in ("minutes", "pages")
            number = numeric_column(dataset, name)[row] if counted else np.nan
            said[label] = (
                f"{label} {values[row]}" if np.isnan(number) else number_text(f, float(number))
            )
    facts = [", ".join(items.genres[row])] if items.genres[row] else []
    facts += [f"from {items.years[row]}"] if items.years[row] else []
    facts += said.values()
    if description:
        return f"{items.label(row)}: {description}" + (f" ({'; '.join(facts)})" if facts else "")
    holds = f"; it holds: {'; '.join(facts)}" if facts else ""
    return f"{items.label(row)}: the catalog has no description of it{holds}."


def small_talk(state: State, runtime: Runtime[Context], role: RoleModel) -> tuple[str, ModelUse]:
    """Greetings and off-topic messages: a short answer steering back to recommendations."""
    noun = app_of(runtime).dataset.schema.domain.noun
    if not role.may("words"):
        return small_talk_rules(state["message"], noun, bool(state.get("shown"))), role.use()
    text, calls = ask_text(
        role.model,
        CHITCHAT_SYSTEM,
        state["message"][:500],
        role="explainer",
        timeout_s=context_of(runtime).llm_timeout_s,
        max_chars=400,
    )
    said = " ".join(state["message"].split()).casefold()
    # a small model may only echo the message back ("thanks!"): the template is better
    echo = text is not None and " ".join(text.split()).casefold() == said
    ok = bool(text) and not echo and faithful(text or "", "", app_of(runtime))
    fallback = small_talk_rules(state["message"], noun, bool(state.get("shown")))
    why = None if ok or text is None else "the reply echoed the message or claimed facts"
    return (text.strip() if ok and text else fallback), role.use(calls, why=why)


def small_talk_rules(message: str, noun: str, listed: bool) -> str:
    """Answer thanks and goodbyes in kind; else a hello and what to ask.

    After a list (`listed`), say how to go on from it: a remark is not a new start.
    """
    lower = message.lower()
    if BYE.search(lower):
        return "Bye for now!"
    if listed:
        going_on = GOING_ON.format(noun=noun)
        return f"You are welcome! {going_on}" if THANKS.search(lower) else going_on
    greeting = GREETING.format(noun=noun)
    return f"{'You are welcome!' if THANKS.search(lower) else 'Hi!'} {greeting}"
