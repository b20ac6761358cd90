"""Slash commands of `ars chat`: what they become, and how misuse is reported."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from agentic_recsys.cli.chat_commands import (
    CommandError,
    Local,
    Say,
    help_lines,
    parse_line,
    pasted_pictures,
)
from agentic_recsys.cli.chat_turns import Event, TurnWorker
from agentic_recsys.data.fields import DOMAINS

BOOKS, MOVIES = DOMAINS["book"], DOMAINS["movie"]


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
        ("/image poster.jpg more like this", Say("more like this", ["poster.jpg"])),
        ("/image 'my poster.png'", Say("", ["my poster.png"])),
        ("/image https://e.com/p.png", Say("", ["https://e.com/p.png"])),
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
        ("/image", "/image PATH_OR_URL"),
        ("/image 'unclosed.png", "/image PATH_OR_URL"),
    ],
)
def test_misused_commands_say_how_to_use_them(line: str, hint: str) -> None:
    with pytest.raises(CommandError, match=hint):
        parse_line(line)


def test_pictures_pasted_in_a_message(tmp_path: Path) -> None:
    poster = tmp_path / "poster.png"
    poster.write_bytes(b"checked when sent")
    said, hints = pasted_pictures(Say(f"more like {poster} please"), allow_urls=False)
    assert (said, hints) == (Say("more like please", [str(poster)]), [])
    quoted = tmp_path / "my poster.jpg"
    quoted.write_bytes(b"x")
    said, _ = pasted_pictures(Say(f'like "{quoted}"'), allow_urls=False)
    assert said == Say("like", [str(quoted)])
    # words that only look like files, a missing file, a URL not allowed: words stay words
    for text in ("I liked toy.story and fargo", f"like {tmp_path / 'gone.png'}", "don't"):
        assert pasted_pictures(Say(text), allow_urls=False) == (Say(text), [])
    url = "https://example.com/a/poster.webp"
    said, hints = pasted_pictures(Say(f"like {url}"), allow_urls=False)
    assert said == Say(f"like {url}") and "ARS_IMAGE_URLS=allow" in hints[0]
    assert pasted_pictures(Say(f"like {url}"), allow_urls=True) == (Say("like", [url]), [])
    assert pasted_pictures(Say("see https://example.com/page"), allow_urls=True)[0].images == []


@pytest.mark.parametrize("domain", list(DOMAINS))
def test_every_command_in_help_parses(domain: str) -> None:
    for entry in help_lines(DOMAINS[domain]):
        usage = entry.usage.replace("[provider:model]", "").replace(" N", " 1")
        assert parse_line(usage.replace("ID", "t1"), DOMAINS[domain]) is not None


def test_a_books_catalog_says_read_and_takes_read_for_seen() -> None:
    lines = {h.usage: h.meaning for h in help_lines(BOOKS)}
    assert lines["/read N"] == "you have read book N; it is not shown again"
    assert "/seen N" in {h.usage for h in help_lines(MOVIES)}
    for line in ("/read 2", "/seen 2", "/READ #2"):
        assert parse_line(line, BOOKS) == Say("I have already read #2")
    with pytest.raises(CommandError, match="/read N, where N is the book's number"):
        parse_line("/read", BOOKS)
    with pytest.raises(CommandError, match="unknown command /read"):
        parse_line("/read 2", MOVIES)


@pytest.mark.parametrize(
    ("line", "shown", "says"),
    [
        ("/why 9", 5, "the last list has only 5 books (#1 to #5)"),
        ("/like 1 7", 5, "the last list has only 5 books"),
        ("/why 2", 1, "the last list has only 1 book (#1)"),
        ("/read 1", 0, "no books shown yet"),
    ],
)
def test_a_number_past_the_last_list_says_how_long_it_is(line: str, shown: int, says: str) -> None:
    with pytest.raises(CommandError, match=re.escape(says)):
        parse_line(line, BOOKS, shown)
    assert parse_line("/why 5", BOOKS, 5) == Say("why #5")


class SlowSession:
    """A turn whose second step blocks until released: stands in for a slow graph node."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()

    def stream(self, message: str, images: Sequence[str] = ()) -> Iterator[Event]:
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
        def stream(self, message: str, images: Sequence[str] = ()) -> Iterator[Event]:
            raise ValueError("boom")
            yield  # a generator

    with pytest.raises(ValueError, match="boom"):
        list(TurnWorker().run(Broken(), "hi"))
