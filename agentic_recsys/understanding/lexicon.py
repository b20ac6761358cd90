"""The words the rule-based intent parser understands, grounded in a catalog's genre vocabulary.

Genre synonyms are grouped into families named after MovieLens genres; a family maps to
whichever catalog genre normalizes to one of its phrases, so a catalog that spells it
"Science Fiction" or "Sci-Fi" is served by the same lexicon and a family the catalog lacks
is silently absent. Typos are corrected one token at a time, only onto this vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from agentic_recsys.data.dataset import Items
from agentic_recsys.understanding.english import is_english

# Family -> phrases that name it (the first is how MovieLens spells it). Order is irrelevant.
GENRE_FAMILIES: dict[str, tuple[str, ...]] = {
    "Action": ("action", "action packed", "action-packed", "shoot em up", "explosions"),
    "Adventure": ("adventure", "adventurous"),
    "Animation": ("animation", "animated", "cartoon", "cartoons", "anime", "pixar"),
    "Children's": (
        "children's",
        "childrens",
        "children",
        "kids",
        "kid",
        "family",
        "family friendly",
        "family-friendly",
        "for the kids",
        "kiddie",
    ),
    "Comedy": (
        "comedy",
        "comedies",
        "comedic",
        "funny",
        "hilarious",
        "humor",
        "humour",
        "humorous",
        "laugh",
        "laughs",
        "laughing",
    ),
    "Crime": ("crime", "criminal", "gangster", "mob", "mafia", "heist"),
    "Documentary": ("documentary", "documentaries", "non-fiction", "nonfiction"),
    "Drama": ("drama", "dramas", "dramatic"),
    "Fantasy": (
        "fantasy",
        "fantasies",
        "magic",
        "magical",
        "fairy tale",
        "fairytale",
        "wizards",
        "dragons",
    ),
    "Film-Noir": ("film-noir", "film noir", "noir", "noirs", "neo-noir", "neo noir"),
    "Horror": (
        "horror",
        "horrors",
        "scary",
        "scare",
        "scares",
        "frightening",
        "terrifying",
        "creepy",
        "spooky",
        "slasher",
        "slashers",
        "gore",
        "gory",
        "zombie",
        "zombies",
        "monster",
        "monsters",
        "haunted",
    ),
    "Musical": ("musical", "musicals", "song and dance", "singing"),
    "Mystery": (
        "mystery",
        "mysteries",
        "mysterious",
        "whodunit",
        "whodunnit",
        "detective",
        "sleuth",
    ),
    "Romance": (
        "romance",
        "romances",
        "romantic",
        "love story",
        "love stories",
        "romcom",
        "rom-com",
        "rom com",
        "date night",
        "date movie",
    ),
    "Sci-Fi": (
        "sci-fi",
        "sci fi",
        "scifi",
        "science fiction",
        "science-fiction",
        "space",
        "outer space",
        "aliens",
        "futuristic",
        "cyberpunk",
        "robots",
    ),
    "Thriller": (
        "thriller",
        "thrillers",
        "thrilling",
        "suspense",
        "suspenseful",
        "edge of my seat",
        "edge of your seat",
        "tense",
    ),
    "War": ("war", "wars", "wartime", "military", "battle", "battles", "ww2", "wwii", "soldiers"),
    "Western": ("western", "westerns", "cowboy", "cowboys", "wild west", "gunslinger"),
}
# Phrases that name more than one family.
GENRE_COMBOS: dict[str, tuple[str, ...]] = {
    "romcom": ("Romance", "Comedy"),
    "rom-com": ("Romance", "Comedy"),
    "rom com": ("Romance", "Comedy"),
    "romantic comedy": ("Romance", "Comedy"),
    "romantic comedies": ("Romance", "Comedy"),
    "dark comedy": ("Comedy",),
    "sci-fi horror": ("Sci-Fi", "Horror"),
    "space western": ("Sci-Fi", "Western"),
    "action comedy": ("Action", "Comedy"),
    "crime drama": ("Crime", "Drama"),
    "war drama": ("War", "Drama"),
    "horror comedy": ("Horror", "Comedy"),
}
# Loose synonyms: they set the genre and stay in the free-text query, where they say more.
THEMATIC = frozenset(
    {
        "heist",
        "gangster",
        "mob",
        "mafia",
        "slasher",
        "slashers",
        "zombie",
        "zombies",
        "monster",
        "monsters",
        "haunted",
        "space",
        "outer space",
        "aliens",
        "robots",
        "cyberpunk",
        "futuristic",
        "cowboy",
        "cowboys",
        "wild west",
        "gunslinger",
        "whodunit",
        "whodunnit",
        "detective",
        "magic",
        "wizards",
        "dragons",
        "fairy tale",
        "military",
        "battle",
        "ww2",
        "wwii",
        "soldiers",
        "anime",
        "pixar",
        "date night",
        "dark comedy",
        "gore",
        "gory",
        "neo-noir",
    }
)

# Moods that lean towards genres without naming one: a soft preference, never a filter
# ("something emotional" is usually, not always, a drama). Words or phrases -> families.
MOOD_LEANS: dict[str, tuple[str, ...]] = {
    "emotional": ("Drama",),
    "moving": ("Drama",),
    "touching": ("Drama",),
    "tearjerker": ("Drama",),
    "heartstrings": ("Drama",),
    "heartbreaking": ("Drama",),
    "sad": ("Drama",),
    "bittersweet": ("Drama", "Romance"),
    "serious": ("Drama",),
    "inspiring": ("Drama",),
    "inspirational": ("Drama",),
    "powerful": ("Drama",),
    "exciting": ("Action", "Thriller"),
    "fast-paced": ("Action", "Thriller"),
    "adrenaline": ("Action",),
    "explosive": ("Action",),
    "epic": ("Adventure", "Action"),
    "gripping": ("Thriller",),
    "nail-biting": ("Thriller",),
    "intense": ("Thriller",),
    "chills": ("Horror", "Thriller"),
    "chilling": ("Horror", "Thriller"),
    "eerie": ("Horror",),
    "feel-good": ("Comedy",),
    "feelgood": ("Comedy",),
    "feel good": ("Comedy",),
    "uplifting": ("Comedy", "Drama"),
    "heartwarming": ("Comedy",),
    "heart-warming": ("Comedy",),
    "lighthearted": ("Comedy",),
    "light-hearted": ("Comedy",),
    "silly": ("Comedy",),
    "goofy": ("Comedy",),
    "witty": ("Comedy",),
    "criminals": ("Crime",),
    "cops": ("Crime",),
    "robbery": ("Crime",),
    "gangsters": ("Crime",),
    "dancing": ("Musical",),
    "dance": ("Musical",),
    "songs": ("Musical",),
    "whimsical": ("Fantasy", "Children's"),
    "puzzle": ("Mystery",),
    "clues": ("Mystery",),
    "moody": ("Film-Noir", "Drama"),
    "dark": ("Crime", "Thriller", "Film-Noir", "Drama"),
    "light": ("Comedy",),  # also "funnier" / "lighter" in a first request
    "true story": ("Drama", "Documentary"),
}

# Moods and tones: kept as the free-text query, never a hard constraint.
MOODS = frozenset(
    {
        "dark",
        "gritty",
        "bleak",
        "grim",
        "disturbing",
        "twisted",
        "twisty",
        "feel-good",
        "feelgood",
        "feel good",
        "uplifting",
        "inspiring",
        "inspirational",
        "heartwarming",
        "heart-warming",
        "wholesome",
        "cozy",
        "cosy",
        "light",
        "lighthearted",
        "light-hearted",
        "fun",
        "silly",
        "goofy",
        "quirky",
        "weird",
        "strange",
        "surreal",
        "mind-bending",
        "mind bending",
        "mindbending",
        "cerebral",
        "thought-provoking",
        "smart",
        "clever",
        "sad",
        "tearjerker",
        "emotional",
        "moving",
        "touching",
        "bittersweet",
        "epic",
        "slow",
        "slow-burn",
        "fast-paced",
        "atmospheric",
        "beautiful",
        "stylish",
        "violent",
        "intense",
        "relaxing",
        "calm",
        "happy",
        "cheerful",
        "upbeat",
        "optimistic",
        "nostalgic",
        "classic",
        "cult",
        "underrated",
        "acclaimed",
        "award-winning",
        "critically acclaimed",
        "indie",
        "artsy",
        "arthouse",
        "foreign",
        "french",
        "italian",
        "japanese",
        "british",
        "german",
        "chinese",
        "spanish",
    }
) | frozenset(MOOD_LEANS)

# Verbs of having had an item, whatever the domain (the domain's own verb joins them:
# "read" for books, "bought" for products).
SEEN_VERBS = ("seen", "watched", "saw", "finished")

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "couple": 2,
    "a couple of": 2,
    "a couple": 2,
    "a few": 3,
    "few": 3,
    "several": 5,
    "a handful of": 5,
    "handful": 5,
    "a dozen": 12,
    "dozen": 12,
    "single": 1,
    "just one": 1,
    "only one": 1,
}
ORDINALS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "6th": 6,
    "7th": 7,
    "8th": 8,
    "9th": 9,
    "10th": 10,
    "top": 1,
    "last": -1,
    "final": -1,
    "bottom": -1,
}
DECADE_WORDS: dict[str, int] = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
    "noughties": 2000,
    "aughts": 2000,
    "two thousands": 2000,
    "tens": 2010,
    "twenty tens": 2010,
}

_STOPWORD_TEXT = """
a an the and or but nor so of to in on at by for from with without about into onto over under
up down out off than then too very really quite just only also even still again more most less
least much many some any each every all both few lot lots i i'm im i've ive i'd id i'll me my
mine myself we us our you your yours he she it its it's they them their this that these those
there here what which who whom whose when where why how is am are was were be been being have
has had do does did doing done can could would should will shall may might must let let's lets
please pls plz thanks thank ok okay yes yeah yep no nope not maybe perhaps like as if something
anything nothing everything someone anyone thing things stuff kind sort type one ones movie
movies film films flick flicks watch watching watched see seeing show shows give get find
recommend recommendation recommendations suggest suggestion suggestions want wanna need looking
look mood feel feeling tonight today night evening weekend good great nice best new old
whatever idk dunno know think maybe around bit little pretty well other another else same already
what's that's there's here's sure remember recall guess you'd you're it'd actually honestly
probably possibly definitely though hmm right quite rather
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Words that carry no wish of their own in a request ("I'd prefer one made after 1990",
# "ideally", "along those lines"): never part of the free-text query.
_FILLER_TEXT = """
ideally thinking made mind hey vein lines along akin reminds comparable keeps gives makes
tugs prefer preferably would great loved liked enjoyed something recommend suggest looking
really definitely hoping hope wondering searching watching tonight
"""
FILLER = frozenset(_FILLER_TEXT.split())

VAGUE = frozenset(
    {
        "something",
        "anything",
        "idk",
        "dunno",
        "whatever",
        "help",
        "hmm",
        "hm",
        "um",
        "uh",
        "not sure",
        "i don't know",
        "i dont know",
        "no idea",
        "surprise me",
        "what",
        "?",
    }
)
_SMALL_TALK = (
    r"(?:hi|hello|hey|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening|night)|"
    r"thanks?(?: you)?(?: so much| a lot)?|thx|ty|cheers|bye|goodbye|see you|"
    r"who are you|what are you|how are you(?: doing)?|what'?s up|sup|nice to meet you|"
    r"ok(?:ay)?|cool|great|awesome|nice|perfect|lol|haha|got it|sounds good|"
    r"you(?:'re| are) (?:great|awesome|the best))(?: (?:there|bot|buddy|friend|mate))?"
)
CHITCHAT = re.compile(rf"^{_SMALL_TALK}(?:[\s!.?,]+{_SMALL_TALK})*[\s!.?,]*$")

# Wishes the catalog has no data for: recognised so they are said, not silently searched.
UNSUPPORTED: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(?:not too long|too long|short(?:er)?|long(?:er)?|under \d+ (?:hours?|"
            r"minutes|mins)|runtime|running time|\d+ (?:hours?|minutes|mins) long)\b",
            re.IGNORECASE,
        ),
        "running time",
    ),
    (
        re.compile(r"\b(?:rated (?:r|g|pg)|pg-?13|pg|nc-?17|age rating|mpaa)\b", re.IGNORECASE),
        "age rating",
    ),
    (
        re.compile(
            r"\b(?:on|streaming on) (?:netflix|hulu|prime|disney\+?|hbo|max)\b", re.IGNORECASE
        ),
        "streaming availability",
    ),
)

# Typo correction: only onto words long enough to tell apart, only from words that are not
# English (see `understanding.english`).
TYPO_MIN_LEN = 5


@dataclass(frozen=True)
class GenreLexicon:
    """Genre phrases of one catalog: phrase -> catalog genres, and a regex that finds them."""

    phrases: dict[str, tuple[str, ...]]
    thematic: frozenset[str]
    pattern: re.Pattern[str]

    def lookup(self, phrase: str) -> tuple[str, ...]:
        """Catalog genres named by a phrase (exact, plural-tolerant), or ()."""
        p = normalize_phrase(phrase)
        return self.phrases.get(p) or self.phrases.get(p.removesuffix("s")) or ()


def normalize_phrase(text: str) -> str:
    """Lowercase, curly quotes straightened, spaces collapsed: how phrases are keyed."""
    return " ".join(text.lower().replace("\u2019", "'").split())


def _genre_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=16)
def genre_lexicon(vocab: tuple[str, ...]) -> GenreLexicon:
    """Build the lexicon of a catalog's genre vocabulary (cached: catalogs rarely change)."""
    by_key = {_genre_key(g): g for g in vocab}
    family_genre: dict[str, str] = {}
    for family, names in GENRE_FAMILIES.items():
        for name in (family, *names):
            if _genre_key(name) in by_key:
                family_genre[family] = by_key[_genre_key(name)]
                break
    phrases: dict[str, tuple[str, ...]] = {}
    for family, names in GENRE_FAMILIES.items():
        if family in family_genre:
            for name in names:
                phrases[normalize_phrase(name)] = (family_genre[family],)
    for phrase, families in GENRE_COMBOS.items():
        genres = tuple(family_genre[f] for f in families if f in family_genre)
        if genres:
            phrases[phrase] = genres
    for genre in vocab:  # the catalog's own names always work, whatever the families say
        phrases.setdefault(normalize_phrase(genre), (genre,))
        phrases.setdefault(normalize_phrase(genre.replace("-", " ")), (genre,))
    return GenreLexicon(phrases, THEMATIC & phrases.keys(), phrase_pattern(phrases, plural=True))


def phrase_pattern(phrases: Iterable[str], plural: bool = False) -> re.Pattern[str]:
    """One alternation matching any phrase as whole words, longest first."""
    alternatives = "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))
    suffix = "(?:e?s)?" if plural else ""
    return re.compile(rf"(?<![\w'-])(?:{alternatives}){suffix}(?![\w'-])")


def lexicon_of(items: Items) -> GenreLexicon:
    """Get the genre lexicon of a catalog."""
    return genre_lexicon(tuple(items.genre_vocab))


def canonical_genre(name: str, items: Items) -> str | None:
    """Name the catalog genre a word or phrase means ("scifi", "comdy", "kids"), or None."""
    lexicon = lexicon_of(items)
    genres = lexicon.lookup(name)
    if not genres:
        genres = lexicon.lookup(correct_typo(normalize_phrase(name), typo_vocabulary(items)))
    return genres[0] if genres else None


@lru_cache(maxsize=16)
def _typo_vocabulary(vocab: tuple[str, ...]) -> tuple[str, ...]:
    words = {p for p in genre_lexicon(vocab).phrases if " " not in p}
    words |= {w for w in DECADE_WORDS if " " not in w}
    words |= {w for w in MOODS if " " not in w} | set(NUMBER_WORDS) | set(ORDINALS)
    words |= {"darker", "lighter", "older", "newer", "recent", "comedies", "movies"}
    words |= {"after", "before", "between", "since", "until"}  # "afetr 1990"
    words |= {w for w in STOPWORDS | FILLER if w.isalpha()}  # "rceommend" is not a wish
    return tuple(sorted(w for w in words if len(w) >= TYPO_MIN_LEN - 1))


def typo_vocabulary(items: Items) -> tuple[str, ...]:
    """Collect the single words that misspellings are corrected onto, for this catalog."""
    return _typo_vocabulary(tuple(items.genre_vocab))


def correct_typo(word: str, vocabulary: Sequence[str]) -> str:
    """Map a misspelt word onto the vocabulary (same first letter, 1-2 edits), else keep it.

    Short words and English words are never changed, which is what keeps "horse" from
    becoming "horror" and "never" from becoming "newer". Two words run together, the second
    one of the vocabulary's, are split: "forthrillers" is "for thrillers".
    """
    if len(word) < TYPO_MIN_LEN or word in STOPWORDS or is_english(word):
        return word
    for cut in range(2, len(word) - TYPO_MIN_LEN + 1):
        head, tail = word[:cut], word[cut:]
        known = {tail, tail.removesuffix("s"), tail.removesuffix("es")} & set(vocabulary)
        if known and (head in STOPWORDS or is_english(head)):
            return f"{head} {tail}"
    max_edits = 1 if len(word) < 8 else 2
    best = process.extractOne(
        word, vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=max_edits
    )
    if best is None or best[0][0] != word[0]:
        return word
    return str(best[0])


def mood_leans(text: str, items: Items) -> list[str]:
    """Catalog genres the moods in a free-text wish lean towards, first-mentioned first."""
    found = [
        (m.start(), family)
        for phrase, families in MOOD_LEANS.items()
        for m in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text.lower())
        for family in families
    ]
    genres = (canonical_genre(family, items) for _, family in sorted(found))
    return list(dict.fromkeys(g for g in genres if g is not None))


_COMMON = frozenset(
    STOPWORDS
    | {w for p in MOODS for w in p.split()}
    | set(NUMBER_WORDS)
    | set(ORDINALS)
    | set(DECADE_WORDS)
    | {w for names in GENRE_FAMILIES.values() for n in names for w in n.split()}
    | {w for p in GENRE_COMBOS for w in p.split()}
    | set(VAGUE)
    | {
        "darker",
        "lighter",
        "older",
        "newer",
        "recent",
        "funnier",
        "scarier",
        "popular",
        "obscure",
        "loved",
        "liked",
        "hated",
        "seen",
        "saw",
        "enjoyed",
        "why",
        "explain",
        "decade",
        "year",
        "years",
        "century",
        "era",
        "genre",
        "genres",
        "us",
        "pick",
        "picks",
        "list",
        "option",
        "options",
        "choice",
        "choices",
        "time",
        "times",
        "fan",
        "lover",
        "titles",
        "title",
        "modern",
        "vintage",
        "classics",
        "cool",
        "hi",
        "hello",
        "hey",
    }
)


# Words that can never be a title on their own: a span made only of these is not a title
# unless the user quotes or capitalises it ("Kids", "Heat" and "Fear" are titles).
def is_common_word(word: str) -> bool:
    """Tell stop-words and words this lexicon gives another meaning from possible titles."""
    return word in _COMMON
