#!/usr/bin/env python3
"""Trains the default bundle, models/tiny-shapes, on the shapes world: a
SentencePiece tokenizer (spm_train), a tiny VQGAN (f = 8) and a tiny CLIP, then
exports them through the same bundle writer as real checkpoints.

  /usr/bin/python3 scripts/train_tiny_bundle.py --out models/tiny-shapes

Seeded: rerunning with the same arguments and thread count reproduces it."""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shapes_world import (COLOURS, HELD_OUT, SHAPES, TEMPLATES, all_captions, all_triples, caption,  # noqa: E402
                          caption_attributes, random_scene, render, training_triples)
from vqclip_models.bundle import CLIP_MEAN, CLIP_STD, write_bundle  # noqa: E402
from vqclip_models.clip_arch import CLIP  # noqa: E402
from vqclip_models.vqgan_arch import VQModel  # noqa: E402
import zero_shot_eval  # noqa: E402

PAD, UNK, BOS, EOS = 0, 1, 2, 3
CONTEXT = 24
CLIP_RESOLUTION = 32
VQGAN_CONFIG = dict(double_z=False, z_channels=32, resolution=64, in_channels=3, out_ch=3, ch=32,
                    ch_mult=[1, 1, 2, 2], num_res_blocks=1, attn_resolutions=[], dropout=0.0)
N_EMBED, EMBED_DIM = 128, 32


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- tokenizer ---------------------------------------------------------------------------

def train_tokenizer(workdir: str) -> str:
    corpus = os.path.join(workdir, "captions.txt")
    with open(corpus, "w") as f:
        f.write("\n".join(all_captions()) + "\n")
    prefix = os.path.join(workdir, "tiny_shapes_spm")
    subprocess.run(["spm_train", f"--input={corpus}", f"--model_prefix={prefix}", "--vocab_size=64",
                    "--model_type=unigram", "--character_coverage=1.0", f"--pad_id={PAD}", f"--unk_id={UNK}",
                    f"--bos_id={BOS}", f"--eos_id={EOS}", "--hard_vocab_limit=false", "--num_threads=1"],
                   check=True, capture_output=True)
    return prefix + ".model"


def caption_tokens(model_file: str):
    """Every caption -> padded token row, encoded once with spm_encode."""
    captions = all_captions()
    ids = zero_shot_eval.spm_ids(model_file, captions)
    table = {}
    for text, row in zip(captions, ids):
        row = [BOS] + row[: CONTEXT - 2] + [EOS]
        table[text] = row + [PAD] * (CONTEXT - len(row))
    vocab_size = int(subprocess.run(["spm_export_vocab", f"--model={model_file}"], capture_output=True, text=True,
                                    check=True).stdout.count("\n"))
    return table, vocab_size


# ---- data --------------------------------------------------------------------------------

def render_batch(rng: random.Random, triples):
    scenes = [random_scene(rng, t) for t in triples]
    pictures = np.stack([render(s) for s in scenes])
    return torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 255.0


def random_geometry(n: int, gen: torch.Generator) -> torch.Tensor:
    """Affine maps like the loop's augmentations: rotate, shear, translate, zoom."""
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(15)
    shear = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(5)
    zoom = 0.8 + torch.rand(n, generator=gen) * 0.4
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * 0.2
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = angle.cos() * zoom
    theta[:, 0, 1] = (angle.cos() * shear.tan() - angle.sin()) * zoom
    theta[:, 1, 0] = angle.sin() * zoom
    theta[:, 1, 1] = (angle.sin() * shear.tan() + angle.cos()) * zoom
    theta[:, :, 2] = shift
    return theta


def clip_views(pictures: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Pictures [N,3,64,64] in [0,1] -> augmented CLIP inputs as the loop makes them."""
    n = pictures.shape[0]
    r = CLIP_RESOLUTION
    pooled = (F.adaptive_avg_pool2d(pictures, r) + F.adaptive_max_pool2d(pictures, r)) / 2
    resized = F.interpolate(pictures, size=(r, r), mode="bicubic", align_corners=False, antialias=True)
    use_pooled = (torch.rand(n, 1, 1, 1, generator=gen) < 0.5).float()
    x = pooled * use_pooled + resized.clamp(0, 1) * (1 - use_pooled)
    apply = (torch.rand(n, generator=gen) < 0.7).float().view(n, 1, 1)
    identity = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(n, 2, 3)
    theta = random_geometry(n, gen) * apply + identity * (1 - apply)
    x = F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), padding_mode="border",
                      align_corners=False)
    # colour jitter (brightness, contrast) and noise
    x = x * (1 + (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * 0.1)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (1 + (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * 0.1) + mean
    # random erasing of 10-40% of the area on 30% of the views
    erase = torch.rand(n, generator=gen) < 0.3
    for i in torch.nonzero(erase).flatten().tolist():
        area = (0.1 + 0.3 * torch.rand(1, generator=gen).item()) * r * r
        h = int(min(r, max(1, math.sqrt(area))))
        w = int(min(r, max(1, area / h)))
        top = int(torch.randint(0, r - h + 1, (1,), generator=gen))
        left = int(torch.randint(0, r - w + 1, (1,), generator=gen))
        x[i, :, top:top + h, left:left + w] = 0
    x = x.clamp(0, 1) + torch.rand(n, 1, 1, 1, generator=gen) * 0.1 * torch.randn(x.shape, generator=gen)
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


# ---- VQGAN ---------------------------------------------------------------------------------

def train_vqgan(steps: int, batch: int, seed: int) -> VQModel:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = VQModel(VQGAN_CONFIG, N_EMBED, EMBED_DIM)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    triples = training_triples()
    usage = torch.zeros(N_EMBED)
    start = time.time()
    for step in range(1, steps + 1):
        x = render_batch(rng, [rng.choice(triples) for _ in range(batch)]) * 2 - 1
        z = model.encode(x)
        z_q, vq_loss, indices = model.quantize(z)
        recon = model.decode(z_q)
        loss = F.l1_loss(recon, x) + F.mse_loss(recon, x) + vq_loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        usage += torch.bincount(indices.flatten(), minlength=N_EMBED).float()
        if step % 100 == 0:
            # Restart codes nobody used with latent vectors from this batch.
            dead = torch.nonzero(usage == 0).flatten()
            if len(dead) and step < steps * 0.8:
                flat = z.detach().permute(0, 2, 3, 1).reshape(-1, EMBED_DIM)
                pick = torch.randint(0, flat.shape[0], (len(dead),))
                model.quantize.embedding.weight.data[dead] = flat[pick]
            log(f"vqgan step {step}/{steps} loss {loss.item():.4f} codes used {int((usage > 0).sum())} "
                f"({time.time() - start:.0f} s)")
            usage.zero_()
    return model.eval()


def vqgan_psnr(model: VQModel, seed: int, count: int = 256) -> dict:
    rng = random.Random(seed)
    triples = all_triples()
    result = {}
    with torch.no_grad():
        for name, pool in (("all", triples), ("held_out", sorted(HELD_OUT))):
            x = render_batch(rng, [pool[i % len(pool)] for i in range(count)])
            recon = ((model(x * 2 - 1)[0] + 1) / 2).clamp(0, 1)
            mse = ((recon * 255).round() / 255 - x).pow(2).mean(dim=(1, 2, 3))
            result[name] = float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean())
    return result


# ---- CLIP ----------------------------------------------------------------------------------

COLOUR_INDEX = {c: i for i, c in enumerate(COLOURS)}
SHAPE_INDEX = {s: i for i, s in enumerate(SHAPES)}


def caption_truth(triples, templates) -> torch.Tensor:
    """[i, j] = 1 where caption j (triple j, template j) is true of picture i: a
    caption is a positive for every picture it describes (soft contrastive targets)."""
    attributes = torch.tensor([[COLOUR_INDEX[c], SHAPE_INDEX[s], COLOUR_INDEX[b]] for c, s, b in triples])
    mentions = torch.tensor([caption_attributes(t) for t in templates])              # [n, 3] bool
    same = attributes[:, None, :] == attributes[None, :, :]                          # [i, j, 3]
    return (same | ~mentions[None, :, :]).all(-1).float()


def train_clip(steps: int, batch: int, seed: int, tokens: dict, vocab_size: int, vqgan: VQModel) -> CLIP:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    model = CLIP(embed_dim=64, image_resolution=CLIP_RESOLUTION, vision_layers=4, vision_width=96,
                 vision_patch_size=4, context_length=CONTEXT, vocab_size=vocab_size, transformer_width=96,
                 transformer_heads=2, transformer_layers=3, eot_id=EOS)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=1e-3, total_steps=steps, pct_start=0.1)
    triples = training_triples()
    recon_pool_triples = [triples[i % len(triples)] for i in range(1024)]
    with torch.no_grad():
        recon_pool = torch.cat([((vqgan(render_batch(rng, recon_pool_triples[i:i + 64]) * 2 - 1)[0] + 1) / 2).clamp(0, 1)
                                for i in range(0, len(recon_pool_triples), 64)])
    start = time.time()
    for step in range(1, steps + 1):
        chosen = [rng.choice(triples) for _ in range(batch)]
        templates = [rng.choice(TEMPLATES) for _ in range(batch)]
        # A third of the pictures as the VQGAN renders them (the loop's look), from a pool made once.
        pooled = [rng.randrange(len(recon_pool_triples)) for _ in range(batch // 3)]
        chosen[: batch // 3] = [recon_pool_triples[i] for i in pooled]
        pictures = torch.cat([recon_pool[pooled], render_batch(rng, chosen[batch // 3:])])
        text = torch.tensor([tokens[caption(t, tpl)] for t, tpl in zip(chosen, templates)])
        image = F.normalize(model.encode_image(clip_views(pictures, gen)), dim=-1)
        words = F.normalize(model.encode_text(text), dim=-1)
        logits = model.logit_scale.exp().clamp(max=100) * image @ words.t()
        truth = caption_truth(chosen, templates)
        loss = (-(truth / truth.sum(1, keepdim=True)) * F.log_softmax(logits, 1)).sum(1).mean() / 2 + \
               (-(truth / truth.sum(0, keepdim=True)) * F.log_softmax(logits, 0)).sum(0).mean() / 2
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 100 == 0:
            log(f"clip step {step}/{steps} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f} "
                f"({time.time() - start:.0f} s)")
    return model.eval()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models", "tiny-shapes"))
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--vqgan-steps", type=int, default=800)
    parser.add_argument("--vqgan-batch", type=int, default=16)
    parser.add_argument("--clip-steps", type=int, default=1500)
    parser.add_argument("--clip-batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    began = time.time()
    with tempfile.TemporaryDirectory() as workdir:
        spm_model = train_tokenizer(workdir)
        tokens, vocab_size = caption_tokens(spm_model)
        log(f"tokenizer: {vocab_size} pieces")
        vqgan = train_vqgan(args.vqgan_steps, args.vqgan_batch, args.seed)
        psnr = vqgan_psnr(vqgan, args.seed + 1)
        log(f"vqgan PSNR {psnr}")
        clip = train_clip(args.clip_steps, args.clip_batch, args.seed + 2, tokens, vocab_size, vqgan)
        tokenizer = {"type": "sentencepiece", "bos_id": BOS, "eos_id": EOS, "pad_id": PAD, "lowercase": True}
        final_spm = os.path.join(workdir, "tokenizer.model")
        os.replace(spm_model, final_spm)
        write_bundle(args.out, name="tiny-shapes", clip_model=clip, vqgan_model=vqgan, tokenizer=tokenizer,
                     tokenizer_file=final_spm, default_size=(64, 64))
    accuracy = zero_shot_eval.evaluate(args.out, count=400, seed=args.seed + 3)
    report = {"seconds": round(time.time() - began), "vqgan_psnr_db": psnr, "zero_shot": accuracy,
              "args": vars(args)}
    with open(os.path.join(args.out, "training_report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    log(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
