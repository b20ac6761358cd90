"""A generated catalog of posters: distinct colours and layouts drawn with Pillow, as CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = (120, 180)  # a poster's 2:3
COLOURS = {
    "red": (200, 30, 30),
    "blue": (30, 60, 200),
    "green": (40, 160, 60),
    "yellow": (235, 220, 40),
    "purple": (130, 50, 170),
    "orange": (240, 140, 30),
    "pink": (240, 140, 190),
    "grey": (128, 128, 128),
    "black": (15, 15, 15),
    "white": (240, 240, 240),
}
LAYOUTS = ("plain", "light top", "dark bottom", "light centre")
GENRES = ("Drama", "Comedy", "Thriller", "Romance")
FIRST = ("Silent", "Golden", "Broken", "Last", "Hidden", "Northern", "Little", "Second")
SECOND = ("Harbor", "Promise", "Letters", "Station", "Garden")
PLOTS = {
    "Drama": "A family drifts apart after the father loses his job at the mill.",
    "Comedy": "Two hapless cousins inherit a failing bakery and a very stubborn goat.",
    "Thriller": "A detective races to stop a bomber before the city marathon begins.",
    "Romance": "Two strangers keep meeting at the same train station every spring.",
}


def poster(i: int) -> Image.Image:
    """Item i's poster: colour i % 10, layout i // 10 (40 distinct posters)."""
    name = list(COLOURS)[i % len(COLOURS)]
    layout = LAYOUTS[(i // len(COLOURS)) % len(LAYOUTS)]
    image = Image.new("RGB", SIZE, COLOURS[name])
    draw = ImageDraw.Draw(image)
    w, h = SIZE
    if layout == "light top":
        draw.rectangle((0, 0, w, h // 2), fill=(250, 250, 250))
    elif layout == "dark bottom":
        draw.rectangle((0, h // 2, w, h), fill=(5, 5, 5))
    elif layout == "light centre":
        draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(250, 250, 250))
    draw.text((8, 8), f"#{i}", fill=(255 - COLOURS[name][0], 128, 128))  # a "title" on it
    return image


def title(i: int) -> str:
    """Item i's title: two words that say nothing about its poster."""
    return f"{FIRST[i % len(FIRST)]} {SECOND[i // len(FIRST) % len(SECOND)]}"


def describe(i: int) -> str:
    """What item i's poster shows, in words."""
    name = list(COLOURS)[i % len(COLOURS)]
    return f"{name}, {LAYOUTS[(i // len(COLOURS)) % len(LAYOUTS)]}"


def write_catalog(folder: Path, n: int = 40, extra: tuple[tuple[str, str], ...] = ()) -> Path:
    """Posters as PNG files, items.csv naming them (relative paths) and interactions.csv.

    `extra` adds (id, image reference) rows: a missing file, a damaged one, a URL.
    """
    (folder / "posters").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        poster(i).save(folder / "posters" / f"{i}.png")
        rows.append(
            {
                "id": str(i),
                "title": title(i),
                "year": str(1980 + i),
                "genres": GENRES[i % len(GENRES)],
                "description": PLOTS[GENRES[i % len(GENRES)]],
                "image": f"posters/{i}.png",
            }
        )
    for item_id, ref in extra:
        rows.append(
            {
                "id": item_id,
                "title": f"Other Film {item_id}",
                "year": "2000",
                "genres": "Drama",
                "description": "",
                "image": ref,
            }
        )
    with (folder / "items.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with (folder / "interactions.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user", "item", "rating", "timestamp"])
        for u in range(12):
            for k in range(6):
                writer.writerow([f"u{u}", str((u * 3 + k * 7) % n), 4, u * 100 + k])
    return folder
