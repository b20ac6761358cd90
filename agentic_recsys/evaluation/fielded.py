"""A catalog with real fields, and plain-English requests whose valid answers are known.

The catalog is generated (seeded): current-style films with runtime, viewer rating,
content rating, streaming services, director and cast. Each request comes with the
check a valid answer must pass, written as code over the generated records, not through
the system's parser; a quarter of them have no valid item, where the right answer is to
say which constraint cannot be met. `run_fielded` reports how often the first pick meets
every stated constraint, and how often the system abstains when it must.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentic_recsys.data.dataset import InteractionRecord, ItemRecord, write_dataset

GENRES = (
    "Comedy",
    "Drama",
    "Thriller",
    "Horror",
    "Action",
    "Romance",
    "Sci-Fi",
    "Animation",
    "Documentary",
    "Family",
)
RATINGS = ("G", "PG", "PG-13", "R", "NR")
SERVICES = ("Netflix", "Hulu", "Prime Video", "Disney+", "Max", "Apple TV+")
FIRST = (
    "Ava",
    "Noah",
    "Mia",
    "Liam",
    "Zoe",
    "Ethan",
    "Nora",
    "Omar",
    "Lena",
    "Hugo",
    "Iris",
    "Kofi",
    "Rosa",
    "Yuki",
    "Tariq",
    "Elena",
    "Marco",
    "Priya",
    "Jonas",
    "Maya",
)
LAST = (
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Castellano",
    "Brennan",
    "Haddad",
    "Novak",
    "Albrecht",
    "Kowalski",
    "Ferreira",
    "Nakamura",
    "Delacroix",
    "Whitfield",
    "Sorensen",
    "Abernathy",
    "Vasquez",
    "Petrov",
    "Ashworth",
    "Mbeki",
)
ADJ = (
    "Silent",
    "Crimson",
    "Hidden",
    "Last",
    "Golden",
    "Broken",
    "Distant",
    "Wild",
    "Frozen",
    "Hollow",
    "Bright",
    "Secret",
    "Burning",
    "Quiet",
    "Electric",
    "Lost",
    "Iron",
    "Velvet",
)
NOUN = (
    "Harbor",
    "Signal",
    "Orchard",
    "Frontier",
    "Mirror",
    "Garden",
    "Circuit",
    "Tide",
    "Lantern",
    "Meridian",
    "Canyon",
    "Archive",
    "Parade",
    "Comet",
    "Summit",
    "Labyrinth",
)


@dataclass(frozen=True)
class Film:
    """One generated film, as the requests' checks see it."""

    id: str
    title: str
    year: int
    genres: tuple[str, ...]
    runtime: int
    imdb_rating: float
    content_rating: str
    services: tuple[str, ...]
    director: str
    cast: tuple[str, ...]


def generate_films(n: int = 240, seed: int = 7) -> list[Film]:
    """Films with every field filled, seeded so the requests' answers never move."""
    rng = random.Random(seed)
    people = [f"{f} {last}" for f in FIRST for last in LAST]
    rng.shuffle(people)
    directors, actors = people[:30], people[30:150]
    titles = rng.sample([f"The {a} {b}" for a in ADJ for b in NOUN], n)
    films = []
    for i, title in enumerate(titles):
        genres = tuple(sorted(rng.sample(GENRES, rng.choice((1, 2, 2, 3)))))
        family = "Family" in genres or "Animation" in genres
        rating = rng.choice(("G", "PG")) if family else rng.choice(RATINGS[1:] + ("R", "PG-13"))
        films.append(
            Film(
                id=str(i + 1),
                title=title,
                year=rng.randint(2005, 2024),
                genres=genres,
                runtime=rng.randint(78, 185),
                imdb_rating=round(rng.uniform(4.2, 9.1), 1),
                content_rating=rating,
                services=tuple(sorted(rng.sample(SERVICES, rng.choice((1, 1, 2, 3))))),
                director=rng.choice(directors),
                cast=tuple(rng.sample(actors, 3)),
            )
        )
    return films


def write_films(out: Path, films: list[Film], users: int = 150, seed: int = 7) -> Path:
    """Write the films as a dataset folder, with interactions skewed to some films."""
    rng = random.Random(seed)
    items = [
        ItemRecord(
            id=f.id,
            title=f.title,
            year=f.year,
            genres=f.genres,
            description=f"A {' and '.join(g.lower() for g in f.genres)} film directed by "
            f"{f.director}.",
            extra={
                "runtime": f"{f.runtime} min",
                "imdb_rating": f"{f.imdb_rating}",
                "content_rating": f.content_rating,
                "services": "|".join(f.services),
            },
        )
        for f in films
    ]
    weights = [rng.paretovariate(1.2) for _ in films]
    events = []
    for u in range(users):
        for j, film in enumerate(rng.choices(films, weights=weights, k=rng.randint(5, 25))):
            events.append(
                InteractionRecord(f"u{u}", film.id, float(rng.randint(1, 5)), u * 100 + j)
            )
    relations = [(f.id, "director", f.director) for f in films] + [
        (f.id, "cast", a) for f in films for a in f.cast
    ]
    return write_dataset(out, "Fielded films", items, events, relations, domain="movie")


Check = Callable[[Film], bool]


@dataclass(frozen=True)
class Case:
    """A request and the check every valid answer passes."""

    text: str
    check: Check


def cases(films: list[Film]) -> list[Case]:
    """Requests in plain English; their answers are whatever the checks accept."""
    director = films[0].director
    actor = films[3].cast[0]
    surname = films[5].director.split()[-1]

    def on(service: str) -> Check:
        return lambda f: service in f.services

    return [
        Case(
            "a comedy no longer than 100 minutes",
            lambda f: "Comedy" in f.genres and f.runtime <= 100,
        ),
        Case("something rated 8 or higher", lambda f: f.imdb_rating >= 8),
        Case(
            "thrillers rated PG-13 or R",
            lambda f: "Thriller" in f.genres and f.content_rating in ("PG-13", "R"),
        ),
        Case(
            "what's on Netflix that's under 2 hours?",
            lambda f: on("Netflix")(f) and f.runtime <= 120,
        ),
        Case(
            "a drama with an imdb rating above 7.5, nothing rated R",
            lambda f: "Drama" in f.genres and f.imdb_rating >= 7.5 and f.content_rating != "R",
        ),
        Case("a family movie on Disney+", lambda f: "Family" in f.genres and on("Disney+")(f)),
        Case(
            "horror from after 2015 that I can stream on Hulu",
            lambda f: "Horror" in f.genres and f.year > 2015 and on("Hulu")(f),
        ),
        Case(f"a movie directed by {director}", lambda f: f.director == director),
        Case(f"anything with {actor}", lambda f: actor in f.cast),
        Case(f"something by {surname}", lambda f: f.director.endswith(surname)),
        Case(
            "an action movie at least 150 minutes long",
            lambda f: "Action" in f.genres and f.runtime >= 150,
        ),
        Case(
            "a sci-fi film between 90 and 120 minutes",
            lambda f: "Sci-Fi" in f.genres and 90 <= f.runtime <= 120,
        ),
        Case(
            "I only have Prime Video, any good comedies?",
            lambda f: on("Prime Video")(f) and "Comedy" in f.genres,
        ),
        Case(
            "a romance that isn't on Netflix",
            lambda f: "Romance" in f.genres and not on("Netflix")(f),
        ),
        Case(
            "show me a documentary rated at least 7",
            lambda f: "Documentary" in f.genres and f.imdb_rating >= 7,
        ),
        Case(
            "a PG movie under 95 minutes for the kids",
            lambda f: f.content_rating == "PG" and f.runtime <= 95,
        ),
        Case(
            "a thriller with a score of 6.5 or more on Max",
            lambda f: "Thriller" in f.genres and f.imdb_rating >= 6.5 and on("Max")(f),
        ),
        Case(
            "give me an R-rated action movie",
            lambda f: f.content_rating == "R" and "Action" in f.genres,
        ),
        Case("something short and funny", lambda f: "Comedy" in f.genres and f.runtime <= 105),
        Case(
            "a drama no more than 2 hours long, from the last ten years",
            lambda f: "Drama" in f.genres and f.runtime <= 120 and f.year >= 2015,
        ),
        Case(
            "animated films on Apple TV+", lambda f: "Animation" in f.genres and on("Apple TV+")(f)
        ),
        Case("a highly rated thriller", lambda f: "Thriller" in f.genres and f.imdb_rating >= 7.4),
        Case(
            "a horror movie that's not rated NR and under 100 minutes",
            lambda f: "Horror" in f.genres and f.content_rating != "NR" and f.runtime <= 100,
        ),
        Case(
            "comedies streaming on Hulu or Max",
            lambda f: "Comedy" in f.genres and (on("Hulu")(f) or on("Max")(f)),
        ),
        Case("a movie rated 4 stars or more", lambda f: f.imdb_rating >= 8),
        Case(
            "romantic comedy, PG-13, on Prime Video",
            lambda f: (
                {"Romance", "Comedy"} & set(f.genres) != set()
                and f.content_rating == "PG-13"
                and on("Prime Video")(f)
            ),
        ),
        Case("something over 160 minutes", lambda f: f.runtime >= 160),
        Case(
            "a sci-fi movie rated 7.5 or better that runs under 2 hours",
            lambda f: "Sci-Fi" in f.genres and f.imdb_rating >= 7.5 and f.runtime <= 120,
        ),
        Case(
            "an action film, not on Disney+, at most 110 minutes",
            lambda f: "Action" in f.genres and not on("Disney+")(f) and f.runtime <= 110,
        ),
        Case("a documentary on Netflix", lambda f: "Documentary" in f.genres and on("Netflix")(f)),
        # no valid item: the system must say which constraint cannot be met
        Case("a G-rated horror movie", lambda f: f.content_rating == "G" and "Horror" in f.genres),
        Case(
            "a comedy shorter than 60 minutes", lambda f: "Comedy" in f.genres and f.runtime <= 60
        ),
        Case(
            "a thriller rated 9.5 or higher",
            lambda f: "Thriller" in f.genres and f.imdb_rating >= 9.5,
        ),
        Case(
            "an animated R-rated movie on Hulu",
            lambda f: "Animation" in f.genres and f.content_rating == "R" and on("Hulu")(f),
        ),
        Case(
            "a documentary over 3 hours long",
            lambda f: "Documentary" in f.genres and f.runtime >= 180,
        ),
        Case(
            f"a family film directed by {films[1].director} rated NR",
            lambda f: (
                f.director == films[1].director
                and "Family" in f.genres
                and f.content_rating == "NR"
            ),
        ),
        Case(
            "a horror film rated G on Disney+ under 90 minutes",
            lambda f: (
                "Horror" in f.genres
                and f.content_rating == "G"
                and on("Disney+")(f)
                and f.runtime <= 90
            ),
        ),
        Case("a movie from before 2000", lambda f: f.year < 2000),
        Case(
            "a romance rated below 4.5 on Apple TV+ and Max",
            lambda f: (
                "Romance" in f.genres
                and f.imdb_rating <= 4.5
                and on("Apple TV+")(f)
                and on("Max")(f)
            ),
        ),
        Case("a kids movie rated R", lambda f: "Family" in f.genres and f.content_rating == "R"),
        Case(
            "a PG-13 animated movie",
            lambda f: "Animation" in f.genres and f.content_rating == "PG-13",
        ),
        Case("anything with a rating of 9.5 or more", lambda f: f.imdb_rating >= 9.5),
        Case(
            "an action movie over 170 minutes rated 8.5 or more",
            lambda f: "Action" in f.genres and f.runtime >= 170 and f.imdb_rating >= 8.5,
        ),
    ]


@dataclass(frozen=True)
class FieldedResult:
    """How the system did on the requests."""

    answerable: int
    first_pick_ok: int
    unanswerable: int
    abstained: int
    failures: list[str]
    seconds: float

    @property
    def first_pick_rate(self) -> float:
        """Share of answerable requests whose first pick meets every stated constraint."""
        return self.first_pick_ok / max(1, self.answerable)

    @property
    def abstention_rate(self) -> float:
        """Share of unanswerable requests where the reply says what cannot be met."""
        return self.abstained / max(1, self.unanswerable)


def run_fielded(folder: Path, model: str = "none", seed: int = 7) -> FieldedResult:
    """Write the catalog into `folder`, send each request in a new conversation, score it."""
    import agentic_recsys as ars

    films = generate_films(seed=seed)
    write_films(folder, films, seed=seed)
    by_id = {f.id: f for f in films}
    answerable = ok = unanswerable = abstained = 0
    failures = []
    start = time.perf_counter()
    with ars.open(folder) as app:
        for n, case in enumerate(cases(films)):
            valid = [f for f in films if case.check(f)]
            reply = app.session(user_id=f"fielded-{n}", model=model).send(case.text)
            if valid:
                answerable += 1
                first = by_id.get(reply.items[0]) if reply.items else None
                if first is not None and case.check(first) and not reply.unmet:
                    ok += 1
                else:
                    failures.append(f"{case.text!r} -> {first.title if first else 'no items'}")
            else:
                unanswerable += 1
                if reply.unmet or not reply.items:
                    abstained += 1
                else:
                    failures.append(f"{case.text!r} (no valid item) -> shown as meeting it")
    return FieldedResult(
        answerable, ok, unanswerable, abstained, failures, time.perf_counter() - start
    )
