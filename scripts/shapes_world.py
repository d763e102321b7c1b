"""The shapes world (DESIGN section 6): 64x64 pictures of one solid shape on a
solid background, with captions. Held-out triples are listed here only."""
import itertools
import random
from typing import Dict, List, NamedTuple, Tuple

import numpy as np

SIZE = 64
PALETTE: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 40, 40), "green": (40, 180, 60), "blue": (40, 80, 220), "yellow": (240, 220, 40),
    "purple": (140, 60, 180), "orange": (245, 140, 30), "white": (245, 245, 245), "black": (20, 20, 20),
}
COLOURS = list(PALETTE)
SHAPES = ["circle", "square", "triangle", "cross"]

# (shape colour, shape, background colour) never shown in training.
HELD_OUT = {
    ("green", "square", "purple"), ("yellow", "triangle", "black"), ("blue", "cross", "orange"),
    ("white", "circle", "green"), ("purple", "triangle", "white"), ("orange", "square", "red"),
    ("black", "cross", "yellow"), ("red", "triangle", "green"),
}

TEMPLATES = [
    "a {c} {s} on a {b} background",
    "a {c} {s}",
    "{b} background with a {c} {s}",
    "a {s} that is {c}",
    "a {c} {s} on {b}",
    "{c} {s}, {b} background",
]


class Scene(NamedTuple):
    colour: str
    shape: str
    background: str
    cx: float
    cy: float
    size: float


def all_triples() -> List[Tuple[str, str, str]]:
    return [(c, s, b) for c, s, b in itertools.product(COLOURS, SHAPES, COLOURS) if c != b]


def training_triples() -> List[Tuple[str, str, str]]:
    return [t for t in all_triples() if t not in HELD_OUT]


def random_scene(rng: random.Random, triple: Tuple[str, str, str]) -> Scene:
    colour, shape, background = triple
    return Scene(colour, shape, background, SIZE / 2 + rng.uniform(-8, 8), SIZE / 2 + rng.uniform(-8, 8),
                 rng.uniform(24, 44))


def shape_mask(scene: Scene) -> np.ndarray:
    """Boolean [SIZE, SIZE] mask of the shape, sampled at pixel centres."""
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    dx, dy = xs - scene.cx, ys - scene.cy
    half = scene.size / 2
    if scene.shape == "circle":
        return dx * dx + dy * dy <= half * half
    if scene.shape == "square":
        return (np.abs(dx) <= half) & (np.abs(dy) <= half)
    if scene.shape == "triangle":
        # Pointing up, base and height both `size`.
        t = (dy + half) / scene.size  # 0 at the apex, 1 at the base
        return (t >= 0) & (t <= 1) & (np.abs(dx) <= half * t)
    if scene.shape == "cross":
        arm = scene.size / 6
        inside = (np.abs(dx) <= half) & (np.abs(dy) <= half)
        return inside & ((np.abs(dx) <= arm) | (np.abs(dy) <= arm))
    raise ValueError(f"unknown shape {scene.shape}")


def render(scene: Scene) -> np.ndarray:
    """uint8 [SIZE, SIZE, 3]."""
    image = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    image[:] = PALETTE[scene.background]
    image[shape_mask(scene)] = PALETTE[scene.colour]
    return image


def caption(triple: Tuple[str, str, str], template: str) -> str:
    c, s, b = triple
    return template.format(c=c, s=s, b=b)


def caption_attributes(template: str) -> Tuple[bool, bool, bool]:
    """Which of (colour, shape, background) a template mentions."""
    return "{c}" in template, "{s}" in template, "{b}" in template


def consistent(triple: Tuple[str, str, str], other: Tuple[str, str, str], template: str) -> bool:
    """Whether a caption of `other` made with `template` is true of a picture of `triple`."""
    mentions = caption_attributes(template)
    return all(not m or a == b for m, a, b in zip(mentions, triple, other))


def all_captions() -> List[str]:
    return sorted({caption(t, template) for t in all_triples() for template in TEMPLATES})
