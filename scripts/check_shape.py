#!/usr/bin/env python3
"""Which shapes-world shape a picture shows in a given colour.

The pixels nearest to the colour (check_colours.palette_labels) form a mask;
it is compared with every circle, square, triangle and cross of the world's
geometry (shapes_world.shape_mask) on a grid of centres and sizes wider than
the world's own, and the shape of the best intersection-over-union wins.
A picture shows a shape when that shape wins with an IoU of at least
MIN_IOU: stripes or an irregular blob match no template that well (a round
blob does pass as a circle).

  check_shape.py IMAGE... --prompt "a red circle on a blue background"

Prints, per picture, the best shape, its IoU and the verdict. Exit status: 0
when every picture shows the prompted shape, 1 when not, 2 on bad usage or an
unreadable picture."""
import argparse
import functools
import os
import sys
import zlib
from typing import List, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_colours  # noqa: E402
from shapes_world import COLOURS, SHAPES, SIZE, Scene, parse_prompt, shape_mask  # noqa: E402

MIN_IOU = 0.7
CENTRES = np.arange(SIZE / 2 - 14, SIZE / 2 + 14.1, 2.0)
SIDES = np.arange(16, 57, 2.0)


@functools.lru_cache(maxsize=1)
def templates() -> Tuple[np.ndarray, np.ndarray]:
    """float32 [T, SIZE*SIZE] masks and the shape index of each."""
    masks, kinds = [], []
    for kind, shape in enumerate(SHAPES):
        for cy in CENTRES:
            for cx in CENTRES:
                for side in SIDES:
                    masks.append(shape_mask(Scene("red", shape, "blue", cx, cy, side)).ravel())
                    kinds.append(kind)
    return np.array(masks, dtype=np.float32), np.array(kinds)


def find_shapes(images: np.ndarray, colours: Sequence[str]) -> List[Tuple[str, float]]:
    """(shape, IoU) of the best template for the pixels of colours[i] in images[i] ([N, H, W, 3] uint8)."""
    if len(images) == 0:
        return []
    labels = np.stack([check_colours.palette_labels(image) for image in images]).reshape(len(images), -1)
    wanted = np.array([COLOURS.index(c) for c in colours])[:, None]
    found = (labels == wanted).astype(np.float32).T                   # [pixels, N]
    masks, kinds = templates()
    inter = masks @ found                                             # [T, N]
    iou = inter / (masks.sum(1, keepdims=True) + found.sum(0, keepdims=True) - inter + 1e-6)
    best = iou.argmax(0)
    return [(SHAPES[kinds[t]], float(iou[t, i])) for i, t in enumerate(best)]


def find_shape(image: np.ndarray, colour: str) -> Tuple[str, float]:
    """(shape, IoU) of the template that best matches the pixels of `colour`."""
    return find_shapes(image[None], [colour])[0]


def shows(image: np.ndarray, colour: str, shape: str) -> Tuple[bool, str, float]:
    """(whether the picture shows `shape` in `colour`, the best shape, its IoU)."""
    found, iou = find_shape(image, colour)
    return found == shape and iou >= MIN_IOU, found, iou


def check(path: str, colour: str, shape: str) -> Tuple[bool, str, float]:
    return shows(check_colours.read_png(path), colour, shape)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="+")
    parser.add_argument("--prompt", required=True)
    args = parser.parse_args()
    colour, shape, _ = parse_prompt(args.prompt)
    if colour is None or shape is None:
        print(f"check_shape.py: error: --prompt {args.prompt!r} names no shape colour and shape", file=sys.stderr)
        return 2
    passed = 0
    for path in args.images:
        try:
            ok, found, iou = check(path, colour, shape)
        except (OSError, ValueError, zlib.error) as error:
            print(f"check_shape.py: error: {path}: {error}", file=sys.stderr)
            return 2
        passed += ok
        print(f"{path}\t{'pass' if ok else 'FAIL'}\tfound {found} (IoU {iou:.2f})")
    return 0 if passed == len(args.images) else 1


if __name__ == "__main__":
    sys.exit(main())
