"""The shapes world's caption grammar: the ways people describe a picture of
one shape on a background, and the truth rule that says which pictures a
caption is true of.

A *phrasing* is a template with up to three slots, {c} (the shape's colour),
{s} (the shape) and {b} (the background's colour); it may name any subset of
them ("a {c} {s} against a {b} background", "a {s} on {b}", "a {b}
background", "something {c}"). Phrasings are built from parts (objects,
settings, background-first frames, prefixes) in every combination, and a
fifth of them, picked by a fixed hash of their text, are *held out*: never
used in training, only to measure how the CLIP understands a way of writing
it never saw. Every word of a held-out phrasing occurs in some training
phrasing, so what is held out is the combination, not the vocabulary.

Truth rule: a caption is true of a picture when every attribute it names is
the picture's (`consistent`): "a circle on a red background" is true of a
circle of any colour on red, false of a red circle on blue."""
import functools
import random
import re
import zlib
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

COLOURS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]
# The words people use for each shape; captions use any of them.
SHAPE_WORDS: Dict[str, List[str]] = {
    "circle": ["circle", "disc"], "square": ["square"], "triangle": ["triangle"], "cross": ["cross", "plus sign"],
}
SHAPES = list(SHAPE_WORDS)

Triple = Tuple[str, str, str]   # (shape colour, shape, background colour)
Mentions = Tuple[bool, bool, bool]

CANONICAL = "a {c} {s} on a {b} background"   # evaluation's captions and the default prompts

# An object naming the shape's colour and the shape, the shape alone, or the colour alone.
_OBJECTS_CS = ["a {c} {s}", "the {c} {s}", "one {c} {s}", "a single {c} {s}", "a big {c} {s}", "a small {c} {s}",
               "a {s} in {c}", "a {c} coloured {s}", "a {s} that is {c}", "a {s} coloured {c}", "a solid {c} {s}",
               "{c} {s}", "a {s} painted {c}"]
_OBJECTS_S = ["a {s}", "the {s}", "one {s}", "a single {s}", "a big {s}", "a small {s}", "a {s} shape"]
_OBJECTS_C = ["a {c} shape", "something {c}", "a {c} thing", "a {c} object", "a {c} figure"]
# What follows an object to name the background.
_SETTINGS = ["on a {b} background", "on {b}", "against a {b} background", "on a plain {b} background",
             "in front of a {b} background", "over a {b} background", "with a {b} background", "on a {b} backdrop",
             "in the middle of a {b} background", "surrounded by {b}", "on a field of {b}", ", {b} background",
             "in the centre of a {b} picture", "on {b} paper"]
# The background first, then the object ({o}).
_BACKGROUND_FIRST = ["a {b} background with {o}", "{b} background, {o}", "on a {b} background, {o}",
                     "a {b} picture with {o} in it", "a {b} backdrop behind {o}", "a plain {b} background and {o}"]
_BACKGROUNDS = ["a {b} background", "a plain {b} background", "{b} background", "an empty {b} background",
                "a picture with a {b} background", "something on a {b} background", "a {b} backdrop",
                "all {b} around"]
_PREFIXES = ["", "a picture of ", "an image of ", "a drawing of ", "a photo of ", "an icon of ",
             "a simple picture of "]
HELD_OUT_SHARE = 5   # one phrasing in this many is held out


class Phrasing(NamedTuple):
    template: str
    held_out: bool

    @property
    def mentions(self) -> Mentions:
        return mentions(self.template)


def mentions(template: str) -> Mentions:
    """Which of (colour, shape, background) a template names."""
    return "{c}" in template, "{s}" in template, "{b}" in template


def _cores() -> List[str]:
    cores = []
    for objects in (_OBJECTS_CS, _OBJECTS_S, _OBJECTS_C):
        cores += objects
        cores += [o + ("" if s.startswith(",") else " ") + s for o in objects for s in _SETTINGS]
        cores += [frame.replace("{o}", o) for frame in _BACKGROUND_FIRST for o in objects]
    return cores + _BACKGROUNDS


def _takes_prefix(core: str) -> bool:
    """Whether "a picture of " reads well before a core (not before "on a red
    background, ..." nor "a red picture with ...")."""
    return not core.startswith("on ") and "picture" not in core


def _is_held_out(template: str) -> bool:
    return template != CANONICAL and zlib.crc32(template.encode()) % HELD_OUT_SHARE == 0


@functools.lru_cache(maxsize=1)
def phrasings() -> Tuple[Phrasing, ...]:
    """Every phrasing, in a fixed order."""
    templates = [prefix + core for core in _cores() for prefix in _PREFIXES if not prefix or _takes_prefix(core)]
    return tuple(Phrasing(t, _is_held_out(t)) for t in templates)


def training_phrasings() -> List[str]:
    return [p.template for p in phrasings() if not p.held_out]


def held_out_phrasings() -> List[str]:
    return [p.template for p in phrasings() if p.held_out]


def phrasings_naming(named: Mentions, held_out: bool) -> List[str]:
    """The training (or held-out) phrasings that name exactly the attributes `named`."""
    return [p.template for p in phrasings() if p.held_out == held_out and p.mentions == named]


def caption(triple: Triple, template: str, rng: Optional[random.Random] = None) -> str:
    """The template filled with the triple; the shape's word is its first
    (canonical) name, or a random one of its words when rng is given."""
    c, s, b = triple
    words = SHAPE_WORDS[s]
    word = rng.choice(words) if rng is not None and len(words) > 1 else words[0]
    return _ARTICLE.sub("an ", template.replace("{c}", c).replace("{s}", word).replace("{b}", b))


_ARTICLE = re.compile(r"\ba (?=[aeiou])")   # "an orange square"
_AN = re.compile(r"\ban\b")


def consistent(picture: Triple, described: Triple, named: Mentions) -> bool:
    """Whether a caption of `described` that names `named` is true of a picture of `picture`."""
    return all(not n or p == d for n, p, d in zip(named, picture, described))


@functools.lru_cache(maxsize=1)
def _matchers() -> List[Tuple["re.Pattern", str]]:
    colour = "(?P<{}>" + "|".join(COLOURS) + ")"
    shape = "(?P<s>" + "|".join(w for words in SHAPE_WORDS.values() for w in words) + ")"
    out = []
    for p in phrasings():
        pattern = re.escape(_AN.sub("a", p.template))
        pattern = pattern.replace(r"\{c\}", colour.format("c")).replace(r"\{b\}", colour.format("b"))
        out.append((re.compile(pattern.replace(r"\{s\}", shape) + "$"), p.template))
    return out


SHAPE_OF_WORD = {w: s for s, words in SHAPE_WORDS.items() for w in words}   # "disc" -> "circle"


def parse_caption(text: str) -> Optional[Tuple[Optional[str], Optional[str], Optional[str], str]]:
    """(shape colour, shape, background colour, phrasing) of a caption the
    grammar makes, None for the attributes it does not name; None when no
    phrasing makes the text."""
    normal = _AN.sub("a", " ".join(text.lower().split()))
    for pattern, template in _matchers():
        found = pattern.match(normal)
        if found:
            groups = found.groupdict()
            shape = SHAPE_OF_WORD[groups["s"]] if "s" in groups else None
            return groups.get("c"), shape, groups.get("b"), template
    return None


def words(templates: Sequence[str]) -> set:
    """The words of templates, slots left out."""
    return {w for t in templates for w in re.findall(r"[a-z]+", re.sub(r"\{[csb]\}", " ", t))}


# How often training describes a picture by each subset of its attributes
# (colour, shape, background): mostly all three, as prompts do, and every
# partial description often enough that classification templates naming one
# attribute mean that attribute.
TRAINING_MIX: Dict[Mentions, float] = {
    (True, True, True): 0.5, (False, True, True): 0.1, (True, False, True): 0.1, (True, True, False): 0.08,
    (False, False, True): 0.08, (False, True, False): 0.07, (True, False, False): 0.07,
}


class CaptionSampler:
    """Draws training captions: a subset of attributes by TRAINING_MIX, then
    one of the training phrasings naming it, then a word for the shape.
    Held-out phrasings are never drawn."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.kinds = list(TRAINING_MIX)
        self.weights = [TRAINING_MIX[k] for k in self.kinds]
        self.by_kind = {k: phrasings_naming(k, held_out=False) for k in self.kinds}

    def phrasing(self, named: Optional[Mentions] = None) -> str:
        kind = named or self.rng.choices(self.kinds, self.weights)[0]
        return self.rng.choice(self.by_kind[kind])
