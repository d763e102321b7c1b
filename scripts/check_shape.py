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
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_colours  # noqa: E402
from shapes_world import COLOURS, SHAPES, SIZE, Scene, parse_prompt, shape_mask  # noqa: E402

MIN_IOU = 0.7
CENTRES = np.arange(SIZE / 2 - 14, SIZE / 2 + 14.1, 2.0)
SIDES = np.arange(16, 57, 2.0)


@functools.lru_cache(maxsize=1)
def _kernels() -> List[Tuple[int, int, torch.Tensor]]:
    """Per side: the four shapes centred in the picture, cropped to their common
    bounding box (top, left, float32 [4, 1, h, w]). The centres are whole
    pixels apart, so the template at any centre is this one moved, and one
    correlation per side gives every centre."""
    middle = SIZE // 2
    kernels = []
    for side in SIDES:
        masks = np.stack([shape_mask(Scene("red", shape, "blue", middle, middle, side)) for shape in SHAPES])
        rows, cols = np.nonzero(masks.any(0))
        top, left = int(rows.min()), int(cols.min())
        box = masks[:, top:rows.max() + 1, left:cols.max() + 1].astype(np.float32)
        kernels.append((top, left, torch.from_numpy(box)[:, None]))
    return kernels


def overlaps(found: torch.Tensor) -> np.ndarray:
    """float32 [T, N]: pixels shared by every template (shape, centre y, centre
    x, side, in that order) and each float32 [N, SIZE, SIZE] 0/1 mask. Sums of
    0/1 products are whole numbers, so the result is exact in any summation order."""
    middle, step = SIZE // 2, int(CENTRES[1] - CENTRES[0])
    reach = int(CENTRES[-1]) - middle          # the farthest centre from the middle
    positions = len(CENTRES)
    padded = F.pad(found[:, None], (reach, reach, reach, reach))
    out = np.empty((len(SHAPES), positions, positions, len(SIDES), len(found)), np.float32)
    with torch.no_grad():
        for i, (top, left, kernel) in enumerate(_kernels()):
            h, w = kernel.shape[2:]
            window = padded[:, :, top:top + 2 * reach + h, left:left + 2 * reach + w]
            out[:, :, :, i, :] = F.conv2d(window, kernel, stride=step).permute(1, 2, 3, 0).numpy()
    return out.reshape(-1, len(found))


@functools.lru_cache(maxsize=1)
def template_areas() -> np.ndarray:
    """float32 [T, 1]: each template's pixels inside the picture."""
    return overlaps(torch.ones(1, SIZE, SIZE))


def template_shapes() -> np.ndarray:
    """The shape index of each template, in overlaps' order."""
    return np.repeat(np.arange(len(SHAPES)), len(CENTRES) ** 2 * len(SIDES))


def find_shapes_in_labels(labels: np.ndarray, colours: Sequence[str]) -> List[Tuple[str, float]]:
    """(shape, IoU) of the best template for the pixels labelled colours[i] in
    labels[i] ([N, H, W] palette indices, check_colours.palette_labels)."""
    if len(labels) == 0:
        return []
    wanted = np.array([COLOURS.index(c) for c in colours])[:, None, None]
    found = (labels == wanted).astype(np.float32)
    inter = overlaps(torch.from_numpy(found))                         # [T, N]
    sizes = found.reshape(len(found), -1).sum(1)[None]
    iou = inter / (template_areas() + sizes - inter + 1e-6)
    best = iou.argmax(0)
    kinds = template_shapes()
    return [(SHAPES[kinds[t]], float(iou[t, i])) for i, t in enumerate(best)]


def find_shapes(images: np.ndarray, colours: Sequence[str]) -> List[Tuple[str, float]]:
    """(shape, IoU) of the best template for the pixels of colours[i] in images[i] ([N, H, W, 3] uint8)."""
    return find_shapes_in_labels(check_colours.palette_labels(images), colours)


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
