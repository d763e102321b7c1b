#!/usr/bin/env python3
"""Generation quality of a shapes-world bundle: renders prompts with vqclip's
settings (defaults unless given after --), checks each picture's foreground
and background colours (check_colours.py) and shape (check_shape.py), and
optionally makes a contact sheet.

  eval_generation.py --vqclip build/bin/vqclip --count 40 --out /tmp/gen-eval [--sheet sheet.png] [-- --steps 200]

--jobs N renders with N vqclip processes at once (shards of one batch: the
pictures are the same as with one process). --shapes cross renders only the
prompts of crosses among the --count, as one batch of their own (so with
other job seeds than in the full set). --repeats 3 renders every prompt three
times, each from a job seed of its own: the batch holds the prompts three times
over, so its first repeat is the one-repeat evaluation picture for picture, and
the summary gives each repeat's rates beside the rates over all pictures (40
prompts pin a shape rate only to about 8 points either way). --resume keeps the
pictures already in --out that vqclip would draw again bit for bit (same job,
same options), so a third repeat after two costs only the third; "seconds"
then counts only what was rendered."""
import argparse
import json
import os
import random
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_colours  # noqa: E402
import check_shape  # noqa: E402
from shapes_captions import CANONICAL, caption, phrasings_naming  # noqa: E402
from shapes_world import HELD_OUT, SHAPES, SIZE, all_triples  # noqa: E402


def prompts(count: int, seed: int, phrasings: str = "canonical"):
    """Every held-out triple, then random others (the same triples for a seed
    whatever the phrasings); captions in the canonical phrasing, or each in a
    random held-out phrasing naming all three attributes."""
    rng = random.Random(seed)
    others = [t for t in all_triples() if t not in HELD_OUT]
    rng.shuffle(others)
    triples = sorted(HELD_OUT) + others
    if phrasings == "canonical":
        return [(t, caption(t, CANONICAL)) for t in triples[:count]]
    templates = phrasings_naming((True, True, True), held_out=True)
    wording = random.Random(seed + 1)
    return [(t, caption(t, wording.choice(templates), wording)) for t in triples[:count]]


def by_shape(rows) -> dict:
    """Per prompted shape: its prompts, the pictures that pass the shape
    check, and those whose best match is that shape whatever the IoU."""
    tally = {}
    for r in rows:
        counts = tally.setdefault(r["prompted_shape"], {"count": 0, "shape_pass": 0, "best_match": 0})
        counts["count"] += 1
        counts["shape_pass"] += r["shape_pass"]
        counts["best_match"] += r["shape"] == r["prompted_shape"]
    return {shape: tally[shape] for shape in SHAPES if shape in tally}


def summarise(rows) -> dict:
    """Rates over every row (picture): colours, shape, the held-out triples'
    (None when none was rendered), and per prompted shape."""
    def rates(some):
        n = len(some)
        if not n:
            return None, None, None
        return (sum(r["foreground_pass"] for r in some) / n, sum(r["background_pass"] for r in some) / n,
                sum(r["shape_pass"] for r in some) / n)
    held = [r for r in rows if r["held_out"]]
    fg, bg, shape = rates(rows)
    held_fg, held_bg, held_shape = rates(held)
    return {"count": len(rows), "foreground": fg, "background": bg, "shape": shape, "held_out_count": len(held),
            "held_out_foreground": held_fg, "held_out_background": held_bg, "held_out_shape": held_shape,
            "by_shape": by_shape(rows)}


def by_repeat(rows) -> list:
    """Each repeat's colour and shape rates, in order: how far one repeat's figures wander."""
    rates = []
    for k in sorted({r["repeat"] for r in rows}):
        summary = summarise([r for r in rows if r["repeat"] == k])
        rates.append({key: summary[key] for key in ("foreground", "background", "shape")})
    return rates


def at_world_size(image: np.ndarray) -> np.ndarray:
    """A picture larger than the world's (a --hires pass, a bigger --size) in
    whole multiples of it, averaged down to it: the checks know that size only."""
    h, w, _ = image.shape
    if (h, w) == (SIZE, SIZE):
        return image
    if h % SIZE or w % SIZE or h != w:
        raise ValueError(f"a {w}x{h} picture cannot be checked: only square multiples of {SIZE}")
    k = h // SIZE
    return image.reshape(SIZE, k, SIZE, k, 3).mean(axis=(1, 3)).round().astype(np.uint8)


def write_png(path: str, image: np.ndarray) -> None:
    import zlib
    h, w, _ = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def contact_sheet(paths, out: str, columns: int = 4, scale: int = 2, gap: int = 4) -> None:
    tiles = [np.kron(at_world_size(check_colours.read_png(p)), np.ones((scale, scale, 1), dtype=np.uint8))
             for p in paths]
    h, w, _ = tiles[0].shape
    rows = (len(tiles) + columns - 1) // columns
    sheet = np.full((rows * (h + gap) + gap, columns * (w + gap) + gap, 3), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        y, x = gap + (i // columns) * (h + gap), gap + (i % columns) * (w + gap)
        sheet[y:y + h, x:x + w] = tile
    write_png(out, sheet)


def legend(rows, columns: int = 4) -> str:
    """Markdown table naming each picture of a contact sheet and its verdicts."""
    lines = ["| row, column | prompt | colours found | colours | best shape in the prompt's colour (IoU) | shape |",
             "|---|---|---|---|---|---|"]
    for i, r in enumerate(rows):
        held = " (held out)" if r["held_out"] else ""
        lines.append(f'| {i // columns + 1}, {i % columns + 1} | {r["prompt"]}{held} | '
                     f'{r["foreground"] or "none"} on {r["background"]} | {"pass" if r["pass"] else "fail"} | '
                     f'{r["shape"]} ({r["shape_iou"]:.2f}) | {"pass" if r["shape_pass"] else "fail"} |')
    return "\n".join(lines) + "\n"


def split_vqclip_options(argv):
    """(this script's arguments, vqclip's options after a `--`)."""
    if "--" not in argv:
        return argv, []
    return argv[:argv.index("--")], argv[argv.index("--") + 1:]


def main() -> int:
    argv, extra = split_vqclip_options(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqclip", default="build/bin/vqclip")
    parser.add_argument("--models", default=None)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phrasings", choices=("canonical", "held-out"), default="canonical",
                        help="the prompts' wording: the canonical caption, or held-out phrasings of the grammar")
    parser.add_argument("--out", default="/tmp/vqclip-generation-eval")
    parser.add_argument("--jobs", type=int, default=1, help="vqclip processes rendering at once")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="only the prompts of these shapes (comma-separated)")
    parser.add_argument("--repeats", type=int, default=1, help="pictures of every prompt, each from its own job seed")
    parser.add_argument("--resume", action="store_true",
                        help="keep the pictures already in --out whose record matches their job; render the rest")
    parser.add_argument("--sheet", help="write a contact sheet of the first 16 pictures here")
    parser.add_argument("--legend", help="write a Markdown table of the sheet's pictures and verdicts here")
    args = parser.parse_args(argv)
    shapes = args.shapes.split(",")
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"--shapes: unknown shape {unknown[0]!r} (the world's shapes: {', '.join(SHAPES)})")
    if args.repeats < 1:
        parser.error(f"--repeats: {args.repeats}: expected 1 or more")
    cases = [case for case in prompts(args.count, args.seed, args.phrasings) if case[0][1] in shapes]
    if not cases:
        parser.error(f"--shapes: no prompt of {args.shapes} among the first {args.count}")
    # Repeat k's lines follow repeat k - 1's: a job's seed comes from the batch
    # seed and its line, so the first repeat's pictures do not depend on --repeats.
    jobs = [(k, case) for k in range(args.repeats) for case in cases]
    os.makedirs(args.out, exist_ok=True)
    prompt_file = os.path.join(args.out, "prompts.txt")
    with open(prompt_file, "w") as f:
        f.write("\n".join(text for _, (_, text) in jobs) + "\n")
    # vqclip's batch skips a picture whose metadata records the same job (prompt,
    # seed, settings), so --resume can only keep pictures these options draw.
    command = [args.vqclip, "--prompts-file", prompt_file, "--out-dir", args.out, "--seed", str(args.seed), "-q"]
    command += ([] if args.resume else ["--overwrite"]) + (["--models", args.models] if args.models else []) + extra
    start = time.time()
    if "--threads" not in extra:  # the cores shared out: processes of a thread a core each slow each other down
        command += ["--threads", str(max(1, len(os.sched_getaffinity(0)) // args.jobs))]
    shards = [subprocess.Popen(command + ["--shard", f"{k}/{args.jobs}"]) for k in range(args.jobs)]
    if any(shard.wait() != 0 for shard in shards):
        print("eval_generation.py: error: vqclip failed (see above)", file=sys.stderr)
        return 1
    seconds = time.time() - start
    names = sorted(n for n in os.listdir(args.out) if n.endswith(".png") and n[:4].isdigit())
    rows = []
    for (repeat, (triple, text)), name in zip(jobs, names):
        image = at_world_size(check_colours.read_png(os.path.join(args.out, name)))
        found_fg, found_bg = check_colours.classify(image)
        ok_fg, ok_bg = found_fg == triple[0], found_bg == triple[2]
        ok_shape, found_shape, iou = check_shape.shows(image, triple[0], triple[1])
        rows.append({"prompt": text, "file": name, "repeat": repeat, "prompted_shape": triple[1],
                     "foreground": found_fg, "background": found_bg, "shape": found_shape,
                     "shape_iou": round(iou, 3), "foreground_pass": bool(ok_fg), "background_pass": bool(ok_bg),
                     "pass": bool(ok_fg and ok_bg), "shape_pass": bool(ok_shape), "held_out": triple in HELD_OUT})
    summary = summarise(rows)
    if args.repeats > 1:
        summary.update({"repeats": args.repeats, "by_repeat": by_repeat(rows)})
    summary.update({"phrasings": args.phrasings, "seconds": round(seconds, 1), "options": extra})
    with open(os.path.join(args.out, "generation_eval.json"), "w") as f:
        json.dump({"summary": summary, "pictures": rows}, f, indent=2)
    if args.sheet:
        contact_sheet([os.path.join(args.out, r["file"]) for r in rows[:16]], args.sheet)
    if args.legend:
        with open(args.legend, "w") as f:
            f.write(legend(rows[:16]))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
