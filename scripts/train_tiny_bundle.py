#!/usr/bin/env python3
"""Trains the default bundle, models/tiny-shapes, on the shapes world
(scripts/shapes_world.py; docs/architecture.md, "The shapes world"), then
exports it through the same bundle writer as real checkpoints:

  1. a SentencePiece tokenizer (spm_train, BPE) on training captions of the
     caption grammar (shapes_captions.py; held-out phrasings never written);
  2. a tiny VQGAN (taming VQModel, f = 8): a VQ autoencoder trained with the
     straight-through estimator, codebook + commitment losses and restarts of
     unused codes, on renders of the training triples;
  3. a tiny CLIP (ViT image tower, causal text transformer pooled at the
     end-of-text token, learned temperature), contrastive with soft targets
     (a caption is a positive for every picture it is true of; captions name
     any subset of the attributes, and each one naming a colour comes with
     its colours swapped as a hard negative for their roles), on views made
     the way the generation loop makes them (pooled/crop resizing, affine,
     perspective, colour jitter, erasing, blur, noise), partly from VQGAN
     reconstructions, with VQGAN-style patchwork collages as extra negatives
     and broken scenes of the batch's own triples (the loop's typical
     failures: scattered pieces, debris, bites, blobs) as hard ones, and
     scenes in off-palette colours as examples of the palette colours they
     clearly read as (what the colour checker calls them);
     from 30% of the steps on, pictures that the generation loop makes with
     the CLIP in training join each batch, labelled by what they really show
     (loop_pictures.py), so the loop's shortcuts become hard negatives; a
     third of them start from the encoded render of their caption, so what
     the loop drifts to from a true picture is a negative too.

  /usr/bin/python3 scripts/train_tiny_bundle.py --out models/tiny-shapes

Seeded: rerunning with the same arguments on the same machine (and thread
count) reproduces the bundle's weights bit for bit (the TorchScript files also
hold source text and paths, so their bytes can differ); another machine's
kernels give other weights. The held-out triples of shapes_world.HELD_OUT are
never drawn."""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_colours  # noqa: E402
from shapes_world import (COLOURS, HELD_OUT, SHAPES, TrainingSampler, broken_scene, collage,  # noqa: E402
                          random_scene, render_many, shape_mask, training_triples)
import shapes_captions  # noqa: E402
from shapes_captions import CaptionSampler, Mentions, Triple, caption, training_phrasings  # noqa: E402
from vqclip_models.bundle import CLIP_MEAN, CLIP_STD, write_bundle  # noqa: E402
from vqclip_models.clip_arch import CLIP  # noqa: E402
from vqclip_models.vqgan_arch import VQModel  # noqa: E402
import zero_shot_eval  # noqa: E402
from loop_pictures import LoopPictures, label, truth_rows  # noqa: E402

# ---- sizes -------------------------------------------------------------------------------------
PAD, UNK, BOS, EOS = 0, 1, 2, 3
VOCAB = 200
TOKENIZER_TYPE = "bpe"   # measured: a unigram model stopped at 147 pieces, splitting "of" and "in"
CONTEXT = 24   # the grammar's longest caption is 20 pieces (and bos, eos)
# Three 32-wide vision heads: measured (supervised shape probe, 500 steps), one
# 64-wide head learnt no shape at all (held-out accuracy below chance); 3 x 32
# reached 74% held-out, 2 x 32 at width 64 67%.
CLIP_CONFIG = dict(embed_dim=64, image_resolution=32, vision_layers=4, vision_width=96, vision_patch_size=4,
                   vision_heads=3, context_length=CONTEXT, transformer_width=64, transformer_heads=4,
                   transformer_layers=3)
VQGAN_CONFIG = dict(double_z=False, z_channels=32, resolution=64, in_channels=3, out_ch=3, ch=32,
                    ch_mult=[1, 1, 2, 2], num_res_blocks=1, attn_resolutions=[], dropout=0.0)
N_EMBED, EMBED_DIM = 256, 32

MEAN = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
STD = torch.tensor(CLIP_STD).view(1, 3, 1, 1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Clock:
    """Wall and CPU seconds of each stage (the machine may be shared: CPU
    seconds / threads is the better estimate of an idle machine's wall time)."""

    def __init__(self):
        self.stages: Dict[str, Dict[str, float]] = {}

    def run(self, stage: str, fn: Callable, *args, **kwargs):
        wall, cpu = time.time(), time.process_time()
        result = fn(*args, **kwargs)
        self.stages[stage] = {"wall_s": round(time.time() - wall, 1), "cpu_s": round(time.process_time() - cpu, 1)}
        log(f"{stage}: {self.stages[stage]}")
        return result


def cosine_lr(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


def set_lr(optimiser: torch.optim.Optimizer, lr: float) -> None:
    for group in optimiser.param_groups:
        group["lr"] = lr


# ---- tokenizer ---------------------------------------------------------------------------------

def tokenizer_corpus(seed: int, per_phrasing: int = 6) -> List[str]:
    """Captions of training triples in every training phrasing (held-out
    phrasings and triples are never written), each shape word as often."""
    rng = random.Random(seed)
    triples = training_triples()
    return [caption(rng.choice(triples), template, rng) for template in training_phrasings()
            for _ in range(per_phrasing)]


def train_tokenizer(workdir: str, seed: int) -> str:
    """spm_train on training captions. Run inside workdir with relative
    paths so the model file (which records its input) is the same every run."""
    with open(os.path.join(workdir, "captions.txt"), "w") as f:
        f.write("\n".join(tokenizer_corpus(seed)) + "\n")
    subprocess.run(["spm_train", "--input=captions.txt", "--model_prefix=tokenizer", f"--vocab_size={VOCAB}",
                    f"--model_type={TOKENIZER_TYPE}", "--character_coverage=1.0",
                    "--normalization_rule_name=nmt_nfkc_cf",
                    f"--pad_id={PAD}", f"--unk_id={UNK}", f"--bos_id={BOS}", f"--eos_id={EOS}",
                    "--hard_vocab_limit=false", "--num_threads=1", "--seed_sentencepiece_size=10000"],
                   cwd=workdir, check=True, capture_output=True)
    return os.path.join(workdir, "tokenizer.model")


def vocab_size(model_file: str) -> int:
    out = subprocess.run(["spm_export_vocab", f"--model={model_file}"], capture_output=True, text=True, check=True)
    return len(out.stdout.splitlines())


class CaptionTokens:
    """Caption text -> padded int64 row. The tokenizer splits at whitespace
    first (BPE never merges across a space), so a caption's ids are its
    words' ids in order: each word is encoded once (spm_encode, one run for
    all the new words of a call) and captions are assembled from them, with
    no process started per caption (test_shapes_world checks the equality
    on a sample of captions)."""

    def __init__(self, model_file: str):
        self.model_file = model_file
        self.words: Dict[str, List[int]] = {}

    def ids(self, texts: Sequence[str]) -> List[List[int]]:
        split = [t.lower().split() for t in texts]
        new = sorted({w for words in split for w in words if w not in self.words})
        if new:
            self.words.update(zip(new, zero_shot_eval.spm_ids(self.model_file, new)))
        return [[i for w in words for i in self.words[w]] for words in split]

    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        return zero_shot_eval.pack_rows(self.ids(texts), CONTEXT, BOS, EOS, PAD)


# ---- data --------------------------------------------------------------------------------------

def to_tensor(pictures: np.ndarray) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> float [N, 3, H, W] in [0, 1]."""
    return torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 255.0


def _affine(n: int, gen: torch.Generator) -> torch.Tensor:
    """[n, 3, 3] sampling maps: rotate +-15 deg, shear +-5 deg, translate +-0.1 side, zoom 0.9-1.1."""
    u = torch.rand(n, 5, generator=gen) * 2 - 1
    angle, shear = u[:, 0] * math.radians(15), u[:, 1] * math.radians(5)
    zoom = 1 + 0.1 * u[:, 2]
    c, s, k = angle.cos(), angle.sin(), shear.tan()
    m = torch.zeros(n, 3, 3)
    m[:, 0, 0], m[:, 0, 1] = (c + k * s) * zoom, (s - k * c) * zoom
    m[:, 1, 0], m[:, 1, 1] = -s * zoom, c * zoom
    m[:, 0, 2], m[:, 1, 2] = u[:, 3] * 0.2, u[:, 4] * 0.2
    m[:, 2, 2] = 1
    return m


def _perspective(n: int, gen: torch.Generator, distortion: float) -> torch.Tensor:
    """[n, 3, 3] homographies taking corners moved inwards by up to distortion/2 back to the corners."""
    corners = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    moved = corners * (1 - distortion * 0.5 * torch.rand(n, 4, 2, generator=gen))
    x, y = moved[..., 0], moved[..., 1]
    u, v = corners[:, 0].expand(n, 4), corners[:, 1].expand(n, 4)
    zero, one = torch.zeros_like(x), torch.ones_like(x)
    rows_u = torch.stack([x, y, one, zero, zero, zero, -x * u, -y * u], -1)
    rows_v = torch.stack([zero, zero, zero, x, y, one, -x * v, -y * v], -1)
    system = torch.stack([rows_u, rows_v], 2).view(n, 8, 8)
    h = torch.linalg.solve(system, torch.stack([u, v], 2).view(n, 8, 1)).view(n, 8)
    return torch.cat([h, torch.ones(n, 1)], 1).view(n, 3, 3)


def _warp(x: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    n, _, h, w = x.shape
    ys = (torch.arange(h) * 2 + 1) / h - 1
    xs = (torch.arange(w) * 2 + 1) / w - 1
    points = torch.stack([xs.view(1, -1).expand(h, w), ys.view(-1, 1).expand(h, w), torch.ones(h, w)], -1)
    mapped = points.view(-1, 3) @ maps.transpose(1, 2)
    grid = (mapped[..., :2] / mapped[..., 2:].clamp_min(1e-6)).view(n, h, w, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _colour_jitter(x: torch.Tensor, gen: torch.Generator, hue_turn: float) -> torch.Tensor:
    n = x.shape[0]
    u = torch.rand(n, 4, generator=gen) * 2 - 1
    x = x * (1 + 0.1 * u[:, 0]).view(n, 1, 1, 1)
    grey = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    x = (x - grey.mean((2, 3), keepdim=True)) * (1 + 0.1 * u[:, 1]).view(n, 1, 1, 1) + grey.mean((2, 3), keepdim=True)
    grey = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    x = grey + (x - grey) * (1 + 0.1 * u[:, 2]).view(n, 1, 1, 1)
    # Hue: rotation of the YIQ chroma plane (small: a large turn makes red orange).
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    angle = u[:, 3] * hue_turn * 2 * math.pi
    rot = torch.zeros(n, 3, 3)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = angle.cos(), -angle.sin(), angle.sin(), angle.cos()
    colour = torch.linalg.inv(to_yiq) @ rot @ to_yiq
    return torch.einsum("nij,njhw->nihw", colour, x).clamp(0, 1)


def _erase(x: torch.Tensor, gen: torch.Generator, chosen: torch.Tensor) -> torch.Tensor:
    n, _, h, w = x.shape
    u = torch.rand(n, 4, generator=gen)
    area = (0.1 + 0.3 * u[:, 0]) * h * w
    aspect = torch.exp(math.log(0.3) + (math.log(3.3) - math.log(0.3)) * u[:, 1])
    rh, rw = (area * aspect).sqrt().clamp(max=h), (area / aspect).sqrt().clamp(max=w)
    top, left = u[:, 2] * (h - rh), u[:, 3] * (w - rw)
    rows = (torch.arange(h) + 0.5).view(1, -1, 1)
    cols = (torch.arange(w) + 0.5).view(1, 1, -1)
    inside = (rows >= top.view(n, 1, 1)) & (rows < (top + rh).view(n, 1, 1)) & \
             (cols >= left.view(n, 1, 1)) & (cols < (left + rw).view(n, 1, 1)) & chosen.view(n, 1, 1)
    return x.masked_fill(inside.unsqueeze(1), 0)


def _blur(x: torch.Tensor, gen: torch.Generator, chosen: torch.Tensor) -> torch.Tensor:
    n = x.shape[0]
    sigma = (0.4 + 1.1 * torch.rand(n, generator=gen)).view(n, 1)
    taps = torch.arange(-3, 4).float().view(1, -1)
    kernel = torch.exp(-taps ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum(1, keepdim=True)                          # [n, 7]
    c = x.shape[1]
    y = x.reshape(1, n * c, *x.shape[2:])
    kx = kernel.repeat_interleave(c, 0).view(n * c, 1, 1, 7)
    y = F.conv2d(F.pad(y, (3, 3, 0, 0), mode="replicate"), kx, groups=n * c)
    y = F.conv2d(F.pad(y, (0, 0, 3, 3), mode="replicate"), kx.view(n * c, 1, 7, 1), groups=n * c)
    return torch.where(chosen.view(n, 1, 1, 1), y.view_as(x), x)


def loop_views(pictures: torch.Tensor, gen: torch.Generator, resolution: int, clean_fraction: float = 0.25,
               hue_turn: float = 0.03) -> torch.Tensor:
    """Pictures [N, 3, S, S] in [0, 1] -> normalised CLIP inputs [N, 3, R, R],
    made like the generation loop's cutouts: a quarter are only resized (as an
    image is for classification), the rest pooled or cropped and augmented."""
    n, _, s, _ = pictures.shape
    u = torch.rand(n, 9, generator=gen)
    # Resizing: pooled (avg + max) / 2, bicubic resize, or a random crop (side >= 3/4).
    pooled = (F.adaptive_avg_pool2d(pictures, resolution) + F.adaptive_max_pool2d(pictures, resolution)) / 2
    resized = F.interpolate(pictures, size=(resolution, resolution), mode="bicubic", align_corners=False,
                            antialias=True).clamp(0, 1)
    side = (0.75 + 0.25 * u[:, 1])
    offset = (1 - side).unsqueeze(1) * (torch.rand(n, 2, generator=gen) * 2 - 1)
    crop_maps = torch.zeros(n, 3, 3)
    crop_maps[:, 0, 0], crop_maps[:, 1, 1], crop_maps[:, 2, 2] = side, side, 1
    crop_maps[:, 0, 2], crop_maps[:, 1, 2] = offset[:, 0], offset[:, 1]
    cropped = _warp(F.interpolate(pictures, size=(2 * resolution, 2 * resolution), mode="bilinear",
                                  align_corners=False, antialias=True), crop_maps)
    cropped = F.avg_pool2d(cropped, 2)
    how = u[:, 0].view(n, 1, 1, 1)
    x = torch.where(how < 0.45, pooled, torch.where(how < 0.85, resized, cropped))
    clean = u[:, 2] < clean_fraction
    x = torch.where(clean.view(n, 1, 1, 1), resized, x)
    augment = ~clean
    # Geometry: affine (p 0.6), perspective (p 0.3), composed into one warp.
    maps = torch.eye(3).expand(n, 3, 3)
    maps = torch.where((augment & (u[:, 3] < 0.6)).view(n, 1, 1), _affine(n, gen), maps)
    maps = torch.where((augment & (u[:, 4] < 0.3)).view(n, 1, 1), maps @ _perspective(n, gen, 0.5), maps)
    x = _warp(x, maps)
    jittered = _colour_jitter(x, gen, hue_turn)
    x = torch.where((augment & (u[:, 5] < 0.7)).view(n, 1, 1, 1), jittered, x)
    x = _blur(x, gen, augment & (u[:, 6] < 0.3))
    x = _erase(x, gen, augment & (u[:, 7] < 0.35))
    noise = (augment & (u[:, 8] < 0.6)).float().view(n, 1, 1, 1) * torch.rand(n, 1, 1, 1, generator=gen) * 0.1
    x = x + noise * torch.randn(x.shape, generator=gen)
    return (x - MEAN) / STD


# ---- VQGAN -------------------------------------------------------------------------------------

def vqgan_batch(rng: random.Random, triples, batch: int, crop: int) -> torch.Tensor:
    """Renders in [-1, 1], or random crop x crop windows of them (offsets on
    the f = 8 grid, so crops see the latent grid as whole pictures do)."""
    x = to_tensor(render_many(rng, [rng.choice(triples) for _ in range(batch)])) * 2 - 1
    if crop >= x.shape[-1]:
        return x
    cells = (x.shape[-1] - crop) // 8 + 1
    windows = []
    for i in range(batch):
        top, left = 8 * rng.randrange(cells), 8 * rng.randrange(cells)
        windows.append(x[i, :, top:top + crop, left:left + crop])
    return torch.stack(windows)


def train_vqgan(steps: int, batch: int, seed: int, lr: float, crop: int, full_share: float) -> VQModel:
    """VQ autoencoder: L1 + L2 reconstruction, codebook + 0.25 commitment loss,
    straight-through gradients. Most steps see crop x crop windows (a quarter
    of the cost at 32 px); the last full_share of the steps whole 64 px
    renders, a quarter as many per batch."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = VQModel(VQGAN_CONFIG, N_EMBED, EMBED_DIM)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.9))
    triples = training_triples()
    usage = torch.zeros(N_EMBED)
    codebook = model.quantize.embedding.weight
    start = time.time()
    full_from = int(steps * (1 - full_share))
    for step in range(steps):
        set_lr(optimiser, cosine_lr(step, steps, lr, warmup=min(100, steps // 10 + 1)))
        if step < full_from:
            x = vqgan_batch(rng, triples, batch, crop)
        else:
            x = vqgan_batch(rng, triples, max(1, batch * crop * crop // 64 // 64), 64)
        z = model.encode(x)
        if step == 0:
            # Start the codebook on encoder outputs (latent vectors of the first batch).
            with torch.no_grad():
                flat = z.permute(0, 2, 3, 1).reshape(-1, EMBED_DIM)
                codebook.data.copy_(flat[torch.randint(0, flat.shape[0], (N_EMBED,))] +
                                    0.01 * torch.randn(N_EMBED, EMBED_DIM))
        z_q, vq_loss, indices = model.quantize(z)
        recon = model.decode(z_q)
        loss = F.l1_loss(recon, x) + F.mse_loss(recon, x) + vq_loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        usage += torch.bincount(indices.flatten(), minlength=N_EMBED).float()
        if (step + 1) % 50 == 0:
            dead = torch.nonzero(usage == 0).flatten()
            if len(dead) and step < steps * 0.7:
                # Restart unused codes on latent vectors of this batch.
                with torch.no_grad():
                    flat = z.detach().permute(0, 2, 3, 1).reshape(-1, EMBED_DIM)
                    codebook.data[dead] = flat[torch.randint(0, flat.shape[0], (len(dead),))] + \
                        0.01 * torch.randn(len(dead), EMBED_DIM)
            if (step + 1) % 100 == 0 or step + 1 == steps:
                with torch.no_grad():
                    psnr = float(-10 * torch.log10(F.mse_loss((recon + 1) / 2, (x + 1) / 2)))
                log(f"vqgan {step + 1}/{steps} loss {loss.item():.4f} batch PSNR {psnr:.1f} dB, codes used "
                    f"{int((usage > 0).sum())}/{N_EMBED}, restarted {len(dead)} ({time.time() - start:.0f} s)")
            usage.zero_()
    return model.eval()


def reconstruct(model: VQModel, pictures: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """[N, 3, 64, 64] in [0, 1] -> VQGAN reconstructions in [0, 1]."""
    with torch.no_grad():
        return torch.cat([((model(pictures[i:i + chunk] * 2 - 1)[0] + 1) / 2).clamp(0, 1)
                          for i in range(0, len(pictures), chunk)])


def vqgan_psnr(model: VQModel, seed: int, per_triple: int = 2, held_out_per_triple: int = 8) -> Dict[str, float]:
    """Mean PSNR (dB, after 8-bit rounding) on fresh renders: of the held-out
    triples, and of all triples."""
    rng = random.Random(seed)
    from shapes_world import all_triples
    result = {}
    for name, pool, repeat in (("held_out_triples", sorted(HELD_OUT), held_out_per_triple),
                               ("all_triples", all_triples(), per_triple)):
        x = to_tensor(render_many(rng, [t for t in pool for _ in range(repeat)]))
        recon = (reconstruct(model, x) * 255).round() / 255
        mse = (recon - x).pow(2).mean(dim=(1, 2, 3))
        result[name] = round(float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean()), 2)
    return result


def random_code_pictures(model: VQModel, count: int, gen: torch.Generator) -> torch.Tensor:
    """Decodes of random code grids [count, 3, 64, 64] in [0, 1]: what the loop starts from."""
    with torch.no_grad():
        codes = model.quantize.embedding.weight
        idx = torch.randint(0, codes.shape[0], (count, 8, 8), generator=gen)
        return ((model.decode(codes[idx].permute(0, 3, 1, 2)) + 1) / 2).clamp(0, 1)


# ---- CLIP --------------------------------------------------------------------------------------

def read_as(rgb: np.ndarray, margin: float) -> Optional[str]:
    """The palette colour an RGB colour clearly reads as (check_colours'
    nearest colour, at most `margin` times the second nearest's squared
    distance), or None."""
    distance = check_colours.palette_distances(rgb)
    nearest, second = np.argsort(distance, kind="stable")[:2]
    return COLOURS[nearest] if distance[nearest] <= margin * distance[second] else None


def off_palette_renders(rng: random.Random, sampler: TrainingSampler, count: int, margin: float
                        ) -> Tuple[torch.Tensor, torch.Tensor, List[Optional[Triple]]]:
    """Training scenes painted in random RGB colours (any two that differ
    clearly), [count, 3, 64, 64] in [0, 1], their shape indices, and the
    training triple each reads as (read_as, both colours; None when a colour
    is not clear, both read as one, or the triple is held out). The shape
    indices feed the auxiliary shape loss: it teaches the tower shapes apart
    from colours, so a colour pair the training never showed with a shape (a
    held-out triple) does not bias which shape it sees. The triples make the
    clear ones contrastive examples too: a colour word means what the colour
    checker will call the colour (a whitish green is green to the CLIP)."""
    triples = [sampler.triple() for _ in range(count)]
    pictures = np.empty((count, 64, 64, 3), np.uint8)
    reads: List[Optional[Triple]] = []
    for i, triple in enumerate(triples):
        while True:
            shape_rgb = np.array([rng.randrange(256) for _ in range(3)])
            background_rgb = np.array([rng.randrange(256) for _ in range(3)])
            if np.abs(shape_rgb - background_rgb).sum() > 120:
                break
        pictures[i] = background_rgb
        pictures[i][shape_mask(random_scene(rng, triple))] = shape_rgb
        colour, background = read_as(shape_rgb, margin), read_as(background_rgb, margin)
        read = (colour, triple[1], background)
        clear = colour is not None and background is not None and colour != background and read not in HELD_OUT
        reads.append(read if clear else None)
    return to_tensor(pictures), torch.tensor([SHAPE_INDEX[s] for _, s, _ in triples]), reads


BROKEN_PER_TRIPLE = 12
COLOUR_INDEX = {c: i for i, c in enumerate(COLOURS)}
SHAPE_INDEX = {s: i for i, s in enumerate(SHAPES)}


def caption_truth(pictures: Sequence[Triple], described: Sequence[Triple], named: Sequence[Mentions]) -> torch.Tensor:
    """[i, j] = 1 where caption j, of described[j] naming the attributes
    named[j], is true of a picture of pictures[i] (shapes_captions.consistent)."""
    def attributes(triples):
        return torch.tensor([[COLOUR_INDEX[c], SHAPE_INDEX[s], COLOUR_INDEX[b]] for c, s, b in triples]).view(-1, 3)
    same = attributes(pictures)[:, None, :] == attributes(described)[None, :, :]
    return (same | ~torch.tensor(named, dtype=torch.bool).view(1, -1, 3)).all(-1).float()


def describe(captions: CaptionSampler, chosen: Sequence[Triple]) -> Tuple[List[str], List[Triple], List[Mentions]]:
    """A training caption for each picture, then, as hard negatives for the
    colours' roles, each caption that names a colour again with the picture's
    two colours swapped ("a blue circle on a red background" next to "a red
    circle on a blue background", "something blue" next to "something red").
    Returns the texts, the triples they describe and what each names."""
    texts, described, named = [], [], []
    swapped = []
    for c, s, b in chosen:
        template = captions.phrasing()
        mentioned = shapes_captions.mentions(template)
        texts.append(caption((c, s, b), template, captions.rng))
        described.append((c, s, b))
        named.append(mentioned)
        if mentioned[0] or mentioned[2]:
            swapped.append(((b, s, c), template, mentioned))
    for triple, template, mentioned in swapped:
        texts.append(caption(triple, template, captions.rng))
        described.append(triple)
        named.append(mentioned)
    return texts, described, named


def soft_cross_entropy(logits: torch.Tensor, truth: torch.Tensor, dim: int) -> torch.Tensor:
    """Cross-entropy along `dim` against truth normalised along `dim`, averaged
    over the slices that have a positive."""
    mass = truth.sum(dim, keepdim=True)
    has = (mass > 0).squeeze(dim)
    per = -(truth / mass.clamp_min(1) * F.log_softmax(logits, dim)).sum(dim)
    return per[has].mean()


def contrastive_loss(logits: torch.Tensor, truth: torch.Tensor, batch: int) -> torch.Tensor:
    """Images to texts over the batch's scenes, texts to images over every
    scored picture (the negatives compete for each caption there)."""
    return (soft_cross_entropy(logits[:batch], truth[:batch], 1) + soft_cross_entropy(logits, truth, 0)) / 2


def adversarial_views(model: CLIP, views: torch.Tensor, text: torch.Tensor, objective: Callable, eps: float,
                      norm: str, gen: torch.Generator) -> torch.Tensor:
    """Each view moved along the gradient that raises objective(logits) (the
    contrastive loss, or a negative's best caption score), the texts held
    fixed: one step of a fast gradient attack, of L2 size eps, or
    (norm "linf") at most eps a pixel from a random start inside the box, a
    step of 1.25 eps (Wong et al. 2020), in [0, 1] pixel units at the CLIP's
    input size. The shipped tower turns most shape decisions at an L2 of 0.5
    (diagnose_shapes.steadfast); a tower robust to that might have gradients
    that look like shapes, which the generation loop follows. Tried, and not
    in the recipe: models/tiny-shapes/README.md has the runs."""
    start = torch.zeros_like(views)
    if norm == "linf":
        start = (torch.rand(views.shape, generator=gen) * 2 - 1) * eps
    attacked = (views.detach() + start / STD).requires_grad_(True)   # views are (pixels - MEAN) / STD
    image = F.normalize(model.encode_image(attacked), dim=-1)
    logits = model.logit_scale.exp().clamp(max=100).detach() * image @ text.detach().t()
    grad, = torch.autograd.grad(objective(logits), attacked)
    if norm == "linf":
        moved = (start + 1.25 * eps * grad.sign()).clamp(-eps, eps)
    else:
        in_pixels = grad / STD
        moved = eps * in_pixels / in_pixels.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
    return views.detach() + moved / STD


def make_clip(vocab: int) -> CLIP:
    return CLIP(vocab_size=vocab, eot_id=EOS, **CLIP_CONFIG)


def train_clip(steps: int, batch: int, seed: int, lr: float, tokens: CaptionTokens, vocab: int, vqgan: VQModel,
               recon_share: float, collages: int, broken: int, shape_aux: int, off_palette_margin: float,
               loop: Dict[str, float], adversarial: Dict[str, float], eval_every: int) -> CLIP:
    """Contrastive training, plus an auxiliary shape classifier on the image
    embeddings (of the batch and of shape_aux off-palette renders, whose
    clearly coloured ones are contrastive examples too); the classifier is
    dropped after training, the bundle is a plain CLIP. From
    loop["start"] x steps on, loop["size"] pictures of the generation loop run
    against the CLIP in training join each batch (loop_pictures.py). With
    adversarial["eps"] > 0, adversarial["share"] of the scored views (of the
    negatives only, with adversarial["negatives_only"]) are replaced by
    adversarial_views of themselves."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    model = make_clip(vocab)
    shape_head = torch.nn.Linear(CLIP_CONFIG["embed_dim"], len(SHAPES))
    named = list(model.named_parameters()) + [("shape_head." + n, p) for n, p in shape_head.named_parameters()]
    decay = [p for n, p in named if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in named if not (p.ndim >= 2 and "embedding" not in n)]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0}],
                                  lr=lr, betas=(0.9, 0.98), eps=1e-6)
    sampler = TrainingSampler(rng)
    captions = CaptionSampler(rng)
    resolution = CLIP_CONFIG["image_resolution"]
    # VQGAN reconstructions of training renders (the look of decoded pictures), made once.
    pool_triples = [sampler.triple() for _ in range(512)] if recon_share > 0 else []
    recon_pool = reconstruct(vqgan, to_tensor(render_many(rng, pool_triples))) if pool_triples else None
    noise_pool = random_code_pictures(vqgan, 256, gen) if collages else None
    # The loop's typical failures drawn directly (scattered pieces, debris, bites,
    # blobs), BROKEN_PER_TRIPLE of every training triple, labelled by what they
    # show (mostly nothing: negatives) once, in one go: labelling costs about
    # 3 ms a picture, 0.1 s a step for 32 of them.
    broken_pool, broken_shown, broken_of = None, [], {}
    if broken:
        triples = [t for t in training_triples() for _ in range(BROKEN_PER_TRIPLE)]
        drawn = to_tensor(np.stack([broken_scene(rng, t) for t in triples]))
        keep, broken_shown = label(drawn)   # (one that shows a held-out triple is left out)
        broken_pool = drawn[keep]
        for i, k in enumerate(keep):
            broken_of.setdefault(triples[k], []).append(i)
        log(f"broken scenes: {len(keep)} of {len(triples)} kept, {sum(t is not None for t in broken_shown)} "
            f"show a scene")
    pool = LoopPictures(vqgan, sampler, rng, gen, size=int(loop["size"]), lifetime=int(loop["lifetime"]),
                        lr=loop["lr"], views=int(loop["views"]), resolution=resolution,
                        make_views=loop_views, from_render=loop["from_render"]) if loop["size"] else None
    loop_from = int(loop["start"] * steps)
    loop_stats = [0, 0, 0]   # pictures made, showing a scene, showing the scene they were pulled towards
    start = time.time()
    n_recon = int(round(batch * recon_share))
    for step in range(steps):
        set_lr(optimiser, cosine_lr(step, steps, lr, warmup=max(1, steps // 20)))
        chosen = sampler.batch(batch)
        # Some pictures as the VQGAN reconstructs them: swap in pool entries.
        pictures = to_tensor(render_many(rng, chosen))
        if n_recon:
            picks = [rng.randrange(len(pool_triples)) for _ in range(n_recon)]
            slots = rng.sample(range(batch), n_recon)
            for slot, pick in zip(slots, picks):
                chosen[slot] = pool_triples[pick]
                pictures[slot] = recon_pool[pick]
        texts, described, named = describe(captions, chosen)
        images = pictures
        if collages:
            # Negatives only: patchworks of a training pair's colours, and decodes of random codes.
            pairs = [sampler.triple() for _ in range(collages // 2)]
            patch = to_tensor(np.stack([collage(rng, [c, b]) for c, _, b in pairs]))
            noise = noise_pool[torch.randint(0, len(noise_pool), (collages - collages // 2,), generator=gen)]
            images = torch.cat([pictures, patch, noise])
        truth = torch.cat([caption_truth(chosen, described, named), torch.zeros(len(images) - batch, len(texts))])
        if broken:
            # Of the batch's own triples, so each is a hard negative for the
            # captions beside it (same colours, the shape missed).
            slots = torch.randint(0, batch, (broken,), generator=gen).tolist()
            picks = [rng.choice(broken_of[chosen[slot]]) for slot in slots if chosen[slot] in broken_of]
            images = torch.cat([images, broken_pool[picks]])
            truth = torch.cat([truth, truth_rows([broken_shown[i] for i in picks], described, named, caption_truth)])
        if pool and step >= loop_from:
            made, pulled_towards = pool.step(model, tokens)
            keep, shown = label(made)
            images = torch.cat([images, made[keep]])
            truth = torch.cat([truth, truth_rows(shown, described, named, caption_truth)])
            loop_stats[0] += len(made)
            loop_stats[1] += sum(t is not None for t in shown)
            loop_stats[2] += sum(t == pulled_towards[i] for i, t in zip(keep, shown))
        shapes = torch.tensor([SHAPE_INDEX[s] for _, s, _ in chosen])
        n_scored = len(images)                                              # scenes and negatives
        scored = torch.arange(n_scored)
        if shape_aux:
            off_palette, off_shapes, reads = off_palette_renders(rng, sampler, shape_aux, off_palette_margin)
            images = torch.cat([images, off_palette])
            shapes = torch.cat([shapes, off_shapes])
            if off_palette_margin > 0:
                clear = [i for i, read in enumerate(reads) if read is not None]
                scored = torch.cat([scored, n_scored + torch.tensor(clear, dtype=torch.long)])
                truth = torch.cat([truth, truth_rows([reads[i] for i in clear], described, named, caption_truth)])
        views = loop_views(images, gen, resolution)
        text = F.normalize(model.encode_text(tokens(texts)), dim=-1)
        if adversarial["eps"] > 0:
            pick = torch.rand(len(scored), generator=gen) < adversarial["share"]
            if adversarial["negatives_only"]:
                pick &= truth.sum(1) == 0
                objective = lambda logits: torch.logsumexp(logits, 1).sum()   # noqa: E731 (as the loop climbs)
            else:
                objective = partial(contrastive_loss, truth=truth[pick], batch=int(pick[:batch].sum()))
            if pick.any():
                moved = adversarial_views(model, views[scored[pick]], text, objective, adversarial["eps"],
                                          adversarial["norm"], gen)
                views = views.index_copy(0, scored[pick], moved)
        embedded = model.encode_image(views)
        image = F.normalize(embedded[scored], dim=-1)
        logits = model.logit_scale.exp().clamp(max=100) * image @ text.t()     # [images (+ negatives), texts]
        loss = contrastive_loss(logits, truth, batch)
        labelled = torch.cat([embedded[:batch], embedded[n_scored:]])
        loss = loss + F.cross_entropy(shape_head(labelled), shapes)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if (step + 1) % 50 == 0 or step + 1 == steps:
            made, scenes, faithful = loop_stats
            loop_note = f", loop pictures {scenes}/{made} scenes, {faithful} of their prompt" if made else ""
            log(f"clip {step + 1}/{steps} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f}"
                f"{loop_note} ({time.time() - start:.0f} s)")
            loop_stats = [0, 0, 0]
        if eval_every and ((step + 1) % eval_every == 0 or step + 1 == steps):
            model.eval()
            log(f"  zero-shot {json.dumps(quick_eval(model, tokens))}")
            model.train()
    return model.eval()


def quick_eval(model: CLIP, tokens: CaptionTokens, seed: int = 99) -> dict:
    """Zero-shot on fresh renders with the in-memory model (progress only)."""
    def text_encoder(rows):
        return model.encode_text(rows)
    with torch.no_grad():
        result = zero_shot_eval.zero_shot(text_encoder, model.encode_image, lambda texts: tokens(texts),
                                          CLIP_CONFIG["image_resolution"], CLIP_MEAN, CLIP_STD, per_triple=1,
                                          held_out_per_triple=12, seed=seed)
    return rounded(result)


def rounded(figures):
    """Nested accuracy figures to 3 decimals, counts left out (progress lines)."""
    if isinstance(figures, dict):
        return {k: rounded(v) for k, v in figures.items() if k != "count"}
    return round(figures, 3) if isinstance(figures, float) else figures


# ---- main --------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                      "tiny-shapes"))
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--vqgan-steps", type=int, default=1200)
    parser.add_argument("--vqgan-batch", type=int, default=16, help="crops per VQGAN batch")
    parser.add_argument("--vqgan-crop", type=int, default=32)
    parser.add_argument("--vqgan-full-share", type=float, default=0.15, help="share of VQGAN steps on whole renders")
    parser.add_argument("--vqgan-lr", type=float, default=2e-3)
    parser.add_argument("--clip-steps", type=int, default=1300)
    parser.add_argument("--clip-batch", type=int, default=96)
    parser.add_argument("--clip-lr", type=float, default=2e-3)
    parser.add_argument("--clip-seed", type=int, help="seed of the CLIP's training alone (default: --seed + 2), "
                        "for a second CLIP of the same tokenizer (and VQGAN, on the same machine or with "
                        "--load-vqgan), e.g. an ensemble's member (pair_clips.py)")
    parser.add_argument("--recon-share", type=float, default=0.25, help="share of CLIP pictures that are VQGAN "
                        "reconstructions")
    parser.add_argument("--collages", type=int, default=16, help="negative-only collage pictures per CLIP batch")
    parser.add_argument("--broken", type=int, default=32, help="broken scenes per CLIP batch (shapes_world."
                        "broken_scene), labelled by what they show")
    parser.add_argument("--shape-aux", type=int, default=32, help="off-palette renders per CLIP batch for the "
                        "auxiliary shape loss")
    parser.add_argument("--off-palette-margin", type=float, default=0.5, help="an off-palette render whose colours "
                        "each clearly read as a palette colour (squared distance at most this share of the second "
                        "nearest's) is also a contrastive example of that triple (0: shape loss only)")
    parser.add_argument("--loop-pictures", type=int, default=24, help="generation-loop pictures per CLIP batch "
                        "(0: none)")
    parser.add_argument("--loop-lifetime", type=int, default=150, help="loop steps before a latent restarts")
    parser.add_argument("--loop-lr", type=float, default=0.1)
    parser.add_argument("--loop-views", type=int, default=3, help="views per latent in a loop step")
    parser.add_argument("--loop-start", type=float, default=0.3, help="share of CLIP steps before the loop joins")
    parser.add_argument("--loop-from-render", type=float, default=0.33, help="share of loop latents that start from "
                        "their caption's render (encoded) instead of random codes")
    parser.add_argument("--adversarial-eps", type=float, default=0.0, help="(development) size of a one-step "
                        "gradient attack on the scored views, pixels in [0, 1] at the CLIP's input size: an L2 norm, "
                        "or the bound on each value with --adversarial-norm linf (0: none)")
    parser.add_argument("--adversarial-norm", choices=("l2", "linf"), default="l2", help="(development) l2: one "
                        "step of size eps along the gradient; linf: from a random start in the box, one signed step "
                        "of 1.25 eps")
    parser.add_argument("--adversarial-negatives-only", action="store_true", help="(development) attack only the "
                        "pictures that are negatives for every caption (collages, broken scenes and loop pictures "
                        "showing no scene)")
    parser.add_argument("--adversarial-share", type=float, default=0.5, help="(development) share of the scored "
                        "views trained on in their attacked form")
    parser.add_argument("--eval-every", type=int, default=0, help="print zero-shot accuracy every N CLIP steps")
    parser.add_argument("--save-vqgan", help="(development) also save the VQGAN state dict here")
    parser.add_argument("--load-vqgan", help="(development) skip VQGAN training: load this state dict")
    parser.add_argument("--only-vqgan", action="store_true", help="(development) stop after the VQGAN")
    parser.add_argument("--clip-arch", default="", help="(development) overrides of CLIP_CONFIG, e.g. "
                        "vision_width=96,vision_layers=3")
    args = parser.parse_args()
    for item in filter(None, args.clip_arch.split(",")):
        key, value = item.split("=")
        if key not in CLIP_CONFIG:
            parser.error(f"--clip-arch: unknown key {key}")
        CLIP_CONFIG[key] = int(value)
    torch.set_num_threads(args.threads)
    clock = Clock()
    began_wall, began_cpu = time.time(), time.process_time()
    with tempfile.TemporaryDirectory() as workdir:
        spm_model = clock.run("tokenizer", train_tokenizer, workdir, args.seed)
        vocab = vocab_size(spm_model)
        tokens = CaptionTokens(spm_model)
        log(f"tokenizer: {vocab} pieces")
        if args.load_vqgan:
            vqgan = VQModel(VQGAN_CONFIG, N_EMBED, EMBED_DIM)
            vqgan.load_state_dict(torch.load(args.load_vqgan))
            vqgan.eval()
        else:
            vqgan = clock.run("vqgan", train_vqgan, args.vqgan_steps, args.vqgan_batch, args.seed, args.vqgan_lr,
                              args.vqgan_crop, args.vqgan_full_share)
        if args.save_vqgan:
            torch.save(vqgan.state_dict(), args.save_vqgan)
        psnr = clock.run("vqgan_psnr", vqgan_psnr, vqgan, args.seed + 1)
        log(f"vqgan PSNR {psnr}")
        if args.only_vqgan:
            return 0
        clip_seed = args.seed + 2 if args.clip_seed is None else args.clip_seed
        clip = clock.run("clip", train_clip, args.clip_steps, args.clip_batch, clip_seed, args.clip_lr, tokens,
                         vocab, vqgan, args.recon_share, args.collages, args.broken, args.shape_aux,
                         args.off_palette_margin,
                         dict(size=args.loop_pictures, lifetime=args.loop_lifetime, lr=args.loop_lr,
                              views=args.loop_views, start=args.loop_start, from_render=args.loop_from_render),
                         dict(eps=args.adversarial_eps, share=args.adversarial_share,
                              norm=args.adversarial_norm, negatives_only=args.adversarial_negatives_only),
                         args.eval_every)
        tokenizer = {"type": "sentencepiece", "bos_id": BOS, "eos_id": EOS, "pad_id": PAD, "lowercase": True}
        clock.run("export", write_bundle, args.out, name="tiny-shapes", clip_model=clip, vqgan_model=vqgan,
                  tokenizer=tokenizer, tokenizer_file=spm_model, default_size=(64, 64))
    accuracy = clock.run("zero_shot_eval", zero_shot_eval.evaluate, args.out)
    report = {
        "command": "/usr/bin/python3 scripts/train_tiny_bundle.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
            if v is not None and k not in ("out",) and v != parser.get_default(k)),
        "wall_seconds": round(time.time() - began_wall), "cpu_seconds": round(time.process_time() - began_cpu),
        "stages": clock.stages, "threads": args.threads, "torch": torch.__version__,
        "vqgan_psnr_db": psnr, "zero_shot": accuracy,
        "args": {k: v for k, v in vars(args).items() if k != "out"},
    }
    with open(os.path.join(args.out, "training_report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    log(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
