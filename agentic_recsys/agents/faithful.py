"""Whether an LLM's wording of a reason claims only what the facts given to it say.

A small model asked to word "Crime; shares an actor with Good Will Hunting" writes "Ben
Affleck is a well-known actor known for his work in animated films": a person, a
reputation and a filmography that no fact holds. Each check below names one kind of
claim; a wording that makes any claim its facts do not support is replaced by the template.
"""

from __future__ import annotations

import re

from agentic_recsys.resources import Resources

MAX_CHARS = 400
MIN_TITLE_CHARS = 8  # shorter titles ("Heat", "Big") are ordinary words in a sentence
NUMBER = re.compile(r"\b\d[\d,.]*\b")
# Claims about reputation, awards, people's work, plots and rank: each word must be in the facts.
CLAIM = re.compile(
    r"\b(?:awards?|award-winning|oscars?|academy|golden\s+globes?|emmys?|nominat\w*|won|wins|"
    r"winner|winning|acclaimed|critically|masterpiece|classic|cult|iconic|legendary|famous|"
    r"well-known|renowned|known|best|greatest|finest|top|most|highest|biggest|favou?rite|"
    r"popular|blockbuster|hit|box\s+office|starring|stars|starred|star|actor|actress|cast|"
    r"directed|director|written|writer|produced|producer|plot|story|follows|tells|career|"
    r"performance|role|roles|based\s+on|true\s+story|sequel|remake|trilogy|franchise|"
    r"first|only|ever|all\s+time|beloved|everyone|audiences|critics|"
    # what a picture shows: said only from the image index's evidence
    r"pictures?|images?|posters?|covers?|photos?|photographs?|artwork|visually|looks\s+like)\b",
    re.IGNORECASE,
)
# Two or more capitalised words in a row: a person, a place, a title, a studio.
NAME = re.compile(r"(?<![\w'])[A-Z][\w'.-]*(?:\s+(?:of\s+|the\s+|de\s+|van\s+)?[A-Z][\w'.-]*)+")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)$")


def unsupported_claims(text: str, facts: str, app: Resources, item: str | None = None) -> list[str]:
    """The claims in `text` that `facts` (and the item's own relations) do not support."""
    if not text.strip():
        return ["(empty)"]
    if len(text) > MAX_CHARS:
        return ["(too long)"]
    known = facts.casefold()
    known_words = set(re.findall(r"[\w'-]+", known)) | _entity_words(app, item)
    claims = [n for n in NUMBER.findall(text) if n.strip(".,") not in known]
    claims += [
        m.group()
        for m in CLAIM.finditer(text)
        if not re.search(rf"\b{re.escape(m.group().casefold())}\b", known)
    ]
    for m in NAME.finditer(text):
        words = m.group().split()
        if SENTENCE_START.search(text[: m.start()]):
            words = words[1:]  # "Enjoy The Italian Job": the first word is just capitalised
        if any(w.casefold().strip(".'") not in known_words for w in words if len(w) > 2):
            claims.append(m.group())
    lowered = text.casefold()
    claims += [
        t
        for t in app.dataset.items.titles
        if len(t) >= MIN_TITLE_CHARS and t.casefold() in lowered and t.casefold() not in known
    ]
    return list(dict.fromkeys(claims))


def faithful(text: str, facts: str, app: Resources, item: str | None = None) -> bool:
    """Whether `text` claims nothing beyond `facts` (see `unsupported_claims`)."""
    return not unsupported_claims(text, facts, app, item)


def _entity_words(app: Resources, item: str | None) -> set[str]:
    """Words of the names (people, studios...) the item's trusted relations link it to."""
    items, dataset = app.dataset.items, app.dataset
    if item is None or item not in items.index or not dataset.relations_trusted:
        return set()
    rows = dataset.relations.items == items.index[item]
    names = [dataset.relations.entities[i] for i in rows.nonzero()[0]]
    return {w.casefold() for name in names for w in name.split()}
