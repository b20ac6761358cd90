"""How the simulated user says things: templates and word lists, kept apart from the logic.

Written as a person would talk about movies, deliberately not copied from the system's
lexicon, so the benchmark measures understanding rather than a shared word list. Every
phrase here is true of any movie with the genre it is filed under; negations are filed
under the genre the movie must *not* have.
"""

from __future__ import annotations

# Slots: {genre} a genre phrase, {era} an era phrase, {like} a title, {mood} a mood phrase,
# {word} a word of the title.
OPENING_GENRE = (
    "I'm looking for {genre_a} movie.",
    "Can you recommend {genre_a} film?",
    "Any good {genre} movies?",
    "I feel like watching {genre_a} movie tonight.",
    "Recommend me something, I'm in the mood for {genre}.",
    "hey, looking for {genre} films",
)
OPENING_ERA = (
    "I'd like to watch a movie {era}.",
    "Can you suggest a film {era}?",
    "Looking for something {era}.",
    "any movies {era} you'd recommend?",
)
REJECTIONS = (
    "None of those.",
    "Nope, none of these.",
    "Hmm, not those.",
    "No, those aren't it.",
    "Not quite.",
    "Nah, not what I had in mind.",
    "None of these are right.",
    "No, not those ones.",
)
LATER_GENRE = (
    "It should be {genre_a} movie.",
    "I'm thinking {genre}.",
    "Make it {genre}.",
    "I'd like {genre}, really.",
)
LATER_ERA = (
    "Maybe something {era}?",
    "I'd prefer one {era}.",
    "Ideally {era}.",
    "It should be {era}.",
)
LIKE = (
    "Something like {like}.",
    "I loved {like}, something along those lines.",
    "Maybe in the vein of {like}?",
    "Like {like}, you know?",
    "Something similar to {like} would be great.",
)
MOOD = (
    "I want something {mood}.",
    "I'm in the mood for something {mood}.",
    "Ideally something {mood}.",
)
TITLE = (
    "I think the title has the word '{word}' in it.",
    "The title had '{word}' in it, I'm pretty sure.",
    "I remember the word '{word}' in the title.",
)
ANSWER_PREFIXES = ("", "Good question. ", "Hmm. ", "Sure. ")

# Genre -> ways to name it, each a noun phrase that reads after "a"/"an" and before "movie".
GENRE_NAMES: dict[str, tuple[str, ...]] = {
    "Action": ("action",),
    "Adventure": ("adventure",),
    "Animation": ("animated", "animation", "cartoon"),
    "Children's": ("kids", "children's", "family"),
    "Comedy": ("comedy", "comedic"),
    "Crime": ("crime",),
    "Documentary": ("documentary",),
    "Drama": ("drama", "dramatic"),
    "Fantasy": ("fantasy",),
    "Film-Noir": ("noir", "film noir"),
    "Horror": ("horror",),
    "Musical": ("musical",),
    "Mystery": ("mystery",),
    "Romance": ("romance", "romantic"),
    "Sci-Fi": ("sci-fi", "science fiction", "scifi"),
    "Thriller": ("thriller", "suspense"),
    "War": ("war",),
    "Western": ("western",),
}
TWO_GENRES = ("{a} and {b}", "{a} with some {b}", "{a}, maybe with a bit of {b}")

# Genre -> moods and themes that follow "something ..." and hold for every movie of it.
MOODS: dict[str, tuple[str, ...]] = {
    "Action": ("action-packed", "with a lot of action", "exciting and fast-paced"),
    "Adventure": ("adventurous", "with a big adventure"),
    "Animation": ("animated", "that's a cartoon"),
    "Children's": ("family-friendly", "I can watch with my kids", "for the whole family"),
    "Comedy": ("funny", "that makes me laugh", "light and funny"),
    "Crime": ("about criminals", "with a crime story"),
    "Documentary": ("real, a documentary", "non-fiction"),
    "Drama": ("emotional", "serious and moving", "that tugs at the heartstrings"),
    "Fantasy": ("magical", "with some fantasy and magic"),
    "Film-Noir": ("dark and noir", "moody, like an old noir"),
    "Horror": ("scary", "creepy", "that gives me the chills"),
    "Musical": ("with lots of singing", "with songs and dancing"),
    "Mystery": ("mysterious", "with a mystery to solve", "like a whodunit"),
    "Romance": ("romantic", "with a love story"),
    "Sci-Fi": ("futuristic", "with science fiction", "sci-fi-ish"),
    "Thriller": ("suspenseful", "tense", "that keeps me on the edge of my seat"),
    "War": ("about war", "set during a war"),
    "Western": ("with cowboys", "set in the Wild West"),
}
# Genre the movie does NOT have -> how a user rules it out.
NEGATIONS: dict[str, tuple[str, ...]] = {
    "Horror": ("nothing too scary", "no horror please"),
    "Children's": ("not a kids' movie", "nothing for children"),
    "Animation": ("no cartoons", "not animated"),
    "Romance": ("no sappy romance", "nothing romantic"),
    "Musical": ("no musicals", "without singing"),
    "Documentary": ("not a documentary",),
    "War": ("nothing about war",),
    "Western": ("no westerns",),
    "Comedy": ("not a comedy",),
}
NEGATION_JOINERS = (", but {neg}", ". And {neg}", " ({neg})", ", {neg}")

DECADE_NAMES: dict[int, str] = {
    1920: "twenties",
    1930: "thirties",
    1940: "forties",
    1950: "fifties",
    1960: "sixties",
    1970: "seventies",
    1980: "eighties",
    1990: "nineties",
}

# Words a title detail never picks: they say nothing about which movie it is.
TITLE_STOPWORDS = frozenset(
    {
        "the",
        "a",
        "an",
        "of",
        "and",
        "or",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "with",
        "by",
        "is",
        "it",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
    }
)
# Words a typo never touches: flipping a negation or a connective changes the meaning.
PROTECTED_WORDS = frozenset(
    {
        "not",
        "nothing",
        "no",
        "none",
        "without",
        "never",
        "something",
        "those",
        "these",
        "maybe",
        "movie",
        "film",
        "title",
    }
)
