#!/usr/bin/env python3
"""Zero-shot accuracy of a shapes-world bundle's CLIP, from its exported
TorchScript files: each fresh render is matched against the full captions of
every triple; the best caption's colour, shape and background are scored.

  zero_shot_eval.py --models models/tiny-shapes [--count 400] [--seed 1234]"""
import argparse
import json
import os
import random
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shapes_world import HELD_OUT, TEMPLATES, all_triples, caption, random_scene, render  # noqa: E402


def spm_ids(model_file: str, texts):
    out = subprocess.run(["spm_encode", f"--model={model_file}", "--output_format=id"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [[int(t) for t in line.split()] for line in out.splitlines()]


def tokenize(manifest: dict, bundle_dir: str, texts):
    spec = manifest["clip"]["tokenizer"]
    length = manifest["clip"]["context_length"]
    rows = []
    for ids in spm_ids(os.path.join(bundle_dir, spec["file"]), [t.lower() for t in texts]):
        ids = [spec["bos_id"]] + ids[: length - 2] + [spec["eos_id"]]
        rows.append(ids + [spec["pad_id"]] * (length - len(ids)))
    return torch.tensor(rows, dtype=torch.long)


def clip_input(images: torch.Tensor, manifest: dict) -> torch.Tensor:
    """[N,3,64,64] in [0,1] -> CLIP input as vqclip's preprocessing does (resize, normalise)."""
    r = manifest["clip"]["input_resolution"]
    x = torch.nn.functional.interpolate(images, size=(r, r), mode="bicubic", align_corners=False, antialias=True)
    mean = torch.tensor(manifest["clip"]["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(manifest["clip"]["std"]).view(1, 3, 1, 1)
    return (x.clamp(0, 1) - mean) / std


def evaluate(bundle_dir: str, count: int = 400, seed: int = 1234) -> dict:
    with open(os.path.join(bundle_dir, "vqclip.json")) as f:
        manifest = json.load(f)
    text_encoder = torch.jit.load(os.path.join(bundle_dir, manifest["clip"]["text_encoder"]))
    image_encoder = torch.jit.load(os.path.join(bundle_dir, manifest["clip"]["image_encoder"]))
    triples = all_triples()
    with torch.no_grad():
        texts = text_encoder(tokenize(manifest, bundle_dir, [caption(t, TEMPLATES[0]) for t in triples]))
        texts = torch.nn.functional.normalize(texts, dim=-1)
        rng = random.Random(seed)
        # Every triple at least once (held-out ones included), then random ones.
        chosen = [triples[i % len(triples)] for i in range(count)]
        rng.shuffle(chosen)
        images = torch.tensor(np.stack([render(random_scene(rng, t)) for t in chosen])).permute(0, 3, 1, 2) / 255.0
        image_embeddings = torch.nn.functional.normalize(image_encoder(clip_input(images.float(), manifest)), dim=-1)
        best = (image_embeddings @ texts.t()).argmax(1).tolist()
    results = {}
    for name, subset in (("all", range(count)), ("held_out", [i for i in range(count) if chosen[i] in HELD_OUT])):
        subset = list(subset)
        hits = [sum(triples[best[i]][k] == chosen[i][k] for i in subset) for k in range(3)]
        results[name] = {"count": len(subset), "foreground": hits[0] / len(subset), "shape": hits[1] / len(subset),
                         "background": hits[2] / len(subset)}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=os.path.join(os.path.dirname(__file__), "..", "models", "tiny-shapes"))
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    print(json.dumps(evaluate(args.models, args.count, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
