#!/usr/bin/env python3
"""Why a shape does or does not come out of vqclip's loop with a
shapes-world bundle. For each shape, on fresh renders of training triples:

- recognised: the CLIP's zero-shot shape accuracy (canonical captions of all
  224 triples);
- steadfast: the share of renders whose shape the CLIP still picks among the
  four (canonical captions in the render's colours) after a pixel attack of
  L2 size --attack at its input (PGD): how far its shape decisions rest on
  features too faint to see, which the loop's gradient can raise instead of
  drawing the shape;
- representable: the share of renders whose VQGAN round trip (encoder,
  nearest code, decoder) still shows the shape (check_shape.py);
- reachable: the drawer's optimisation (random codes, straight-through
  quantiser, Adam at the loop's learning rate) pulled towards the render's
  pixels instead of a caption: the share that ends showing the shape. Low
  means the drawer cannot get there, whatever the CLIP wants;
- kept: the loop started from the render itself (--init-image), with its
  canonical caption as the prompt: the share still showing the shape after
  the steps;
- found: the loop from random codes (vqclip's default start), same prompts;
- the CLIP's similarity of each picture with its prompt: the render, the
  kept run's end and the found run's end. An end picture that is no longer
  the shape yet scores above the render means the CLIP prefers something
  that is not the shape (the loop is right to leave it); one that scores
  below it means the optimisation does not find the shape.

  diagnose_shapes.py --vqclip build/bin/vqclip [--models DIR] [--per-shape 4] [--steps 150] [--attack 0.5]
                     [--out DIR]"""
import argparse
import json
import os
import random
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_colours  # noqa: E402
import check_shape  # noqa: E402
import zero_shot_eval  # noqa: E402
from eval_generation import write_png  # noqa: E402
from shapes_captions import CANONICAL, SHAPES, caption  # noqa: E402
from shapes_world import random_scene, render, training_triples  # noqa: E402
from vqclip_models.bundle import read_manifest  # noqa: E402

DEFAULT_MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "tiny-shapes")


def vqgan_part(models: str, part: str):
    """The bundle's VQGAN "encoder" or "decoder" module, and the manifest's VQGAN entry."""
    vqgan = read_manifest(models)["vqgan"]
    return torch.jit.load(os.path.join(models, vqgan[part]), map_location="cpu").eval(), vqgan


def nearest_codes(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Latents [N, C, h, w] with every vector replaced by its nearest code."""
    flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
    nearest = codebook[torch.cdist(flat, codebook).argmin(1)]
    return nearest.view(z.shape[0], z.shape[2], z.shape[3], -1).permute(0, 3, 1, 2)


def to_pictures(decoded: torch.Tensor) -> np.ndarray:
    """Decoder output [N, 3, H, W] in about [-1, 1] -> uint8 [N, H, W, 3]."""
    return ((decoded.detach() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def round_trip(models: str, pictures: np.ndarray) -> np.ndarray:
    """uint8 [N, 64, 64, 3] through the bundle's VQGAN encoder, the nearest code and its decoder."""
    encoder, _ = vqgan_part(models, "encoder")
    decoder, _ = vqgan_part(models, "decoder")
    with torch.no_grad():
        z = encoder(torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 127.5 - 1)
        return to_pictures(decoder(nearest_codes(z, decoder.codebook)))


def reach(models: str, pictures: np.ndarray, steps: int, seed: int, lr: float = 0.1) -> np.ndarray:
    """uint8 [N, 64, 64, 3]: the drawer's optimisation from random codes with the
    mean squared error of the decoded picture (clamped to [-1, 1]) to `pictures`
    as its loss (the loop's straight-through quantiser and Adam; the latent kept
    in the codebook's range, as vqclip keeps it)."""
    decoder, vqgan = vqgan_part(models, "decoder")
    codebook = decoder.codebook.detach()
    low, high = codebook.min(0).values.view(1, -1, 1, 1), codebook.max(0).values.view(1, -1, 1, 1)
    target = torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 127.5 - 1
    factor = vqgan["downsample_factor"]
    grid = (target.shape[0], target.shape[2] // factor, target.shape[3] // factor)
    picks = torch.randint(0, len(codebook), grid, generator=torch.Generator().manual_seed(seed))
    z = codebook[picks].permute(0, 3, 1, 2).clone().requires_grad_(True)
    optimiser = torch.optim.Adam([z], lr=lr)
    for _ in range(steps):
        z_q = z + (nearest_codes(z, codebook) - z).detach()   # straight-through: the gradient skips the rounding
        loss = (decoder(z_q).clamp(-1, 1) - target).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            z.copy_(torch.max(torch.min(z, high), low))
    with torch.no_grad():
        return to_pictures(decoder(nearest_codes(z, codebook)))


def steadfast(models: str, pictures: np.ndarray, triples, eps: float, steps: int = 5) -> np.ndarray:
    """bool [N]: the CLIP picks the shape of triples[i] for pictures[i] (uint8
    [N, 64, 64, 3]) among the four shapes in its colours, after `steps` steps
    of projected gradient ascent on its cross-entropy, within an L2 ball of
    radius eps (pixels in [0, 1], at the CLIP's input size, kept in [0, 1])."""
    manifest, text_encoder, image_encoder = zero_shot_eval.load_clip(models)
    clip = manifest["clip"]
    mean, std = torch.tensor(clip["mean"]).view(1, 3, 1, 1), torch.tensor(clip["std"]).view(1, 3, 1, 1)
    texts = [caption((c, shape, b), CANONICAL) for c, _, b in triples for shape in SHAPES]
    with torch.no_grad():
        candidates = F.normalize(text_encoder(zero_shot_eval.tokenize(manifest, models, texts)), dim=-1)
    candidates = candidates.view(len(triples), len(SHAPES), -1)
    truth = torch.tensor([SHAPES.index(t[1]) for t in triples])
    clean = zero_shot_eval.resized(torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 255,
                                   clip["input_resolution"])

    def logits(x: torch.Tensor) -> torch.Tensor:
        image = F.normalize(image_encoder((x - mean) / std), dim=-1)
        return 100 * torch.einsum("nd,nkd->nk", image, candidates)

    delta = torch.zeros_like(clean)
    for _ in range(steps if eps > 0 else 0):
        delta.requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(logits(clean + delta), truth), delta)
        ascent = grad / grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
        delta = delta.detach() + 2.5 * eps / steps * ascent
        delta = delta * (eps / delta.flatten(1).norm(dim=1).clamp_min(1e-12)).clamp(max=1).view(-1, 1, 1, 1)
        delta = (clean + delta).clamp(0, 1) - clean
    with torch.no_grad():
        return (logits(clean + delta).argmax(1) == truth).numpy()


def run_batch(vqclip: str, models: str, lines, out_dir: str, steps: int, seed: int) -> list:
    """Renders prompt-file lines (text, per-line options) as one batch; the pictures' paths in order."""
    os.makedirs(out_dir, exist_ok=True)
    prompt_file = os.path.join(out_dir, "prompts.txt")
    with open(prompt_file, "w") as f:
        f.write("\n".join(text + (" -- " + " ".join(options) if options else "") for text, options in lines) + "\n")
    subprocess.run([vqclip, "--prompts-file", prompt_file, "--out-dir", out_dir, "--models", models, "--steps",
                    str(steps), "--seed", str(seed), "--overwrite", "-q"], check=True)
    return [os.path.join(out_dir, n) for n in sorted(os.listdir(out_dir)) if n.endswith(".png") and n[:4].isdigit()]


def similarities(vqclip: str, models: str, paths, texts) -> list:
    """The CLIP's cosine of paths[i] with texts[i]."""
    args = [vqclip, "score", *paths, "--json", "--models", models]
    for text in texts:
        args += ["-p", text]
    result = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return [result["cosine"][i][i] for i in range(len(paths))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqclip", default="build/bin/vqclip")
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--per-shape", type=int, default=4)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--attack", type=float, default=0.5, help="L2 size of the pixel attack for steadfast")
    parser.add_argument("--out", default="/tmp/vqclip-diagnose-shapes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    triples = [t for s in SHAPES for t in rng.sample([t for t in training_triples() if t[1] == s], args.per_shape)]
    renders = np.stack([render(random_scene(rng, t)) for t in triples])
    prompts = [caption(t, CANONICAL) for t in triples]
    os.makedirs(os.path.join(args.out, "renders"), exist_ok=True)
    render_paths = [os.path.join(args.out, "renders", f"{i:03d}.png") for i in range(len(triples))]
    for path, picture in zip(render_paths, renders):
        write_png(path, picture)
    recognised = zero_shot_eval.evaluate(args.models)["all"]["shape_by_shape"]
    trips = round_trip(args.models, renders)
    reached = reach(args.models, renders, args.steps, args.seed)
    kept = run_batch(args.vqclip, args.models, [(p, ["--init-image", r]) for p, r in zip(prompts, render_paths)],
                     os.path.join(args.out, "kept"), args.steps, args.seed)
    found = run_batch(args.vqclip, args.models, [(p, []) for p in prompts], os.path.join(args.out, "found"),
                      args.steps, args.seed)
    scores = {name: similarities(args.vqclip, args.models, paths, prompts)
              for name, paths in (("render", render_paths), ("kept", kept), ("found", found))}

    def shows(pictures) -> list:
        return [check_shape.shows(p, t[0], t[1])[0] for p, t in zip(pictures, triples)]

    verdicts = {"steadfast": steadfast(args.models, renders, triples, args.attack).tolist(),
                "representable": shows(trips), "reachable": shows(reached),
                "kept": shows([check_colours.read_png(p) for p in kept]),
                "found": shows([check_colours.read_png(p) for p in found])}
    table = {}
    for shape in SHAPES:
        rows = [i for i, t in enumerate(triples) if t[1] == shape]
        table[shape] = {"recognised": recognised[shape]}
        table[shape].update({k: sum(v[i] for i in rows) / len(rows) for k, v in verdicts.items()})
        table[shape].update({f"similarity_{k}": round(float(np.mean([v[i] for i in rows])), 4)
                             for k, v in scores.items()})
    with open(os.path.join(args.out, "diagnosis.json"), "w") as f:
        json.dump({"table": table, "prompts": prompts, "verdicts": verdicts, "similarities": scores}, f, indent=2)
    print(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
