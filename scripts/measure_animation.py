"""Measures `vqclip animate` on a bundle (the tiny one by default):

1. Speed: an animation of F frames of K steps each (the first frame also K
   steps) against a still of F*K steps, whole processes taken in turn (median
   of --runs), and the video's encode time from the animation's log.
2. Flicker against prompt-following, for each --frame-pull (no smoothing) and
   each --latent-smoothing (at the default pull, 1): frames that do not move
   (zoom 1), so every change between consecutive frames is the refinement's;
   the mean absolute pixel change (0-255) between consecutive frames and the
   mean CLIP similarity of the frames to the prompt (from each frame's record).

Usage: /usr/bin/python3 scripts/measure_animation.py [--exe build/bin/vqclip]
       [--models models/tiny-shapes] [--frames 12] [--steps-per-frame 10] [--runs 3]
       [--pulls 0,0.1,0.3,1,3] [--smoothings 0.25,0.5,0.75] [--threads 2]"""
import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image

PROMPTS = ["a red circle on a blue background", "a green square on a black background",
           "a yellow triangle on a purple background"]


def run(command):
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr}")
    return time.monotonic() - start, result.stderr


def frames_of(video):
    folder = os.path.splitext(video)[0] + "-frames"
    return sorted(glob.glob(os.path.join(folder, "frame-*.png")))


def record_of(png):
    return json.loads(Image.open(png).text["vqclip"])


def speed(args, work):
    common = ["--models", args.models, "--threads", str(args.threads), "--cutn", "32", "--seed", "1"]
    animation, still, encode = [], [], []
    for i in range(args.runs):
        video = os.path.join(work, f"speed{i}.mp4")
        seconds, log = run([args.exe, "animate", "-p", PROMPTS[0], "--frames", str(args.frames), "--steps",
                            str(args.steps_per_frame), "--steps-per-frame", str(args.steps_per_frame), "--zoom", "1.02",
                            "-o", video] + common)
        animation.append(seconds)
        found = re.search(r"encoded in ([0-9.]+) s", log)
        encode.append(float(found.group(1)) if found else float("nan"))
        seconds, _ = run([args.exe, "-p", PROMPTS[0], "--steps", str(args.frames * args.steps_per_frame), "-o",
                          os.path.join(work, f"still{i}.png"), "-q"] + common)
        still.append(seconds)
    a, s, e = statistics.median(animation), statistics.median(still), statistics.median(encode)
    print(f"speed: {args.frames} frames x {args.steps_per_frame} steps against a still of "
          f"{args.frames * args.steps_per_frame} steps, {args.threads} threads, 32 cutouts, median of {args.runs}")
    print(f"  animate {a:.2f} s (runs {[round(x, 2) for x in animation]}), encode {e:.3f} s")
    print(f"  still   {s:.2f} s (runs {[round(x, 2) for x in still]})")
    print(f"  animate / still: {a / s:.3f}; without the encode: {(a - e) / s:.3f}")


def flicker(args, work):
    print(f"flicker: {args.frames} frames of {args.steps_per_frame} steps after a first of 100, no motion, "
          f"{len(PROMPTS)} prompts, seed 1")
    print(f"  {'frame_pull':>10} {'latent_smoothing':>16} {'mean |change|':>14} {'CLIP similarity':>16}")
    settings = [(pull, "0") for pull in args.pulls.split(",")]
    settings += [("1", smoothing) for smoothing in args.smoothings.split(",") if smoothing]
    for pull, smoothing in settings:
        changes, similarities = [], []
        for p, prompt in enumerate(PROMPTS):
            video = os.path.join(work, f"pull{pull}-smooth{smoothing}-{p}.mp4")
            run([args.exe, "animate", "-p", prompt, "--frames", str(args.frames), "--steps", "100",
                 "--steps-per-frame", str(args.steps_per_frame), "--frame-pull", pull, "--latent-smoothing",
                 smoothing, "--models", args.models, "--threads", str(args.threads), "--seed", "1", "-o", video,
                 "-q"])
            frames = frames_of(video)
            pictures = [np.asarray(Image.open(f).convert("RGB"), dtype=np.float64) for f in frames]
            changes += [np.abs(b - a).mean() for a, b in zip(pictures, pictures[1:])]
            similarities += [record_of(f)["similarity"][0]["cosine"] for f in frames[1:]]
        print(f"  {pull:>10} {smoothing:>16} {statistics.mean(changes):>14.2f} "
              f"{statistics.mean(similarities):>16.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", default=os.environ.get("VQCLIP_EXE", "build/bin/vqclip"))
    parser.add_argument("--models", default="models/tiny-shapes")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--steps-per-frame", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pulls", default="0,0.1,0.3,1,3")
    parser.add_argument("--smoothings", default="0.25,0.5,0.75")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        if not args.skip_speed:
            speed(args, work)
        flicker(args, work)


if __name__ == "__main__":
    main()
