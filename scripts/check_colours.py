#!/usr/bin/env python3
"""Checks that pictures show the prompted colours of the shapes world.

Every pixel is classified to the nearest palette colour (squared RGB
distance); the background is the majority class of the border pixels; the
foreground is the majority class of the non-background pixels in the central
half (the middle H/2 x W/2 window). A picture passes when both match.

  check_colours.py IMAGE... --expect-fg red --expect-bg blue
  check_colours.py IMAGE... --prompt "a red circle on a blue background"
  check_colours.py --list cases.json   [{"image": ..., "prompt": ...} or {"image", "fg", "bg"}]
  check_colours.py --list cases.csv    (header: image,prompt  or  image,fg,bg; a .tsv likewise)

Prints a verdict per picture and the pass rates. Exit status: 0 when every
picture passes (or, with --min-pass-rate R, when the pass rate is >= R);
1 when not; 2 on bad usage or an unreadable picture. Relative paths in a
list are relative to the list's folder."""
import argparse
import csv
import json
import os
import sys
import zlib
from typing import List, Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shapes_world import COLOURS, PALETTE, parse_prompt  # noqa: E402

PALETTE_ARRAY = np.array([PALETTE[c] for c in COLOURS], dtype=np.float32)


def _unfilter(raw: np.ndarray, height: int, stride: int, bpp: int) -> np.ndarray:
    """Undoes PNG row filters; raw is [height, 1 + stride] uint8."""
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = int(raw[y, 0]), raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + previous) & 0xFF
        elif kind in (1, 3, 4):
            row = np.zeros(stride, dtype=np.int32)
            for x in range(stride):  # sequential along the row
                left = int(row[x - bpp]) if x >= bpp else 0
                up = int(previous[x])
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + up) >> 1
                else:
                    up_left = int(previous[x - bpp]) if x >= bpp else 0
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                row[x] = (int(line[x]) + predictor) & 0xFF
        else:
            raise ValueError(f"bad PNG filter type {kind}")
        out[y] = row
        previous = row.astype(np.int32)
    return out


def read_png(path: str) -> np.ndarray:
    """uint8 [H, W, 3] from an 8-bit grey/RGB/RGBA (or grey+alpha), non-interlaced
    PNG; PIL is used instead when it is installed."""
    try:
        from PIL import Image  # optional (python3-pil)
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except ImportError:
        pass
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    at, idat, width, height, channels = 8, [], 0, 0, 3
    while at + 8 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            depth, colour_type, interlace = body[8], body[9], body[12]
            if depth != 8 or colour_type not in (0, 2, 4, 6) or interlace != 0:
                raise ValueError(f"{path}: only 8-bit non-interlaced grey/RGB/RGBA PNGs can be read without PIL")
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        at += 12 + length
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    raw = raw[:height * (1 + width * channels)].reshape(height, 1 + width * channels)
    pixels = _unfilter(raw, height, width * channels, channels).reshape(height, width, channels)
    if channels in (1, 2):
        return np.repeat(pixels[:, :, :1], 3, axis=2)
    return pixels[:, :, :3].copy()


def palette_distances(pixels: np.ndarray) -> np.ndarray:
    """[..., len(COLOURS)] squared RGB distance of each [..., 3+] pixel to each palette colour."""
    return ((pixels[..., None, :3].astype(np.float32) - PALETTE_ARRAY) ** 2).sum(-1)


def palette_labels(images: np.ndarray) -> np.ndarray:
    """[..., H, W] index into COLOURS of the nearest palette colour of each
    pixel of one [H, W, 3+] picture or a stack of them."""
    return palette_distances(images).argmin(-1)


def classify(image: np.ndarray) -> Tuple[Optional[str], str]:
    """(foreground colour or None, background colour) of an RGB picture."""
    return classify_labels(palette_labels(image))


def classify_labels(labels: np.ndarray) -> Tuple[Optional[str], str]:
    """classify() of a picture's [H, W] palette_labels."""
    h, w = labels.shape
    border = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    background = int(np.bincount(border, minlength=len(COLOURS)).argmax())
    centre = labels[h // 4:h - h // 4, w // 4:w - w // 4].ravel()
    centre = centre[centre != background]
    foreground = int(np.bincount(centre, minlength=len(COLOURS)).argmax()) if centre.size else None
    return (COLOURS[foreground] if foreground is not None else None), COLOURS[background]


def check(path: str, fg: str, bg: str):
    """(foreground ok, background ok, found foreground, found background)."""
    found_fg, found_bg = classify(read_png(path))
    return found_fg == fg, found_bg == bg, found_fg, found_bg


def expectations_from_prompt(prompt: str) -> Tuple[str, str]:
    fg, _, bg = parse_prompt(prompt)
    if fg is None or bg is None:
        raise ValueError(f"prompt names no shape colour and background colour: {prompt!r}")
    return fg, bg


def read_list(path: str) -> List[Tuple[str, str, str]]:
    """(image, fg, bg) cases from a JSON list or a CSV/TSV file with a header."""
    base = os.path.dirname(os.path.abspath(path))
    if path.endswith(".json"):
        with open(path) as f:
            rows = json.load(f)
        if isinstance(rows, dict):
            rows = rows.get("cases") or rows.get("pictures") or []
    else:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t" if path.endswith(".tsv") else ","))
    cases = []
    for row in rows:
        image = row.get("image") or row.get("file") or row.get("path")
        if not image:
            raise ValueError(f"{path}: a case without an image: {row}")
        if row.get("fg") and row.get("bg"):
            fg, bg = row["fg"], row["bg"]
        elif row.get("prompt"):
            fg, bg = expectations_from_prompt(row["prompt"])
        else:
            raise ValueError(f"{path}: a case needs fg and bg, or a prompt: {row}")
        if fg not in PALETTE or bg not in PALETTE:
            raise ValueError(f"{path}: unknown colour in {row}")
        cases.append((image if os.path.isabs(image) else os.path.join(base, image), fg, bg))
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="*", metavar="IMAGE")
    parser.add_argument("--expect-fg", choices=COLOURS, help="the shape's colour")
    parser.add_argument("--expect-bg", choices=COLOURS, help="the background colour")
    parser.add_argument("--prompt", help="take both colours from this prompt")
    parser.add_argument("--list", help="JSON or CSV/TSV list of cases")
    parser.add_argument("--min-pass-rate", type=float, default=1.0, help="pass rate needed for exit status 0")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    try:
        if args.list:
            if args.images or args.expect_fg or args.expect_bg or args.prompt:
                parser.error("--list takes no images or expectations")
            cases = read_list(args.list)
        else:
            if not args.images:
                parser.error("give IMAGE... with --expect-fg/--expect-bg or --prompt, or --list FILE")
            if args.prompt:
                fg, bg = expectations_from_prompt(args.prompt)
                fg, bg = args.expect_fg or fg, args.expect_bg or bg
            elif args.expect_fg and args.expect_bg:
                fg, bg = args.expect_fg, args.expect_bg
            else:
                parser.error("give both --expect-fg and --expect-bg, or --prompt")
            cases = [(image, fg, bg) for image in args.images]
    except (OSError, ValueError) as error:
        print(f"check_colours: {error}", file=sys.stderr)
        return 2
    if not cases:
        print("check_colours: no cases", file=sys.stderr)
        return 2
    results = []
    for path, fg, bg in cases:
        try:
            fg_ok, bg_ok, found_fg, found_bg = check(path, fg, bg)
        except (OSError, ValueError, zlib.error) as error:
            print(f"check_colours: {path}: {error}", file=sys.stderr)
            return 2
        results.append({"image": path, "want_fg": fg, "want_bg": bg, "fg": found_fg, "bg": found_bg,
                        "fg_ok": fg_ok, "bg_ok": bg_ok, "pass": fg_ok and bg_ok})
    n = len(results)
    summary = {"count": n, "pass_rate": sum(r["pass"] for r in results) / n,
               "foreground_rate": sum(r["fg_ok"] for r in results) / n,
               "background_rate": sum(r["bg_ok"] for r in results) / n}
    if args.json:
        print(json.dumps({"summary": summary, "pictures": results}, indent=2))
    else:
        for r in results:
            print(f"{'PASS' if r['pass'] else 'FAIL'}  {r['image']}: foreground {r['fg']} (want {r['want_fg']}), "
                  f"background {r['bg']} (want {r['want_bg']})")
        print(f"passed {sum(r['pass'] for r in results)}/{n} ({100 * summary['pass_rate']:.1f}%); foreground "
              f"{100 * summary['foreground_rate']:.1f}%, background {100 * summary['background_rate']:.1f}%")
    return 0 if summary["pass_rate"] >= args.min_pass_rate else 1


if __name__ == "__main__":
    sys.exit(main())
