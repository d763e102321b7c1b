#!/usr/bin/env python3
"""Checks that generated pictures show the prompted colours of the shapes
world: every pixel is classified to the nearest palette colour; background =
majority of the border pixels; foreground = majority of the non-background
pixels in the central half.

  check_colours.py IMAGE --expect-fg red --expect-bg blue
  check_colours.py --list cases.tsv      (lines: IMAGE<TAB>FG<TAB>BG)
Exits non-zero if any picture fails."""
import argparse
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shapes_world import COLOURS, PALETTE  # noqa: E402


def read_png(path: str) -> np.ndarray:
    """Minimal PNG reader for 8-bit RGB/RGBA non-interlaced files (what vqclip writes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    at, idat, width, height, channels = 8, b"", 0, 0, 3
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            if body[8] != 8 or body[9] not in (2, 6) or body[12] != 0:
                raise ValueError(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are supported")
            channels = 3 if body[9] == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * channels)
    rows = np.zeros((height, width * channels), dtype=np.int32)
    bpp = channels
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        previous = rows[y - 1] if y else np.zeros_like(line)
        out = np.zeros_like(line)
        for x in range(len(line)):
            left = out[x - bpp] if x >= bpp else 0
            up = previous[x]
            up_left = previous[x - bpp] if x >= bpp else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = left
            elif kind == 2:
                predictor = up
            elif kind == 3:
                predictor = (left + up) // 2
            else:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
            out[x] = (line[x] + predictor) & 0xFF
        rows[y] = out
    return rows.reshape(height, width, channels)[:, :, :3].astype(np.uint8)


def classify(image: np.ndarray):
    palette = np.array([PALETTE[c] for c in COLOURS], dtype=np.float32)
    pixels = image.astype(np.float32)
    labels = ((pixels[:, :, None, :] - palette[None, None]) ** 2).sum(-1).argmin(-1)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    background = np.bincount(border, minlength=len(COLOURS)).argmax()
    h, w = labels.shape
    centre = labels[h // 4:h - h // 4, w // 4:w - w // 4].ravel()
    centre = centre[centre != background]
    foreground = np.bincount(centre, minlength=len(COLOURS)).argmax() if centre.size else None
    return (COLOURS[foreground] if foreground is not None else None), COLOURS[background]


def check(path: str, fg: str, bg: str):
    found_fg, found_bg = classify(read_png(path))
    return found_fg == fg, found_bg == bg, found_fg, found_bg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", nargs="?")
    parser.add_argument("--expect-fg", choices=COLOURS)
    parser.add_argument("--expect-bg", choices=COLOURS)
    parser.add_argument("--list", help="TSV of IMAGE, FG, BG")
    args = parser.parse_args()
    cases = []
    if args.list:
        with open(args.list) as f:
            cases = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    elif args.image and args.expect_fg and args.expect_bg:
        cases = [(args.image, args.expect_fg, args.expect_bg)]
    else:
        parser.error("give IMAGE --expect-fg C --expect-bg C, or --list FILE")
    fg_hits = bg_hits = 0
    for path, fg, bg in cases:
        fg_ok, bg_ok, found_fg, found_bg = check(path, fg, bg)
        fg_hits += fg_ok
        bg_hits += bg_ok
        verdict = "PASS" if fg_ok and bg_ok else "FAIL"
        print(f"{verdict}  {path}: foreground {found_fg} (want {fg}), background {found_bg} (want {bg})")
    n = len(cases)
    print(f"foreground {fg_hits}/{n} ({100.0 * fg_hits / n:.0f}%), background {bg_hits}/{n} ({100.0 * bg_hits / n:.0f}%)")
    return 0 if fg_hits == n and bg_hits == n else 1


if __name__ == "__main__":
    sys.exit(main())
