"""The interactive chat: read a line, run the turn with a live view, handle slash commands."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.prompt import Confirm
from rich.table import Table
from rich.text import Text

from agentic_recsys.app import App
from agentic_recsys.cli.chat_commands import Local, parse_line, pasted_pictures
from agentic_recsys.cli.chat_input import LineReader
from agentic_recsys.cli.chat_render import (
    TurnView,
    help_table,
    models_line,
    role_models,
    show_reply,
    threads_table,
)
from agentic_recsys.cli.chat_turns import TurnWorker, load_models, open_session
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.errors import ArsError
from agentic_recsys.llm import parse_spec
from agentic_recsys.session import Session, TurnResult

log = logging.getLogger(__name__)
MEMORY_EPISODES_SHOWN = 5  # /memory lists the latest episodes only; the rest are counted


class ChatScreen:
    """One person chatting in a terminal; the conversation is `session`, swapped by commands."""

    def __init__(self, console: Console, app: App, session: Session, reader: LineReader) -> None:
        self.console = console
        self.app = app
        self.session = session
        self.reader = reader
        self.worker = TurnWorker()
        self._handlers: dict[str, Callable[[str], bool]] = {
            "help": self._help,
            "memory": self._memory,
            "forget": self._forget,
            "new": self._new,
            "threads": self._threads,
            "resume": self._resume,
            "model": self._model,
            "quit": lambda _: False,
        }

    def run(self) -> None:
        """Chat until /quit or Ctrl-D; Ctrl-C stops a reply or clears the line."""
        while True:
            try:
                line = self.reader.read()
            except KeyboardInterrupt:
                self.console.print("[dim](Ctrl-D or /quit to leave)[/]")
                continue
            except EOFError:
                break
            if not line.strip():
                continue
            try:
                command = parse_line(line, self.app.dataset.schema.domain, self._shown())
                if isinstance(command, Local):
                    if not self._handlers[command.name](command.arg):
                        break
                elif command.message or command.images:
                    say, hints = pasted_pictures(command, self.session.allow_image_urls)
                    for hint in hints:
                        self.console.print(shown(hint, style="dim"))
                    self.turn(say.message, say.images)
            except ArsError as e:
                self.console.print(Text.assemble(("error: ", "bold red"), shown(e)))
            except Exception as e:  # a bug must not end the chat; the thread is saved anyway
                log.exception("turn failed")
                self.console.print(
                    Text.assemble(
                        ("unexpected error: ", "bold red"),
                        shown(repr(e)),
                        " (details in the chat log); the conversation is saved",
                    )
                )
        self.console.print(
            Text.assemble(
                "Bye. To go on later: ",
                shown(f"ars chat --thread {self.session.thread_id}", "bold"),
            ),
            highlight=False,
        )

    def turn(self, message: str, images: Sequence[str] = ()) -> None:
        """Run one turn with a spinner and streamed text; Ctrl-C drops it and returns."""
        if self.worker.busy:
            with self.console.status("finishing the stopped reply's current step…"):
                self.worker.wait()
        result: TurnResult | None = None
        view = TurnView(self.console)
        try:
            with view:
                for kind, value in self.worker.run(self.session, message, images):
                    if kind == "step":
                        view.step(str(value))
                    elif kind == "token":
                        view.token(str(value))
                    elif kind == "result":
                        assert isinstance(value, TurnResult)
                        result = value
        except KeyboardInterrupt:
            self.console.print("[dim](stopped)[/]")
            return
        assert result is not None, "a turn ends with its result"
        written_by_llm = any(u.role == "explainer" and u.calls for u in result.models)
        show_reply(self.console, self.app.dataset.items, result, paced=not written_by_llm)
        self.console.print(models_line(result.models, result.seconds))

    def show_last_reply(self) -> None:
        """When a conversation is resumed: its last message and reply, as they were shown."""
        values = self.session.values()
        if not values.get("reply"):
            return
        self.console.print(shown(f"you › {values.get('message', '')}", style="dim"))
        show_reply(
            self.console,
            self.app.dataset.items,
            TurnResult.of_state(values, self.session.thread_id, 0.0),
            paced=False,
        )

    def _shown(self) -> int:
        """How many items the last list has: what `/why N` and `/like N` may name."""
        return len(self.session.values().get("shown", []))

    def _help(self, _: str) -> bool:
        self.console.print(help_table(self.app.dataset.schema.domain))
        self.console.print(
            '[dim]Or just say it: "I loved the second one", "why #3", "something older".[/]'
        )
        return True

    def _memory(self, _: str) -> bool:
        user = self.session.user_id
        memory = self.app.memory
        self.console.print(shown(memory.summary(user), style="bold"))
        remembered = memory.show(user)
        episodes = [m for m in remembered if m.kind == "episode"]
        listed = [m for m in remembered if m.kind not in ("profile", "episode")]
        listed += episodes[-MEMORY_EPISODES_SHOWN:]
        if listed:
            table = Table(show_header=False, show_edge=False, box=None, padding=(0, 2, 0, 0))
            table.add_column(style="cyan")
            table.add_column()
            for m in listed:
                table.add_row(m.kind, shown(m.text))
            self.console.print(table)
        hidden = len(episodes) - MEMORY_EPISODES_SHOWN
        if hidden > 0:
            self.console.print(
                shown(
                    f"… and {hidden} earlier episodes (all: ars memory export --user {user})", "dim"
                ),
                highlight=False,
            )
        return True

    def _forget(self, _: str) -> bool:
        user = self.session.user_id
        try:
            sure = Confirm.ask(
                Text.assemble("Delete everything remembered about ", shown(user, "bold"), "?"),
                default=False,
                console=self.console,
            )
        except EOFError:  # input ended before an answer: nothing is deleted
            sure = False
        if sure:
            memories, conversations = self.app.forget(user)
            self.console.print(f"Forgot {memories} memories and {conversations} conversations.")
        return True

    def _new(self, _: str) -> bool:
        self.session = open_session(
            self.app,
            self.session.user_id,
            None,
            self.session.context,
            self.session.allow_image_urls,
        )
        self.console.print(
            Text.assemble("New conversation ", shown(self.session.thread_id, "bold"), "."),
            highlight=False,
        )
        return True

    def _threads(self, _: str) -> bool:
        threads = self.app.threads(self.session.user_id)
        if not threads:
            self.console.print("No saved conversations yet.")
        else:
            self.console.print(threads_table(threads, self.session.thread_id))
        return True

    def _resume(self, thread_id: str) -> bool:
        known = {t.thread_id for t in self.app.threads(self.session.user_id)}
        if thread_id not in known:
            raise ArsError(
                f"no conversation {thread_id} for {self.session.user_id}; /threads lists yours"
            )
        self.session = open_session(
            self.app,
            self.session.user_id,
            thread_id,
            self.session.context,
            self.session.allow_image_urls,
        )
        self.console.print(
            Text.assemble("Back in conversation ", shown(thread_id, "bold"), "."), highlight=False
        )
        self.show_last_reply()
        return True

    def _model(self, spec: str) -> bool:
        context = self.session.context
        if spec:
            context = dataclasses.replace(
                context,
                model=parse_spec(spec).text,
                intent_model="",
                planner_model="",
                critic_model="",
                explainer_model="",
            )
            load_models(context, self.console)
            self.session.context = context
        table = Table(show_header=False, show_edge=False, box=None, padding=(0, 2, 0, 0))
        for role, name in role_models(context).items():
            table.add_row(role, shown(name, "bold"))
        self.console.print(table)
        return True
