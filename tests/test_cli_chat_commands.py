"""Slash commands of `ars chat`: what they become, and how misuse is reported."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from agentic_recsys.cli.chat_commands import HELP, CommandError, Local, Say, parse_line
from agentic_recsys.cli.chat_turns import Event, TurnWorker


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a funny 90s movie", Say("a funny 90s movie")),
        ("  /like 2 ", Say("I liked #2")),
        ("/like 1, 3", Say("I liked #1 and #3")),
        ("/like #1 #2 #4", Say("I liked #1, #2 and #4")),
        ("/dislike 3", Say("I did not like #3")),
        ("/seen 1", Say("I have already seen #1")),
        ("/why 2", Say("why #2")),
        ("/more", Say("more")),
        ("/more but older", Say("more but older")),
        ("/MEMORY", Local("memory")),
        ("/resume abc123", Local("resume", "abc123")),
        ("/model openai:gpt-4o-mini", Local("model", "openai:gpt-4o-mini")),
        ("/exit", Local("quit")),
        ("//like is a slash", Say("/like is a slash")),
    ],
)
def test_lines_become_messages_or_local_commands(line: str, expected: Say | Local) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("/like", "/like N"),
        ("/why two", "/why N"),
        ("/seen 0", "/seen N"),
        ("/resume", "/threads"),
        ("/frobnicate", "/help"),
    ],
)
def test_misused_commands_say_how_to_use_them(line: str, hint: str) -> None:
    with pytest.raises(CommandError, match=hint):
        parse_line(line)


def test_every_command_in_help_parses() -> None:
    for entry in HELP:
        usage = entry.usage.replace("[provider:model]", "").replace(" N", " 1")
        assert parse_line(usage.replace("ID", "t1")) is not None


class SlowSession:
    """A turn whose second step blocks until released: stands in for a slow graph node."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()

    def stream(self, message: str) -> Iterator[Event]:
        yield "step", "recall"
        self.release.wait(timeout=10)
        yield "step", "intent"
        self.finished.set()
        yield "result", message


def test_a_stopped_turn_is_dropped_and_the_next_waits_for_it() -> None:
    worker = TurnWorker()
    slow = SlowSession()
    events = worker.run(slow, "first")
    assert next(events) == ("step", "recall")
    events.close()  # what Ctrl-C does to the loop reading the events
    assert worker.busy
    slow.release.set()
    fast = SlowSession()
    fast.release.set()
    assert list(worker.run(fast, "second"))[-1] == ("result", "second")
    assert not worker.busy
    assert not slow.finished.is_set()  # the stopped turn ran no further node


def test_an_error_in_the_turn_is_raised_to_the_caller() -> None:
    class Broken:
        def stream(self, message: str) -> Iterator[Event]:
            raise ValueError("boom")
            yield  # a generator

    with pytest.raises(ValueError, match="boom"):
        list(TurnWorker().run(Broken(), "hi"))
