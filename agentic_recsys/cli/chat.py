"""`ars chat`: the conversation with the recommender, in a terminal or as JSON lines.

Only the command's options live here; the chat itself is imported when it runs, so
`ars --help` does not pay for loading LangGraph and the engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXIT_INTERRUPTED = 130


def chat(
    data: Annotated[
        Path,
        typer.Option(
            "--data", envvar="ARS_DATA", help="A prepared dataset folder (see `ars data`)."
        ),
    ] = Path("data/ml-100k"),
    user: Annotated[
        str | None,
        typer.Option(
            envvar="ARS_USER",
            help="Who is talking: memory and conversations are kept per user "
            "(default: your login name).",
            show_default=False,
        ),
    ] = None,
    thread: Annotated[
        str | None,
        typer.Option(
            help="Go on with this conversation (ids: /threads in the chat); a new id starts one."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="provider:model for every role, e.g. openai:gpt-4o-mini, local:smollm2, none "
            "(default: $ARS_MODEL, else none: rules only)."
        ),
    ] = None,
    vision_model: Annotated[
        str | None,
        typer.Option(
            help="provider:model that reads the pictures you send (/image), e.g. "
            "openai:gpt-4o-mini or openai:<model>@http://127.0.0.1:8080/v1 (default: "
            "$ARS_VISION_MODEL, else --model).",
            show_default=False,
        ),
    ] = None,
    allow_image_urls: Annotated[
        bool,
        typer.Option(
            "--allow-image-urls",
            help="Fetch pictures from http(s) URLs you send (also: ARS_IMAGE_URLS=allow).",
        ),
    ] = False,
    json_mode: Annotated[
        bool,
        typer.Option(
            "--json", help="Read messages line by line from stdin; print one JSON object per turn."
        ),
    ] = False,
) -> None:
    """Talk to the recommender: ask, refine, say what you liked. Type /help in the chat.

    Conversations are saved in the dataset folder: quit, and go on later with --thread.

    Exit status: 0 done; 2 bad input or no dataset (the message says what to do);
    130 interrupted.
    """
    from agentic_recsys.cli.chat_start import start_chat

    try:
        start_chat(data, user, thread, model, json_mode, vision_model, allow_image_urls)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
