#!/usr/bin/env python3
"""The peers' VQGAN+CLIP step in plain PyTorch, on a vqclip bundle, timed:
the yardstick vqclip's loop is measured against (README, "Speed and
defaults"). Written from the math of nerdyrodent's generate.py and Katherine
Crowson's notebook as those scripts do it, not from vqclip's code:

  z_q  = z + (nearest code of z - z).detach()             straight-through quantiser
  x    = clamp_with_grad((decoder(z_q) + 1) / 2, 0, 1)
  views: cutn random squares, one at a time, each adaptive-average-pooled to
         CLIP's resolution (MakeCutouts' loop; no augmentation), then concatenated
  loss = mean over views of 2 asin(|v/|v| - t/|t|| / 2)^2   (spherical distance)
  Adam(lr 0.1) step, then z clamped to the codebook's per-channel range

The bundle's TorchScript modules are the models (torch.jit.load), in fp32,
on --device. The target is the prompt's embedding when --vqclip is given (its
`tokenize` makes the token ids), otherwise a random unit vector: the step's
cost does not depend on which. Prints one JSON line: seconds per step (the
median of the timed steps after --warmup), peak memory (the GPU's allocator,
or this process's peak RSS on the CPU) and the settings.

  peer_loop.py --models /tmp/fullsize-bundle --size 256 256 --cutn 32 --steps 4 [--device cuda] [--threads 2]"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from vqclip_models.bundle import read_manifest  # scripts/ is this script's own directory


class ClampWithGrad(torch.autograd.Function):
    """Clamp whose gradient still flows where it points back into the range."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.low, ctx.high = low, high
        ctx.save_for_backward(x)
        return x.clamp(low, high)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (grad * (x - x.clamp(ctx.low, ctx.high)) >= 0), None, None


def quantise(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """[1, C, h, w] -> nearest codes, straight-through."""
    flat = z.movedim(1, 3)
    d = flat.pow(2).sum(-1, keepdim=True) + codebook.pow(2).sum(1) - 2 * flat @ codebook.T
    q = codebook[d.argmin(-1)]
    return (flat + (q - flat).detach()).movedim(3, 1)


def cutouts(x: torch.Tensor, cutn: int, size: int, cut_pow: float = 1.0) -> torch.Tensor:
    _, _, h, w = x.shape
    max_size, min_size = min(w, h), min(w, h, size)
    views = []
    for _ in range(cutn):
        side = int(torch.rand([]) ** cut_pow * (max_size - min_size) + min_size)
        ox = torch.randint(0, w - side + 1, ())
        oy = torch.randint(0, h - side + 1, ())
        views.append(F.adaptive_avg_pool2d(x[:, :, oy:oy + side, ox:ox + side], size))
    return torch.cat(views)


def spherical_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (F.normalize(a, dim=-1) - F.normalize(b, dim=-1)).norm(dim=-1).div(2).arcsin().pow(2).mul(2)


def prompt_target(args, manifest, text_encoder, device) -> torch.Tensor:
    if not args.vqclip:
        return F.normalize(torch.randn(manifest["clip"]["embed_dim"], generator=torch.Generator().manual_seed(1)),
                           dim=0).to(device)
    out = subprocess.run([args.vqclip, "tokenize", "--models", args.models, "--json", args.prompt], check=True,
                         capture_output=True, text=True).stdout
    tokens = json.loads(out.splitlines()[0])
    length = manifest["clip"]["context_length"]
    ids = torch.zeros(1, length, dtype=torch.long)
    ids[0, :len(tokens)] = torch.tensor(tokens[:length])
    with torch.no_grad():
        return text_encoder(ids.to(device)).float()[0]


def peak_memory_gib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", required=True)
    parser.add_argument("--size", type=int, nargs=2, metavar=("W", "H"))
    parser.add_argument("--cutn", type=int, default=32)
    parser.add_argument("--steps", type=int, default=4, help="timed steps")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (CPU)")
    parser.add_argument("--prompt", default="a red circle on a blue background")
    parser.add_argument("--vqclip", help="vqclip executable, to tokenize --prompt")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    manifest = read_manifest(args.models)
    load = lambda key, part: torch.jit.load(os.path.join(args.models, manifest[part][key]), map_location=device).eval()
    text_encoder, image_encoder = load("text_encoder", "clip"), load("image_encoder", "clip")
    decoder = load("decoder", "vqgan")
    for module in (text_encoder, image_encoder, decoder):
        for p in module.parameters():
            p.requires_grad_(False)
    codebook = decoder.codebook.float()
    width, height = args.size or manifest["default_size"]
    f = manifest["vqgan"]["downsample_factor"]
    resolution = manifest["clip"]["input_resolution"]
    mean = torch.tensor(manifest["clip"]["mean"], device=device).view(1, 3, 1, 1)
    std = torch.tensor(manifest["clip"]["std"], device=device).view(1, 3, 1, 1)
    target = prompt_target(args, manifest, text_encoder, device)

    z = codebook[torch.randint(codebook.shape[0], (height // f * (width // f),), device=device)]
    z = z.view(height // f, width // f, -1).movedim(2, 0).unsqueeze(0).contiguous().requires_grad_(True)
    z_min, z_max = codebook.min(0).values.view(1, -1, 1, 1), codebook.max(0).values.view(1, -1, 1, 1)
    optimiser = torch.optim.Adam([z], lr=0.1)

    def step() -> float:
        optimiser.zero_grad(set_to_none=True)
        x = ClampWithGrad.apply(decoder(quantise(z, codebook)).add(1).div(2), 0.0, 1.0)
        views = (cutouts(x, args.cutn, resolution) - mean) / std
        loss = spherical_distance(image_encoder(views).float(), target).mean()
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            z.copy_(z.maximum(z_min).minimum(z_max))
        return loss.item()  # also waits for the device

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"loop": "peers' math in PyTorch", "torch": torch.__version__, "device": str(device),
                      "threads": torch.get_num_threads(), "size": [width, height], "cutn": args.cutn,
                      "step_seconds": round(statistics.median(times), 4),
                      "steps_timed": args.steps, "peak_memory_gib": round(peak_memory_gib(device), 3),
                      "last_loss": round(loss, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
