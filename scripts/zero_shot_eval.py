#!/usr/bin/env python3
"""Zero-shot accuracy of a shapes-world bundle's CLIP, from its exported
TorchScript files and its SentencePiece tokenizer (spm_encode): fresh renders
(random positions and sizes no training step saw) are matched against the
canonical captions of all 224 triples ("a red circle on a blue background");
the best caption's shape colour, shape and background are scored.

  zero_shot_eval.py --models models/tiny-shapes [--per-triple 4] [--held-out-per-triple 25] [--seed 1234]

"all": per-triple renders of every triple (held-out ones included);
"held_out": held-out-per-triple renders of each held-out triple
(shapes_world.HELD_OUT), which training never saw in any form."""
import argparse
import json
import os
import random
import subprocess
import sys
from typing import Callable, Dict, List, Sequence

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shapes_world import HELD_OUT, TEMPLATES, all_triples, caption, render_many  # noqa: E402


def spm_ids(model_file: str, texts: Sequence[str]) -> List[List[int]]:
    """Piece ids of each text, from the spm_encode command-line tool."""
    if any("\n" in t for t in texts):
        raise ValueError("texts must be single lines")
    out = subprocess.run(["spm_encode", f"--model={model_file}", "--output_format=id"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    rows = [[int(t) for t in line.split()] for line in out.split("\n")[:len(texts)]]
    if len(rows) != len(texts):
        raise RuntimeError(f"spm_encode returned {len(rows)} lines for {len(texts)} texts")
    return rows


def tokenize_with(model_file: str, manifest: dict, texts: Sequence[str]) -> torch.Tensor:
    """int64 [N, context_length]: bos, ids, eos, then pad (too long: the first
    context_length - 2 ids), as the bundle's tokenizer block says."""
    spec = manifest["clip"]["tokenizer"]
    length = manifest["clip"]["context_length"]
    if spec.get("lowercase", False):
        texts = [t.lower() for t in texts]
    rows = []
    for ids in spm_ids(model_file, texts):
        ids = [spec["bos_id"]] + ids[: length - 2] + [spec["eos_id"]]
        rows.append(ids + [spec["pad_id"]] * (length - len(ids)))
    return torch.tensor(rows, dtype=torch.long)


def tokenize(manifest: dict, bundle_dir: str, texts: Sequence[str]) -> torch.Tensor:
    return tokenize_with(os.path.join(bundle_dir, manifest["clip"]["tokenizer"]["file"]), manifest, texts)


def clip_input(images: torch.Tensor, resolution: int, mean, std) -> torch.Tensor:
    """[N, 3, H, W] in [0, 1] -> CLIP input as vqclip's image reader makes it
    (bicubic antialiased resize, normalise)."""
    x = F.interpolate(images, size=(resolution, resolution), mode="bicubic", align_corners=False, antialias=True)
    return (x.clamp(0, 1) - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def zero_shot(text_encoder: Callable, image_encoder: Callable, tokenizer: Callable, resolution: int, mean, std,
              per_triple: int = 4, held_out_per_triple: int = 25, seed: int = 1234) -> Dict[str, dict]:
    triples = all_triples()
    with torch.no_grad():
        texts = F.normalize(text_encoder(tokenizer([caption(t, TEMPLATES[0]) for t in triples])), dim=-1)
        rng = random.Random(seed)
        results = {}
        for name, pool, repeat in (("all", triples, per_triple), ("held_out", sorted(HELD_OUT), held_out_per_triple)):
            chosen = [t for t in pool for _ in range(repeat)]
            images = torch.from_numpy(render_many(rng, chosen)).permute(0, 3, 1, 2).float() / 255.0
            embeddings = torch.cat([image_encoder(clip_input(images[i:i + 256], resolution, mean, std))
                                    for i in range(0, len(images), 256)])
            best = (F.normalize(embeddings, dim=-1) @ texts.t()).argmax(1).tolist()
            n = len(chosen)
            hits = [sum(triples[b][k] == t[k] for b, t in zip(best, chosen)) / n for k in range(3)]
            results[name] = {"count": n, "foreground": hits[0], "shape": hits[1], "background": hits[2],
                             "triple": sum(triples[b] == t for b, t in zip(best, chosen)) / n}
    return results


def evaluate(bundle_dir: str, per_triple: int = 4, held_out_per_triple: int = 25, seed: int = 1234) -> dict:
    with open(os.path.join(bundle_dir, "vqclip.json")) as f:
        manifest = json.load(f)
    clip = manifest["clip"]
    if clip["tokenizer"]["type"] != "sentencepiece":
        raise ValueError(f"{bundle_dir}: expected a sentencepiece tokenizer, got {clip['tokenizer']['type']}")
    text_encoder = torch.jit.load(os.path.join(bundle_dir, clip["text_encoder"]), map_location="cpu").eval()
    image_encoder = torch.jit.load(os.path.join(bundle_dir, clip["image_encoder"]), map_location="cpu").eval()
    return zero_shot(text_encoder, image_encoder, lambda texts: tokenize(manifest, bundle_dir, texts),
                     clip["input_resolution"], clip["mean"], clip["std"], per_triple, held_out_per_triple, seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                         "tiny-shapes"))
    parser.add_argument("--per-triple", type=int, default=4)
    parser.add_argument("--held-out-per-triple", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-foreground", type=float, default=0.0, help="exit 1 below this accuracy (all)")
    parser.add_argument("--min-background", type=float, default=0.0)
    parser.add_argument("--min-shape", type=float, default=0.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = evaluate(args.models, args.per_triple, args.held_out_per_triple, args.seed)
    print(json.dumps(result, indent=2))
    a = result["all"]
    ok = a["foreground"] >= args.min_foreground and a["background"] >= args.min_background and \
        a["shape"] >= args.min_shape
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
