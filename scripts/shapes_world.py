"""The shapes world (docs/architecture.md, "The shapes world"): 64x64 RGB
pictures of one solid shape on a solid background of another colour.

Everything that defines the pictures lives here, and only here: the palette,
the shapes' geometry and the held-out (colour, shape, background) triples;
the captions' grammar is shapes_captions.py. The trainer draws its examples
through `training_triples()` / `TrainingSampler`, which never yield a
held-out triple."""
import itertools
import random
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

import shapes_captions
from shapes_captions import SHAPES, Triple

SIZE = 64
CENTRE_JITTER = 8      # the shape's centre is within +-8 px of the picture's
MIN_SIDE, MAX_SIDE = 24, 44   # the shape's extent ("across"), in pixels
PALETTE: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 40, 40), "green": (40, 180, 60), "blue": (40, 80, 220), "yellow": (240, 220, 40),
    "purple": (140, 60, 180), "orange": (245, 140, 30), "white": (245, 245, 245), "black": (20, 20, 20),
}
COLOURS = list(PALETTE)
assert COLOURS == shapes_captions.COLOURS, "the grammar's colours are the palette's"

# THE held-out list: never rendered, captioned or sampled for training. Two per
# shape; every colour exactly once as shape colour and once as background.
HELD_OUT = frozenset({
    ("green", "square", "purple"), ("yellow", "triangle", "black"), ("blue", "cross", "orange"),
    ("white", "circle", "blue"), ("purple", "triangle", "white"), ("orange", "square", "red"),
    ("black", "cross", "yellow"), ("red", "circle", "green"),
})

class Scene(NamedTuple):
    colour: str
    shape: str
    background: str
    cx: float     # centre, pixels (pixel centres are at i + 0.5)
    cy: float
    size: float   # extent across, pixels


def all_triples() -> List[Triple]:
    return [(c, s, b) for c, s, b in itertools.product(COLOURS, SHAPES, COLOURS) if c != b]


def training_triples() -> List[Triple]:
    return [t for t in all_triples() if t not in HELD_OUT]


def random_scene(rng: random.Random, triple: Triple) -> Scene:
    colour, shape, background = triple
    if colour == background or colour not in PALETTE or background not in PALETTE or shape not in SHAPES:
        raise ValueError(f"not a shapes-world triple: {triple}")
    return Scene(colour, shape, background, SIZE / 2 + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER),
                 SIZE / 2 + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER), rng.uniform(MIN_SIDE, MAX_SIDE))


def shape_mask(scene: Scene) -> np.ndarray:
    """Boolean [SIZE, SIZE] mask of the shape, sampled at pixel centres. Every
    shape spans `size` both across and down, centred on (cx, cy)."""
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    dx, dy = xs - scene.cx, ys - scene.cy
    half = scene.size / 2
    if scene.shape == "circle":
        return dx * dx + dy * dy <= half * half
    if scene.shape == "square":
        return (np.abs(dx) <= half) & (np.abs(dy) <= half)
    if scene.shape == "triangle":
        # Pointing up; base and height both `size`.
        t = (dy + half) / scene.size  # 0 at the apex, 1 at the base
        return (t >= 0) & (t <= 1) & (np.abs(dx) <= half * t)
    if scene.shape == "cross":
        arm = scene.size / 6  # arms a third of the size thick
        inside = (np.abs(dx) <= half) & (np.abs(dy) <= half)
        return inside & ((np.abs(dx) <= arm) | (np.abs(dy) <= arm))
    raise ValueError(f"unknown shape {scene.shape}")


def paint(mask: np.ndarray, colour: str, background: str) -> np.ndarray:
    """uint8 [SIZE, SIZE, 3]: `colour` where the mask is set, `background` elsewhere."""
    image = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    image[:] = PALETTE[background]
    image[mask] = PALETTE[colour]
    return image


def render(scene: Scene) -> np.ndarray:
    """uint8 [SIZE, SIZE, 3]: exactly two palette colours, no antialiasing."""
    return paint(shape_mask(scene), scene.colour, scene.background)


def render_many(rng: random.Random, triples: Sequence[Triple]) -> np.ndarray:
    """uint8 [N, SIZE, SIZE, 3], one random scene per triple."""
    return np.stack([render(random_scene(rng, t)) for t in triples]) if triples else \
        np.zeros((0, SIZE, SIZE, 3), np.uint8)


def collage(rng: random.Random, colours: Sequence[str], block: int = 8) -> np.ndarray:
    """uint8 [SIZE, SIZE, 3]: a patchwork of block x block squares of the given
    colours, the kind of picture a VQGAN+CLIP loop produces when it gets the
    colours but not the layout (one f = 8 code per block). Not a scene."""
    cells = SIZE // block
    weights = [rng.random() + 0.2 for _ in colours]
    pick = np.array(rng.choices(range(len(colours)), weights=weights, k=cells * cells)).reshape(cells, cells)
    table = np.array([PALETTE[c] for c in colours], dtype=np.uint8)
    return np.repeat(np.repeat(table[pick], block, axis=0), block, axis=1)


BROKEN_KINDS = ("scattered", "debris", "bitten", "blob")


def broken_scene(rng: random.Random, triple: Triple, kind: Optional[str] = None) -> np.ndarray:
    """uint8 [SIZE, SIZE, 3]: the triple's two colours in a layout that is not
    one whole shape, the ways a generation loop gets the colours but not the
    shape: several small shapes scattered over the picture ("scattered"), the
    shape with blobs of its colour elsewhere ("debris"), the shape with bites
    taken out of it ("bitten"), or one smooth irregular blob ("blob"). Not
    always wrong: a small bite or speck leaves a shape check_shape.py still
    recognises, so callers label these pictures by what they show."""
    colour, shape, background = triple
    kind = kind or rng.choice(BROKEN_KINDS)
    scene = random_scene(rng, triple)

    def small(shape_name: str, low: float, high: float) -> np.ndarray:
        return shape_mask(Scene(colour, shape_name, background, rng.uniform(4, SIZE - 4), rng.uniform(4, SIZE - 4),
                                rng.uniform(low, high)))

    if kind == "scattered":
        mask = np.zeros((SIZE, SIZE), bool)
        for _ in range(rng.randint(2, 5)):
            mask |= small(rng.choice(SHAPES), 8, 22)
    elif kind == "debris":
        mask = shape_mask(scene)
        for _ in range(rng.randint(2, 4)):
            mask |= small(rng.choice(("circle", "square")), 10, 20)
    elif kind == "bitten":
        mask = shape_mask(scene)
        for _ in range(rng.randint(1, 3)):
            mask &= ~shape_mask(Scene(colour, "circle", background, scene.cx + rng.uniform(-0.5, 0.5) * scene.size,
                                      scene.cy + rng.uniform(-0.5, 0.5) * scene.size,
                                      rng.uniform(0.35, 0.7) * scene.size))
    elif kind == "blob":
        # Smooth noise on a coarse grid, bilinearly enlarged, plus a bump at the
        # scene's centre; the threshold keeps about the shape's area.
        noise = np.random.default_rng(rng.randrange(2 ** 32)).standard_normal((6, 6))
        at = np.linspace(0, 5, SIZE)
        i0 = np.minimum(at.astype(int), 4)
        f = at - i0
        rows = noise[i0] * (1 - f)[:, None] + noise[i0 + 1] * f[:, None]
        field = rows[:, i0] * (1 - f)[None, :] + rows[:, i0 + 1] * f[None, :]
        ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
        field += 2.5 * np.exp(-((xs - scene.cx) ** 2 + (ys - scene.cy) ** 2) / (2 * (scene.size / 2.5) ** 2))
        area = shape_mask(scene).mean()
        mask = field >= np.quantile(field, 1 - area)
    else:
        raise ValueError(f"unknown broken-scene kind {kind}")
    return paint(mask, colour, background)


_WORD = re.compile(r"[a-z]+")


def parse_prompt(text: str) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(shape colour, shape, background colour) named by a prompt; None where
    it names none. A caption of the grammar is read exactly; other text by a
    rule of thumb: the background is the colour next to the word
    "background" or after "on", the shape colour is the other one."""
    parsed = shapes_captions.parse_caption(text)
    if parsed:
        return parsed[:3]
    words = _WORD.findall(text.lower())
    shape = next((shapes_captions.SHAPE_OF_WORD[w] for w in words if w in shapes_captions.SHAPE_OF_WORD), None)
    colours = [(i, w) for i, w in enumerate(words) if w in PALETTE]
    background = None
    for i, w in colours:
        near = words[i + 1:i + 2] + words[max(0, i - 1):i]
        if "background" in near or (i > 0 and words[i - 1] == "on"):
            background = w
            break
    rest = [w for _, w in colours if w != background]
    return (rest[0] if rest else None), shape, background


class TrainingSampler:
    """Draws training examples in groups that share a colour pair, so every
    batch holds pictures that differ only in shape (and, with the swapped
    pair, only in which colour is where). Held-out triples are never drawn."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.triples = training_triples()
        allowed = set(self.triples)
        self.pairs = sorted({(c, b) for c, _, b in self.triples})
        self.shapes_of = {p: [s for s in SHAPES if (p[0], s, p[1]) in allowed] for p in self.pairs}

    def triple(self) -> Triple:
        return self.rng.choice(self.triples)

    def group(self) -> List[Triple]:
        """Every allowed shape of one colour pair, and one shape of the swapped pair."""
        c, b = self.rng.choice(self.pairs)
        group = [(c, s, b) for s in self.shapes_of[(c, b)]]
        swapped = self.shapes_of.get((b, c))
        if swapped:
            group.append((b, self.rng.choice(swapped), c))
        return group

    def batch(self, size: int) -> List[Triple]:
        out: List[Triple] = []
        while len(out) < size:
            out.extend(self.group())
        return out[:size]
