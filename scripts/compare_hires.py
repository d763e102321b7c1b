#!/usr/bin/env python3
"""A high-resolution pass against a from-scratch render at the large size for
the same time: renders PROMPT with --hires, takes the second pass's seconds
per step from its record, renders the large size from scratch for as many
steps as fit in the hires render's time (once more with the steps scaled
when the two times end more than 10% apart), and reports both renders' time and
CLIP similarity (the rendering bundle's, and a judge's with --judge), with
the two pictures side by side in OUT/side_by_side.png.

  compare_hires.py --models models/tiny-shapes --prompt "a red circle on a blue background" \\
      --size 64 64 --steps 150 --hires 2 --hires-steps 50 --out /tmp/hires [--judge BUNDLE] [-- OPTIONS]

OPTIONS go to both renders (--cutn 16, --threads 2, ...)."""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_colours  # noqa: E402
from eval_generation import split_vqclip_options, write_png  # noqa: E402


def render(args, extra, output, steps, size, hires=None):
    command = [args.vqclip, "-p", args.prompt, "--models", args.models, "--steps", str(steps), "--size",
               str(size[0]), str(size[1]), "--seed", str(args.seed), "--metadata", "sidecar", "-q",
               "-o", output] + extra
    if hires:
        command += ["--hires", str(hires[0]), "--hires-steps", str(hires[1])]
    subprocess.run(command, check=True)
    with open(os.path.splitext(output)[0] + ".json") as f:
        return json.load(f)


def judged(args, picture):
    """The judge bundle's cosine similarity of the picture with the prompt."""
    out = subprocess.run([args.vqclip, "score", picture, "-p", args.prompt, "--models", args.judge, "--json", "-q"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["cosine"][0][0]


def main() -> int:
    argv, extra = split_vqclip_options(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqclip", default="build/bin/vqclip")
    parser.add_argument("--models", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--size", type=int, nargs=2, default=[64, 64], metavar=("W", "H"))
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--hires", type=float, default=2.0)
    parser.add_argument("--hires-steps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--judge", help="another bundle whose CLIP also scores both pictures")
    parser.add_argument("--out", default="/tmp/vqclip-hires")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    hires_png = os.path.join(args.out, "hires.png")
    hires = render(args, extra, hires_png, args.steps, args.size, (args.hires, args.hires_steps))
    second = hires["passes"][1]
    large = (second["width"], second["height"])
    per_large_step = second["seconds"] / second["steps"]
    scratch_steps = max(1, round(hires["seconds"] / per_large_step))
    scratch_png = os.path.join(args.out, "scratch.png")
    scratch = render(args, extra, scratch_png, scratch_steps, large)
    # A from-scratch step may cost more or less than a refining one: once more
    # with the steps scaled when the times are more than 10% apart.
    if abs(scratch["seconds"] - hires["seconds"]) > 0.1 * hires["seconds"]:
        scratch_steps = max(1, round(scratch_steps * hires["seconds"] / scratch["seconds"]))
        scratch = render(args, extra, scratch_png, scratch_steps, large)

    def summary(name, record, png):
        row = {"render": name, "steps": record["steps_done"], "seconds": round(record["seconds"], 2),
               "similarity": round(record["similarity"][0]["cosine"], 4), "file": png}
        if args.judge:
            row["judge_similarity"] = round(judged(args, png), 4)
        return row

    rows = [summary(f'{args.size[0]}x{args.size[1]} x{args.steps} + hires {args.hires}x x{args.hires_steps}', hires,
                    hires_png),
            summary(f'{large[0]}x{large[1]} from scratch x{scratch_steps}', scratch, scratch_png)]
    pictures = [check_colours.read_png(hires_png), check_colours.read_png(scratch_png)]
    gap = np.full((pictures[0].shape[0], 8, 3), 255, dtype=np.uint8)
    write_png(os.path.join(args.out, "side_by_side.png"), np.concatenate([pictures[0], gap, pictures[1]], axis=1))
    report = {"prompt": args.prompt, "seed": args.seed, "options": extra,
              "second_pass_seconds_per_step": round(per_large_step, 3), "renders": rows}
    with open(os.path.join(args.out, "compare_hires.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
