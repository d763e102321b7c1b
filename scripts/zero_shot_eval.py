#!/usr/bin/env python3
"""Zero-shot accuracy of a shapes-world bundle's CLIP, from its exported
TorchScript files and its SentencePiece tokenizer (spm_encode), on fresh
renders (random positions and sizes no training step saw):

- "all", "held_out": each render against the canonical captions of all 224
  triples ("a red circle on a blue background"); the best caption's shape
  colour, shape and background are scored. "all" has per-triple renders of
  every triple (held-out ones included), "held_out" held-out-per-triple
  renders of each held-out triple (shapes_world.HELD_OUT), which training
  never saw in any form;
- "phrasings": the same with whole descriptions in other phrasings of the
  caption grammar (shapes_captions.py), training ones and held-out ones;
- "partial": descriptions that name one attribute (or one and a given other)
  as classification tasks, with training and held-out phrasings;
- "classify": CLASSIFY_CASES, classification as a user writes it.

  zero_shot_eval.py --models models/tiny-shapes [--per-triple 4] [--held-out-per-triple 25] [--seed 1234]
"""
import argparse
import json
import os
import random
import subprocess
import sys
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shapes_captions import CANONICAL, COLOURS, SHAPES, Triple, caption, phrasings_naming  # noqa: E402
from shapes_world import HELD_OUT, all_triples, render_many  # noqa: E402
from vqclip_models.bundle import read_manifest  # noqa: E402


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
    if spec.get("lowercase", False):
        texts = [t.lower() for t in texts]
    return pack_rows(spm_ids(model_file, texts), manifest["clip"]["context_length"], spec["bos_id"], spec["eos_id"],
                     spec["pad_id"])


def pack_rows(ids: Sequence[List[int]], length: int, bos: int, eos: int, pad: int) -> torch.Tensor:
    """int64 [N, length]: bos, each text's ids (the first length - 2), eos, then pad."""
    rows = []
    for text_ids in ids:
        row = [bos] + text_ids[: length - 2] + [eos]
        rows.append(row + [pad] * (length - len(row)))
    return torch.tensor(rows, dtype=torch.long).view(len(rows), length)


def tokenize(manifest: dict, bundle_dir: str, texts: Sequence[str]) -> torch.Tensor:
    return tokenize_with(os.path.join(bundle_dir, manifest["clip"]["tokenizer"]["file"]), manifest, texts)


def load_clip(bundle_dir: str) -> Tuple[dict, torch.jit.ScriptModule, torch.jit.ScriptModule]:
    """The bundle's manifest, text encoder and image encoder (CPU, eval mode)."""
    manifest = read_manifest(bundle_dir)
    clip = manifest["clip"]
    if clip["tokenizer"]["type"] != "sentencepiece":
        raise ValueError(f"{bundle_dir}: expected a sentencepiece tokenizer, got {clip['tokenizer']['type']}")
    text_encoder = torch.jit.load(os.path.join(bundle_dir, clip["text_encoder"]), map_location="cpu").eval()
    image_encoder = torch.jit.load(os.path.join(bundle_dir, clip["image_encoder"]), map_location="cpu").eval()
    return manifest, text_encoder, image_encoder


def resized(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """[N, 3, H, W] in [0, 1] -> [N, 3, resolution, resolution] in [0, 1], as
    vqclip's image reader resizes (bicubic, antialiased)."""
    x = F.interpolate(images, size=(resolution, resolution), mode="bicubic", align_corners=False, antialias=True)
    return x.clamp(0, 1)


def clip_input(images: torch.Tensor, resolution: int, mean, std) -> torch.Tensor:
    """[N, 3, H, W] in [0, 1] -> CLIP input as vqclip's image reader makes it
    (resized, normalised)."""
    return (resized(images, resolution) - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def _embed_images(image_encoder: Callable, images: torch.Tensor, resolution: int, mean, std) -> torch.Tensor:
    return F.normalize(torch.cat([image_encoder(clip_input(images[i:i + 256], resolution, mean, std))
                                  for i in range(0, len(images), 256)]), dim=-1)


def _renders(rng: random.Random, chosen: Sequence[Triple]) -> torch.Tensor:
    return torch.from_numpy(render_many(rng, chosen)).permute(0, 3, 1, 2).float() / 255.0


# Partial descriptions as classification tasks: (what the candidates name,
# which attribute is asked for; any other named one is the picture's).
# "background_given_shape" is the classification the issue tracker found
# broken: "a circle on a red background" against a red circle on blue.
PARTIAL_TASKS = {
    "background": ((False, False, True), 2),
    "shape": ((False, True, False), 1),
    "colour": ((True, False, False), 0),
    "background_given_shape": ((False, True, True), 2),
    "colour_given_background": ((True, False, True), 0),
}


def _partial_task(encode_texts: Callable, images: torch.Tensor, chosen: Sequence[Triple], task: str,
                  templates: Sequence[str]) -> float:
    """Share of pictures whose asked attribute wins among candidates made with
    each template (averaged over the templates)."""
    _, asked = PARTIAL_TASKS[task]
    values = SHAPES if asked == 1 else COLOURS
    hits = 0
    for template in templates:
        for i, triple in enumerate(chosen):
            # Candidates differ only in the asked attribute; the others are the picture's.
            candidates = []
            for value in values:
                t = list(triple)
                t[asked] = value
                candidates.append(caption(tuple(t), template))
            best = int((images[i:i + 1] @ encode_texts(candidates).t()).argmax())
            hits += values[best] == triple[asked]
    return hits / (len(templates) * len(chosen))


# `vqclip classify` as a user runs it, with templates that name one attribute
# (tests/python/test_tiny_bundle_classify.py runs the same through the tool):
# name -> (template, labels, which attribute the labels name, only pictures of this shape).
CLASSIFY_CASES = {
    "circle_on_background": ("a circle on a {}", [f"{c} background" for c in COLOURS], 2, "circle"),
    "background_with_circle": ("{} with a circle", [f"{c} background" for c in COLOURS], 2, "circle"),
    "background": ("a {} background", COLOURS, 2, None),
    "shape": ("a picture of a {}", SHAPES, 1, None),
    "colour": ("a {} shape", COLOURS, 0, None),
}


def classify_case(encode_texts: Callable, images: torch.Tensor, chosen: Sequence[Triple], name: str) -> float:
    template, labels, asked, only = CLASSIFY_CASES[name]
    rows = [i for i, t in enumerate(chosen) if only is None or t[1] == only]
    texts = encode_texts([template.replace("{}", label) for label in labels])
    best = (images[rows] @ texts.t()).argmax(1).tolist()
    return sum(labels[b].split()[0] == chosen[i][asked] for b, i in zip(best, rows)) / len(rows)


def zero_shot(text_encoder: Callable, image_encoder: Callable, tokenizer: Callable, resolution: int, mean, std,
              per_triple: int = 4, held_out_per_triple: int = 25, seed: int = 1234,
              phrasings_per_split: int = 8) -> Dict[str, dict]:
    """"all" and "held_out": canonical captions of every triple, as before the
    grammar. "phrasings": the same with whole descriptions in training and in
    held-out phrasings (all renders of a group share a phrasing). "partial":
    PARTIAL_TASKS, each with training and with held-out phrasings.
    "classify": CLASSIFY_CASES."""
    triples = all_triples()
    cache: Dict[str, torch.Tensor] = {}

    def encode_texts(texts: Sequence[str]) -> torch.Tensor:
        new = sorted({t for t in texts if t not in cache})
        if new:
            cache.update(zip(new, F.normalize(text_encoder(tokenizer(new)), dim=-1)))
        return torch.stack([cache[t] for t in texts])

    def score(images: torch.Tensor, template: str) -> List[Triple]:
        texts = encode_texts([caption(t, template) for t in triples])
        return [triples[b] for b in (images @ texts.t()).argmax(1).tolist()]

    def rates(found: Sequence[Triple], chosen: Sequence[Triple]) -> dict:
        n = len(chosen)
        hits = [sum(f[k] == t[k] for f, t in zip(found, chosen)) / n for k in range(3)]
        by_shape = {s: [f[1] == s for f, t in zip(found, chosen) if t[1] == s] for s in SHAPES}
        return {"count": n, "foreground": hits[0], "shape": hits[1], "background": hits[2],
                "triple": sum(f == t for f, t in zip(found, chosen)) / n,
                "shape_by_shape": {s: sum(v) / len(v) for s, v in by_shape.items() if v}}

    with torch.no_grad():
        rng = random.Random(seed)
        results: Dict[str, dict] = {}
        for name, pool, repeat in (("all", triples, per_triple), ("held_out", sorted(HELD_OUT), held_out_per_triple)):
            chosen = [t for t in pool for _ in range(repeat)]
            images = _embed_images(image_encoder, _renders(rng, chosen), resolution, mean, std)
            results[name] = rates(score(images, CANONICAL), chosen)
        chosen = list(triples)
        images = _embed_images(image_encoder, _renders(rng, chosen), resolution, mean, std)
        results["phrasings"], results["partial"] = {}, {task: {} for task in PARTIAL_TASKS}
        for split, held in (("training", False), ("held_out", True)):
            whole = rng.sample(phrasings_naming((True, True, True), held), phrasings_per_split)
            found = [f for template in whole for f in score(images, template)]
            results["phrasings"][split] = rates(found, chosen * len(whole))
            for task, (named, _) in PARTIAL_TASKS.items():
                options = phrasings_naming(named, held)
                templates = rng.sample(options, min(len(options), phrasings_per_split))
                results["partial"][task][split] = _partial_task(encode_texts, images, chosen, task, templates)
        results["classify"] = {name: classify_case(encode_texts, images, chosen, name) for name in CLASSIFY_CASES}
    return results


def evaluate(bundle_dir: str, per_triple: int = 4, held_out_per_triple: int = 25, seed: int = 1234) -> dict:
    manifest, text_encoder, image_encoder = load_clip(bundle_dir)
    clip = manifest["clip"]
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
