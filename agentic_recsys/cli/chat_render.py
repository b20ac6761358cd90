"""What `ars chat` shows: the banner, a turn as it runs, the reply, the items as a table.

Rendering only: nothing here runs a turn. The same facts feed the terminal view and the
`--json` objects, so both say the same thing. Every text from the catalog, the user or a
model is put on screen through `screen_text.shown`: literally, never as markup or control.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from agentic_recsys.cli.chat_commands import help_lines
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.data.dataset import Dataset, Items
from agentic_recsys.data.fields import Domain
from agentic_recsys.llm import ROLES, sees
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.state import ModelUse

if TYPE_CHECKING:
    from agentic_recsys.session import ThreadInfo, TurnResult

# What the graph does next once a node has finished: the spinner's label.
NEXT_ACTIVITY = {
    "recall": "understanding",
    "perceive": "understanding",
    "intent": "planning",
    "planner": "retrieving",
    "retrieval": "checking",
    "critic": "explaining",
    "explainer": "remembering",
}
FIRST_ACTIVITY = "understanding"
FALLBACKS = {"vision": "your words"}  # what serves a turn whose role fell back ("rules")
LINE_DELAY_S = 0.03  # the pace a rules-written reply is printed at, line by line
TITLE_WIDTH, GENRES_WIDTH, WHY_MIN_WIDTH = 32, 22, 30


def role_models(context: Context) -> dict[str, str]:
    """Name the model each role runs on, "rules" where none is set; and what sees pictures."""
    named: dict[str, str] = {role: _model_name(context.model_for(role)) for role in ROLES}
    vision = context.model_for("vision")
    return {**named, "vision": vision} if sees(vision) else named


def _model_name(spec: str) -> str:
    return "rules" if spec.strip().lower() in ("", "none") else spec


def banner(dataset: Dataset, context: Context, user_id: str, thread: str, resumed: bool) -> Panel:
    """Build the opening panel: the dataset, the model of each role, who and which conversation."""
    s = dataset.summary()
    models = Text(" · ").join(
        Text.assemble(f"{role} ", shown(name, "bold"))
        for role, name in role_models(context).items()
    )
    lines = Text("\n").join(
        [
            Text.assemble(
                shown(s["name"], "bold"),
                f"  {s['items']:,} items · {s['users']:,} users · "
                f"{s['interactions']:,} interactions",
            ),
            Text.assemble("models: ", models),
            Text.assemble(
                "user ",
                shown(user_id, "bold"),
                " · conversation ",
                shown(thread, "bold"),
                " (resumed)" if resumed else " (new)",
            ),
            shown(prompt_hint(dataset), style="dim"),
        ]
    )
    return Panel(lines, title="agentic-recsys", title_align="left", expand=False)


def prompt_hint(dataset: Dataset) -> str:
    """What to ask, from the catalog itself: a genre it has, its most chosen title.

    'Ask for something ("a fantasy book", "like The Hobbit"); /help' on a books catalog.
    """
    items, domain = dataset.items, dataset.schema.domain
    usable = np.flatnonzero(items.usable)
    examples = []
    genres = Counter(g for i in usable for g in items.genres[i])
    if genres:
        examples.append(f"a {genres.most_common(1)[0][0].casefold()} {domain.noun}")
    if len(usable):
        chosen = np.bincount(dataset.interactions.items, minlength=len(items))[usable]
        examples.append(f"like {items.titles[usable[int(chosen.argmax())]]}")
    said = ", ".join(f'"{e}"' for e in examples)
    return f"Ask for something ({said}); /help" if said else "Ask for something; /help"


class ItemFact(TypedDict):
    """A recommended item as plain data, for the table and for `--json`."""

    id: str
    title: str
    year: int
    genres: list[str]
    why: str


def items_table(items: Items, item_ids: list[str], explanations: dict[str, str]) -> Table:
    """Tabulate the recommended items: rank, title, year, genres and a one-line why."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("#", justify="right", style="bold")
    # the why is the longest text: titles and genres keep to a width, the why wraps
    table.add_column("title", max_width=TITLE_WIDTH)
    table.add_column("year", justify="right")
    table.add_column("genres", max_width=GENRES_WIDTH, style="cyan")
    table.add_column("why", min_width=WHY_MIN_WIDTH)
    for rank, fact in enumerate(item_facts(items, item_ids, explanations), 1):
        table.add_row(
            str(rank),
            shown(fact["title"]),
            str(fact["year"] or ""),
            shown(", ".join(fact["genres"])),
            shown(fact["why"]),
        )
    return table


def item_facts(items: Items, item_ids: list[str], explanations: dict[str, str]) -> list[ItemFact]:
    """Each recommended item as plain data, in rank order; unknown ids are skipped."""
    facts: list[ItemFact] = []
    for item_id in item_ids:
        row = items.index.get(item_id)
        if row is None:
            continue
        facts.append(
            {
                "id": item_id,
                "title": items.titles[row],
                "year": int(items.years[row]),
                "genres": list(items.genres[row]),
                "why": explanations.get(item_id, ""),
            }
        )
    return facts


def reply_prose(result: TurnResult) -> list[str]:
    """Return the reply's lines but the numbered items and a follow-up: both go under it."""
    numbered = tuple(f"{n}. " for n in range(1, len(result.items) + 1))
    lines = [ln for ln in result.text.splitlines() if not (numbered and ln.startswith(numbered))]
    asked = result.question.strip() if result.items else ""
    return [ln for ln in lines if ln.strip() and ln.strip() != asked]


def models_line(models: Iterable[ModelUse], seconds: float | None = None) -> Text:
    """Write a quiet footer: the roles each model served this turn, LLM calls, time."""
    uses = list(models)
    roles: dict[str, list[str]] = {}
    for use in uses:
        calls = f" ×{use.calls}" if use.calls else ""
        why = f": {use.why}" if use.why else ""
        instead = FALLBACKS.get(use.role, "rules")
        fell_back = f" (fell back to {instead}{why})" if use.fell_back else ""
        roles.setdefault(use.model, []).append(f"{use.role}{calls}{fell_back}")
    parts = [f"{', '.join(names)}: {model}" for model, names in roles.items()]
    total = sum(u.calls for u in uses)
    parts.append(f"{total} LLM call{'s' if total != 1 else ''}")
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    return shown(" · ".join(parts), style="dim")


def help_table(domain: Domain) -> Table:
    """Tabulate the commands, in the catalog's words, for `/help`."""
    table = Table(show_header=False, show_edge=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    for entry in help_lines(domain):
        table.add_row(Text(entry.usage), Text(entry.meaning))
    return table


def threads_table(threads: list[ThreadInfo], current: str) -> Table:
    """Tabulate the user's conversations, most recent first, the current one marked."""
    table = Table(show_edge=False, header_style="bold")
    table.add_column("conversation")
    table.add_column("turns", justify="right")
    table.add_column("last message")
    for t in threads:
        mark = " (current)" if t.thread_id == current else ""
        table.add_row(shown(t.thread_id + mark), str(t.turns), shown(t.last_message))
    return table


class TurnView:
    """A turn on screen while it runs: a spinner naming the current step, streamed text.

    Text shows only while it is being written: a reply arriving whole (written by rules)
    is printed with its table once the turn ends, and tokens that start a JSON object
    are structured output for the program, not prose.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.activity = FIRST_ACTIVITY
        self.streamed = ""
        self.chunks = 0
        self._start = time.monotonic()
        self._live = Live(self, console=console, transient=True, refresh_per_second=12)

    def __enter__(self) -> TurnView:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def step(self, node: str) -> None:
        """Name what comes next, now that `node` has finished."""
        self.activity = NEXT_ACTIVITY.get(node, self.activity)

    def token(self, text: str) -> None:
        """More of the reply, as an LLM writes it."""
        if self.chunks and text.strip() == self.streamed.strip():
            return  # the finished message, sent once more whole after its pieces
        self.streamed += text
        self.chunks += 1

    def __rich__(self) -> RenderableType:
        seconds = time.monotonic() - self._start
        spinner = Spinner("dots", Text(f"{self.activity}… {seconds:.0f}s", style="dim"))
        prose = self.streamed.lstrip()
        if self.chunks < 2 or prose.startswith(("{", "[", "```")):
            return spinner
        return Group(shown(prose), spinner)


def show_reply(console: Console, items: Items, result: TurnResult, paced: bool) -> None:
    """Print the reply (line by line when `paced`), the items table, then any question."""
    for line in reply_prose(result):
        console.print(shown(line))
        if paced:
            time.sleep(LINE_DELAY_S)
    if result.items:
        console.print(items_table(items, result.items, result.explanations))
    if result.question and (result.items or result.question.strip() not in result.text):
        console.print(shown(result.question, style="bold"))
