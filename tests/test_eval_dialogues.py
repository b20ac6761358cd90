"""`ars eval dialogues`: ReDial-format scripts, target rules, hit counting, the command's output.

The dialogues are written here for the tests (not taken from ReDial); the catalog is a
small movie dataset with MovieLens-style titles ("Usual Suspects, The", "Seven (Se7en)").
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from agentic_recsys.cli.main import run
from agentic_recsys.cli.output import print_table
from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.evaluation.converse import SYSTEM
from agentic_recsys.evaluation.dialogues import (
    ITEMKNN_BASELINE,
    DialogueLog,
    DialoguesConfig,
    replay,
    run_dialogues,
    summarize,
)
from agentic_recsys.evaluation.redial import (
    CatalogNames,
    Dialogue,
    Script,
    SeekerTurn,
    Target,
    read_dialogues,
    script_of,
    title_key,
)

SEEKER, HELPER = 1, 2
MOVIES = [  # id, title, year, genres
    ("m1", "Usual Suspects, The", 1995, ("Crime", "Thriller")),
    ("m2", "Heat", 1995, ("Action", "Crime")),
    ("m3", "Seven (Se7en)", 1995, ("Crime", "Thriller")),
    ("m4", "Fargo", 1996, ("Crime", "Comedy")),
    ("m5", "Jaws", 1975, ("Horror", "Thriller")),
    ("m6", "Shining, The", 1980, ("Horror",)),
    ("m7", "Groundhog Day", 1993, ("Comedy", "Romance")),
    ("m8", "Clueless", 1995, ("Comedy",)),
    ("m9", "Alien", 1979, ("Horror", "Sci-Fi")),
    ("m10", "Aliens", 1986, ("Action", "Sci-Fi")),
    ("m11", "Casablanca", 1942, ("Drama", "Romance")),
    ("m12", "Heat", 1986, ("Action",)),
    ("m13", "Toy Story", 1995, ("Animation", "Comedy")),
    ("m14", "Grease", 1978, ("Musical", "Romance")),
]


def message(sender: int, text: str) -> dict[str, Any]:
    return {"senderWorkerId": sender, "text": text, "timeOffset": 0, "messageId": 0}


def liked(suggested: int = 1, liked: int = 1) -> dict[str, int]:
    return {"suggested": suggested, "seen": 0, "liked": liked}


# Mentions: 11 The Usual Suspects, 12 Heat (1995), 13 Se7en, 14 Jaws (1990: a wrong year),
# 15 a film the catalog lacks, 16 Fargo, 17 a mention without a name, 18 Groundhog Day,
# 19 Casablanca.
CRIME = {
    "conversationId": "c1",
    "initiatorWorkerId": SEEKER,
    "respondentWorkerId": HELPER,
    "movieMentions": {
        "11": "Usual Suspects, The (1995)",
        "12": "Heat (1995)",
        "13": "Se7en (1995)",
        "14": "Jaws (1990)",
        "15": "Knives Out (2019)",
        "16": "Fargo  (1996)",
        "17": "",
        "18": "Groundhog Day (1993)",
        "19": "Casablanca (1942)",
    },
    "initiatorQuestions": {
        "11": liked(0, 1),
        "12": liked(),
        "13": liked(),
        "14": liked(),
        "15": liked(),
        "16": liked(1, 0),
        "17": liked(0, 1),
        "18": liked(),
        "19": liked(),
    },
    "respondentQuestions": {},
    "messages": [
        message(HELPER, "Hi! Have you seen @18 ?"),  # before the seeker spoke: not a target
        message(SEEKER, "hello"),
        message(SEEKER, "I loved @11 and @17 , anything similar?"),
        message(HELPER, "Try @12 or @15"),  # Heat: a target; Knives Out: not in the catalog
        message(SEEKER, "seen @13 already, it was great"),
        message(HELPER, "then @13 is out. @16 ?"),  # Se7en mentioned before; Fargo not liked
        message(HELPER, "or @14"),  # Jaws (1990) is not the catalog's Jaws (1975)
        message(SEEKER, "ok thanks"),
        message(HELPER, "@19 too"),  # a target
        message(SEEKER, "bye"),  # after the last target: not replayed
    ],
}
# The seeker's answers are an empty list: the recommender's answers stand in.
HORROR = {
    "conversationId": "c2",
    "initiatorWorkerId": SEEKER,
    "movieMentions": {"21": "The Shining (1980)", "22": "Alien (1979)"},
    "initiatorQuestions": [],
    "respondentQuestions": {"21": liked(0, 1), "22": liked()},
    "messages": [
        message(SEEKER, "I want a scary movie like @21"),
        message(HELPER, "Then watch @22"),
        message(SEEKER, "great, thanks"),
    ],
}
# No liked suggestion in the catalog: nothing to replay.
CHAT = {
    "conversationId": "c3",
    "initiatorWorkerId": SEEKER,
    "movieMentions": [],
    "initiatorQuestions": [],
    "respondentQuestions": [],
    "messages": [message(SEEKER, "hi"), message(HELPER, "hello! what do you like?")],
}
COMEDY = {
    "conversationId": "c4",
    "initiatorWorkerId": SEEKER,
    "movieMentions": {"41": "Clueless (1995)", "42": "Groundhog Day (1993)"},
    "initiatorQuestions": {"41": liked(0, 1), "42": liked()},
    "respondentQuestions": {},
    "messages": [
        message(SEEKER, "Can you recommend a funny comedy? I liked @41"),
        message(HELPER, "@42 is a classic"),
    ],
}


# What a seeker says here is remembered (a dislike, a seen movie): a later user must not know.
MOODY = {
    "conversationId": "c5",
    "initiatorWorkerId": SEEKER,
    "movieMentions": {"51": "Toy Story (1995)", "52": "Alien (1979)"},
    "initiatorQuestions": {"51": liked(0, 1), "52": liked()},
    "respondentQuestions": {},
    "messages": [
        message(SEEKER, "some good movies from the 90s please"),
        message(HELPER, "what do you like?"),
        message(SEEKER, "I have seen @51 and I hate comedies"),
        message(HELPER, "how about @52 then"),
    ],
}


@pytest.fixture(scope="module")
def movies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small prepared catalog: users who like crime, horror or comedy films."""
    items = [ItemRecord(id=i, title=t, year=y, genres=g) for i, t, y, g in MOVIES]
    groups = [["m1", "m2", "m3", "m4", "m12"], ["m5", "m6", "m9", "m10"], ["m7", "m8", "m13"]]
    events = [
        InteractionRecord(user=f"u{g}-{n}", item=item, rating=4.0, timestamp=float(t))
        for g, group in enumerate(groups)
        for n in range(6)
        for t, item in enumerate(group[n % 2 :] + ["m11", "m14"][: n % 3])
    ]
    return write_dataset(tmp_path_factory.mktemp("movies") / "movies", "movies", items, events)


@pytest.fixture(scope="module")
def catalog(movies: Path) -> CatalogNames:
    return CatalogNames(Dataset.open(movies).items)


def write_jsonl(path: Path, *dialogues: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in dialogues))
    return path


def rows_of(movies: Path, *ids: str) -> tuple[int, ...]:
    index = Dataset.open(movies).items.index
    return tuple(index[i] for i in ids)


def test_titles_match_by_normalised_title_and_year(movies: Path, catalog: CatalogNames) -> None:
    assert title_key("Usual Suspects, The") == title_key("The Usual Suspects") == "usual suspects"
    found = {
        name: catalog.find(name)
        for name in (
            "The Usual Suspects (1995)",
            "Usual Suspects, The  (1995)",
            "Se7en (1995)",
            "Seven (1995)",
            "Heat (1995)",
            "Heat (1986)",
            "Jaws (1990)",
            "Jaws",
            "",
        )
    }
    m1, m3, m2, m12 = rows_of(movies, "m1", "m3", "m2", "m12")
    assert found == {
        "The Usual Suspects (1995)": m1,
        "Usual Suspects, The  (1995)": m1,
        "Se7en (1995)": m3,
        "Seven (1995)": m3,
        "Heat (1995)": m2,
        "Heat (1986)": m12,
        "Jaws (1990)": None,  # a wrong year is another film
        "Jaws": None,  # the catalog's Jaws has a year
        "": None,
    }


def test_script_writes_mentions_and_picks_targets(movies: Path, catalog: CatalogNames) -> None:
    script = script_of(Dialogue.model_validate(CRIME), catalog)
    m1, m2, m3, m11 = rows_of(movies, "m1", "m2", "m3", "m11")
    assert [t.text for t in script.turns] == [
        "hello\nI loved Usual Suspects, The (1995) and , anything similar?",
        "seen Se7en (1995) already, it was great",
        "ok thanks",
    ]  # "bye", after the last target, is not replayed
    assert [t.named for t in script.turns] == [(m1,), (m3,), ()]
    assert [t.asks for t in script.turns] == [True, True, True]  # answered with a suggestion
    # Not Groundhog Day (before the seeker spoke), Knives Out (not in the catalog), Se7en
    # (mentioned before), Fargo (not liked), Jaws (1990) (the catalog's is from 1975).
    assert script.targets == (
        Target(m2, "Heat (1995)", after_turn=1),
        Target(m11, "Casablanca (1942)", after_turn=3),
    )


def test_empty_seeker_answers_use_the_recommenders(movies: Path, catalog: CatalogNames) -> None:
    script = script_of(Dialogue.model_validate(HORROR), catalog)
    assert script.targets == (Target(rows_of(movies, "m9")[0], "Alien (1979)", after_turn=1),)
    assert [t.text for t in script.turns] == ["I want a scary movie like The Shining (1980)"]
    assert script_of(Dialogue.model_validate(CHAT), catalog).targets == ()


@dataclass(frozen=True)
class Scripted:
    """A system turn with given items."""

    items: list[str]
    text: str = ""
    question: str = ""
    llm_calls: int = 0
    seconds: float = 0.01


def test_hits_use_the_latest_list_with_items() -> None:
    turns = tuple(SeekerTurn(f"turn {n}", (), asks=n != 2) for n in range(1, 4))
    targets = (Target(5, "E", 1), Target(7, "G", 2), Target(9, "I", 3), Target(3, "C", 3))
    script = Script("d", turns, targets)
    answers = iter([["i1", "i5"], [], ["i3", "i1", "i2", "i4", "i0", "i6", "i9"]])
    ids = [f"i{n}" for n in range(10)]
    log = replay("s", script, "user", lambda turn: Scripted(next(answers)), ids)
    # E at rank 2 of turn 1; G missing from turn 1's list (turn 2 showed nothing);
    # I at rank 7 of turn 3 (a hit at 10, not at 5); C at rank 1.
    assert [(t.label, t.rank) for t in log.targets] == [("E", 2), ("G", None), ("I", 7), ("C", 1)]
    metrics = summarize("s", [log])
    assert metrics.hit_at == {1: 0.25, 5: 0.5, 10: 0.75}
    assert metrics.targets == 4 and metrics.turns == 3 and metrics.asking_turns == 2
    assert metrics.empty == pytest.approx(1 / 3) and metrics.empty_when_asked == 0.0
    assert summarize("s", [DialogueLog("s", "d", "u")]).hit_at == {1: 0.0, 5: 0.0, 10: 0.0}


def ars(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the console script's entry point in this process; return (status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["ars", *args])
    with pytest.raises(SystemExit) as exit_:
        run()
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_the_command_as_json_and_as_a_table(
    movies: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = write_jsonl(tmp_path / "d.jsonl", CRIME, HORROR, CHAT, COMEDY)
    args = ("eval", "dialogues", str(file), "--data", str(movies))
    status, out, err = ars(monkeypatch, capsys, *args, "--json", "--show", "5")
    assert status == 0, err
    report = json.loads(out)  # one object, nothing else on stdout
    assert (report["dialogues"], report["replayed"], report["count"]) == (4, 3, 10)
    systems = [m["system"] for m in report["metrics"]]
    assert systems[0] == SYSTEM and ITEMKNN_BASELINE in systems and len(systems) == 4
    for m in report["metrics"]:
        assert m["targets"] == 4 and m["turns"] == 5 and m["asking_turns"] == 5
        assert set(m["hit_at"]) == {"1", "5", "10"}
    for miss in report["misses"]:
        assert miss["turns"] and len(miss["turns"]) == miss["target"]["after_turn"]
        assert {"text", "reply", "items", "labels", "asks"} <= set(miss["turns"][0])
    status, out, _ = ars(monkeypatch, capsys, *args, "--limit", "2")
    assert status == 0
    assert "…" not in out  # piped: the table is as wide as it needs, no cut cells
    assert "2 of 2 dialogues" in out and "Hit@10" in out and "itemknn+keywords" in out


def test_every_dialogue_is_a_new_user(movies: Path, tmp_path: Path) -> None:
    """The same dialogue twice gets the same answers: nothing of the first reaches the second."""
    file = write_jsonl(tmp_path / "twice.jsonl", MOODY, HORROR, MOODY)
    report = run_dialogues(file, movies, DialoguesConfig())
    logs = [log for log in report.logs if log.system == SYSTEM]
    assert len({log.user_id for log in logs}) == 3
    assert [t.items for t in logs[0].turns] == [t.items for t in logs[2].turns]
    assert [t.text for t in logs[0].turns][1] == "I have seen Toy Story (1995) and I hate comedies"
    assert logs[0].turns[0].items


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        ('{"conversationId": "x", "initiatorWorkerId": 1, "messages": []}\n{"oops"\n', "line 2"),
        ('{"conversationId": "x", "messages": []}\n', "line 1, field 'initiatorWorkerId'"),
        ('{"conversationId": "x", "initiatorWorkerId": 1, "messages": [{"text": 3}]}\n', "line 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    content: str | None,
    says: str,
    movies: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "bad.jsonl"
    if content is not None:
        file.write_text(content)
    status, out, err = ars(
        monkeypatch, capsys, "eval", "dialogues", str(file), "--data", str(movies)
    )
    assert status == 2 and out == ""
    assert err.startswith(f"error: {file}") and says in err and err.count("\n") == 1


def test_an_unknown_dataset_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_jsonl(tmp_path / "d.jsonl", COMEDY)
    nowhere = tmp_path / "nowhere"
    status, _, err = ars(
        monkeypatch, capsys, "eval", "dialogues", str(file), "--data", str(nowhere)
    )
    assert status == 2 and "does not exist" in err and err.count("\n") == 1


def test_read_dialogues_limit(tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "d.jsonl", CRIME, HORROR, CHAT)
    assert [d.conversationId for d in read_dialogues(file, limit=2)] == ["c1", "c2"]


def test_a_piped_table_keeps_its_cells(tmp_path: Path) -> None:
    table = Table(title="wide")
    for n in range(14):
        table.add_column(f"column {n}", justify="right")
    table.add_row(*(f"{n}.123456" for n in range(14)))
    with (tmp_path / "out.txt").open("w") as f:
        print_table(Console(file=f), table)
    text = (tmp_path / "out.txt").read_text()
    assert "…" not in text and "13.123456" in text and "column 13" in text
