#!/usr/bin/env python3
"""Writes a bundle whose CLIP is an ensemble of two bundles' CLIPs, within the
bundle contract: each tower runs both members and returns their unit
embeddings side by side, scaled by the square roots of the weights, so the
cosine of two paired embeddings is the weighted mean of the members' cosines:

  [sqrt(1-w) a1, sqrt(w) a2] . [sqrt(1-w) t1, sqrt(w) t2] = (1-w) cos1 + w cos2

(each side has unit norm). Everything that reads the bundle's CLIP then uses
the ensemble: the generation loop (whose spherical-distance loss is of that
mean cosine, where `--perceptor` sums each CLIP's own loss), score, classify,
search and embed.

  pair_clips.py --first models/tiny-shapes --second OTHER_BUNDLE --out DIR [--weight 0.5]

The bundle is the first one with its CLIP replaced: its drawer (VQGAN),
tokenizer file and default size are the first's. The two CLIPs must read the
same tokens and pixels: the same tokenizer (file and ids), context length,
input resolution, mean and std; otherwise nothing is written and the script
exits 2 naming what differs. The logit scale is the members' weighted mean."""
import argparse
import copy
import math
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vqclip_models.bundle import finish_bundle, read_manifest, sha256, start_bundle  # noqa: E402

TOWERS = ("text_encoder", "image_encoder")
SHARED_FIELDS = ("context_length", "input_resolution", "mean", "std")


class PairedTower(torch.nn.Module):
    """Two towers of the same input as one: [sqrt(1-w) unit(first), sqrt(w) unit(second)]."""

    def __init__(self, first: torch.jit.ScriptModule, second: torch.jit.ScriptModule, weight: float):
        super().__init__()
        self.first = first
        self.second = second
        self.first_scale = math.sqrt(1.0 - weight)
        self.second_scale = math.sqrt(weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.first(x)
        b = self.second(x)
        return torch.cat([a * (self.first_scale / a.norm(2.0, [-1], True)),
                          b * (self.second_scale / b.norm(2.0, [-1], True))], dim=-1)


def mismatch(first: dict, first_dir: str, second: dict, second_dir: str) -> str:
    """What keeps the two CLIPs from reading the same input ('' when nothing)."""
    a, b = first["clip"], second["clip"]
    for field in SHARED_FIELDS:
        if a[field] != b[field]:
            return f"clip.{field} differs: {a[field]} against {b[field]}"
    tokenizer_a = {k: v for k, v in a["tokenizer"].items() if k != "file"}
    tokenizer_b = {k: v for k, v in b["tokenizer"].items() if k != "file"}
    if tokenizer_a != tokenizer_b:
        return f"clip.tokenizer differs: {tokenizer_a} against {tokenizer_b}"
    if sha256(os.path.join(first_dir, a["tokenizer"]["file"])) != \
            sha256(os.path.join(second_dir, b["tokenizer"]["file"])):
        return "the tokenizer files differ"
    return ""


def pair_bundles(first_dir: str, second_dir: str, out_dir: str, weight: float = 0.5, name: str = "") -> dict:
    """Writes the paired bundle into out_dir and returns its manifest; ValueError when the CLIPs do not pair."""
    if not 0.0 < weight < 1.0:
        raise ValueError(f"--weight {weight}: must be between 0 and 1 (exclusive)")
    first, second = read_manifest(first_dir), read_manifest(second_dir)
    problem = mismatch(first, first_dir, second, second_dir)
    if problem:
        raise ValueError(f"{second_dir} cannot pair with {first_dir}: {problem}")
    if os.path.abspath(out_dir) in (os.path.abspath(first_dir), os.path.abspath(second_dir)):
        raise ValueError(f"--out {out_dir}: must be a directory of its own")
    start_bundle(out_dir)

    manifest = copy.deepcopy(first)
    clip = manifest["clip"]
    for tower in TOWERS:
        paired = PairedTower(torch.jit.load(os.path.join(first_dir, first["clip"][tower])),
                             torch.jit.load(os.path.join(second_dir, second["clip"][tower])), weight)
        torch.jit.script(paired.eval()).save(os.path.join(out_dir, clip[tower]))
    for file_name in manifest["files"]:
        if file_name not in (clip[tower] for tower in TOWERS):
            shutil.copyfile(os.path.join(first_dir, file_name), os.path.join(out_dir, file_name))
    clip["embed_dim"] = first["clip"]["embed_dim"] + second["clip"]["embed_dim"]
    clip["logit_scale"] = (1.0 - weight) * first["clip"]["logit_scale"] + weight * second["clip"]["logit_scale"]
    manifest["name"] = name or f"{first['name']}+{second['name']}"
    finish_bundle(out_dir, manifest, list(manifest["files"]))
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", required=True, help="bundle whose drawer, tokenizer and settings the pair keeps")
    parser.add_argument("--second", required=True, help="bundle whose CLIP joins the first's")
    parser.add_argument("--out", required=True)
    parser.add_argument("--weight", type=float, default=0.5, help="the second CLIP's share of the cosine")
    parser.add_argument("--name", default="", help="the paired bundle's name (default: FIRST+SECOND)")
    args = parser.parse_args()
    try:
        manifest = pair_bundles(args.first, args.second, args.out, args.weight, args.name)
    except (ValueError, OSError) as e:
        print(f"pair_clips: {e}", file=sys.stderr)
        return 2
    print(f"{args.out}: {manifest['name']}, CLIP embed_dim {manifest['clip']['embed_dim']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
