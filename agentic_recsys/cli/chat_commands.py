"""Slash commands of `ars chat`: what each means, and the message it becomes.

Commands about items (`/like 2`, `/why 3`, `/more`) are translated into the words the
intent agent understands ("I liked #2"), so typing them and saying them take one path.
`/image PATH_OR_URL [words]` sends a picture with the words, as does a picture's path (or
an allowed URL) pasted in a message. The rest (`/memory`, `/threads`, `/model`, ...) are
handled by the chat itself.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from agentic_recsys.data.fields import Domain
from agentic_recsys.errors import ArsError
from agentic_recsys.perception.images import ALLOW_URLS_HINT, is_image_url


class CommandError(ArsError):
    """A slash command used wrongly; the chat prints it and carries on."""


@dataclass(frozen=True)
class Say:
    """Send this message to the agents, as if the user had typed it, with these pictures."""

    message: str
    images: list[str] = field(default_factory=list)  # paths or URLs, checked when sent


@dataclass(frozen=True)
class Local:
    """A command the chat handles itself: its name and argument."""

    name: str
    arg: str = ""


@dataclass(frozen=True)
class CommandHelp:
    """One line of `/help`."""

    usage: str
    meaning: str


# How each item command is said in words; {positions} is "#2" or "#1 and #3".
ITEM_PHRASES = {
    "like": "I liked {positions}",
    "dislike": "I did not like {positions}",
    "seen": "I have already {seen} {positions}",
    "why": "why {positions}",
}
PHRASES = {"more": "more"}
LOCAL = {"help", "memory", "forget", "new", "threads", "resume", "model", "quit"}
ALIASES = {"exit": "quit", "q": "quit", "?": "help", "love": "like", "hate": "dislike"}
NEEDS_ARG = {"resume": "/resume ID (see /threads)"}
IMAGE_USAGE = "usage: /image PATH_OR_URL [words], e.g. /image poster.jpg more like this"
# What a pasted word must end with to be taken for a picture (its content decides the rest).
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg", ".bmp", ".tif", ".tiff")
GENERIC = Domain()

# {noun} and {seen} are the catalog's words ("book", "read"): see `help_lines`.
HELP = [
    CommandHelp("/like N", 'you liked {noun} N of the last list (also: "I loved the second one")'),
    CommandHelp("/dislike N", "you did not like {noun} N; it is not shown again"),
    CommandHelp("/{seen} N", "you have {seen} {noun} N; it is not shown again"),
    CommandHelp("/why N", "why {noun} N was recommended"),
    CommandHelp("/more", "more like the last list, none shown before"),
    CommandHelp("/image PATH [words]", "send a picture (a poster, a cover) with your words"),
    CommandHelp("/memory", "what is remembered about you across conversations"),
    CommandHelp("/forget", "delete everything remembered about you (asks first)"),
    CommandHelp("/new", "start a new conversation"),
    CommandHelp("/threads", "your conversations, most recent first"),
    CommandHelp("/resume ID", "go back to a conversation"),
    CommandHelp("/model [provider:model]", "show the model of each role, or switch all roles"),
    CommandHelp("/quit", "leave (Ctrl-D works too; Ctrl-C stops a reply)"),
]


def help_lines(domain: Domain = GENERIC) -> list[CommandHelp]:
    """The commands in the catalog's words: `/read N` on a books catalog (`/seen` works too)."""
    words = {"noun": domain.noun, "seen": domain.seen}
    return [CommandHelp(h.usage.format(**words), h.meaning.format(**words)) for h in HELP]


_UNDECODED = re.compile("[\udc80-\udcff]")  # how undecodable bytes arrive


def readable(line: str) -> str:
    """The line with undecodable bytes shown as replacement marks (safe to print or dump)."""
    return _UNDECODED.sub("\ufffd", line)


def parse_line(line: str, domain: Domain = GENERIC, shown: int | None = None) -> Say | Local:
    """Read one input line: a message, or a slash command (CommandError if misused).

    `domain` gives the catalog's words (`/read 2` is `/seen 2` on a books catalog);
    `shown`, when known, is how many items the last list has: `/why 9` on a list of five
    is refused here. Bytes that were not UTF-8 reach here as lone surrogates (stdin's
    "surrogateescape"): such a line is refused whole rather than sent with the bytes guessed at.
    """
    if _UNDECODED.search(line):
        raise CommandError("this line is not valid UTF-8; nothing was sent")
    text = line.strip()
    if not text.startswith("/") or text.startswith("//"):
        return Say(text[1:] if text.startswith("//") else text)  # "//" sends a literal slash
    word, _, arg = text[1:].partition(" ")
    aliases = {domain.seen: "seen", **ALIASES}
    name = aliases.get(word.lower(), word.lower())
    arg = arg.strip()
    if name in ("image", "picture"):
        return _picture(arg)
    if name in ITEM_PHRASES:
        positions = _positions(word.lower(), arg, domain, shown)
        return Say(ITEM_PHRASES[name].format(positions=positions, seen=domain.seen))
    if name in PHRASES:
        return Say(PHRASES[name] + (f" {arg}" if arg else ""))
    if name in LOCAL:
        if name in NEEDS_ARG and not arg:
            raise CommandError(f"usage: {NEEDS_ARG[name]}")
        return Local(name, arg)
    raise CommandError(f"unknown command /{word}; /help lists the commands")


def _positions(name: str, arg: str, domain: Domain, shown: int | None) -> str:
    numbers = arg.replace(",", " ").replace("#", " ").split()
    if not numbers or not all(n.isdigit() and int(n) >= 1 for n in numbers):
        raise CommandError(
            f"usage: /{name} N, where N is the {domain.noun}'s number in the last list"
        )
    if shown == 0:
        raise CommandError(f"no {domain.plural} shown yet: ask for some first")
    if shown is not None and max(int(n) for n in numbers) > shown:
        listed = (
            f"1 {domain.noun} (#1)" if shown == 1 else f"{shown} {domain.plural} (#1 to #{shown})"
        )
        raise CommandError(f"the last list has only {listed}")
    tags = [f"#{int(n)}" for n in numbers]
    return tags[0] if len(tags) == 1 else ", ".join(tags[:-1]) + " and " + tags[-1]


def _picture(arg: str) -> Say:
    """`/image PATH_OR_URL [words]`; a path with spaces is quoted."""
    if not arg:
        raise CommandError(IMAGE_USAGE)
    if arg[0] in "'\"":
        end = arg.find(arg[0], 1)
        if end < 0:
            raise CommandError(IMAGE_USAGE)
        source, rest = arg[1:end], arg[end + 1 :]
    else:
        source, _, rest = arg.partition(" ")
    return Say(rest.strip(), [source])


def pasted_pictures(say: Say, allow_urls: bool) -> tuple[Say, list[str]]:
    """The message with the pictures pasted in it moved to its images, and hints to print.

    A picture is a word naming an existing picture file, or a picture URL when fetching
    is allowed (else a hint says how to allow it and the URL stays a word).
    """
    try:
        words = shlex.split(say.message)
    except ValueError:  # an unbalanced quote: plain words
        words = say.message.split()
    pictures, hints = [], []
    for word in words:
        picture = word.lower().endswith(PICTURE_SUFFIXES)
        if is_image_url(word):
            if picture or urlparse(word).path.lower().endswith(PICTURE_SUFFIXES):
                if allow_urls:
                    pictures.append(word)
                else:
                    hints.append(f"(not fetching {word[:80]}: {ALLOW_URLS_HINT})")
        elif picture and Path(word).expanduser().is_file():
            pictures.append(word)
    if not pictures:
        return say, hints
    text = say.message
    for p in pictures:
        text = text.replace(f"'{p}'", " ").replace(f'"{p}"', " ").replace(p, " ")
    return Say(" ".join(text.split()), [*say.images, *pictures]), hints
