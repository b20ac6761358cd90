"""Text from a catalog, a user or a model, made safe to put on a terminal.

Titles, memories, user ids, replies and error messages are data: shown as they read,
never as rich markup (a title "[/]" would end every style around it, "[link=...]" would
hide a link) and never as terminal control (an escape sequence in a title can recolour,
retitle or clear the screen, or write into the clipboard). Everything the CLI prints
that did not come from its own code goes through `shown`.
"""

from __future__ import annotations

import re

from rich.style import StyleType
from rich.text import Text

# ESC sequences first (CSI, OSC/DCS/APC/PM/SOS strings up to their terminator, two-byte
# escapes), then any C0/C1 control left but newline and tab, and the bidirectional
# overrides that make text display in another order than it reads.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI ... final byte
    r"|\x1b[\]P^_X][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, PM, APC, SOS strings
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x9d\x90\x9e\x9f\x98][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit strings
    r"|\x1b[ -/]*[0-~]?"  # other escapes (charset, keypad, RIS ...)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean(value: object) -> str:
    """The text without control characters or escape sequences; tabs become spaces."""
    return _CONTROL.sub("", str(value).replace("\t", " "))


def shown(value: object, style: StyleType = "") -> Text:
    """A rich Text showing `value` literally: no markup read, no terminal control kept."""
    return Text(clean(value), style=style)
