"""Writes a vqclip model bundle (DESIGN section 3): scripted float32 modules,
the tokenizer file, vqclip.json and the sha256 of every file."""
import hashlib
import json
import math
import os
import shutil
from typing import Optional, Sequence, Tuple

import torch

from .clip_arch import CLIP, ClipImageEncoder, ClipTextEncoder
from .vqgan_arch import VQModel, VqganDecoder, VqganEncoder

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _save_scripted(module: torch.nn.Module, path: str) -> None:
    module = module.float().eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    torch.jit.script(module).save(path)


def write_bundle(out_dir: str, *, name: str, clip_model: CLIP, vqgan_model: VQModel, tokenizer: dict,
                 tokenizer_file: str, default_size: Tuple[int, int] = (256, 256),
                 mean: Sequence[float] = CLIP_MEAN, std: Sequence[float] = CLIP_STD,
                 include_encoder: bool = True, image_resolution: Optional[int] = None) -> dict:
    """Exports both models into out_dir and returns the manifest written."""
    os.makedirs(out_dir, exist_ok=True)
    files = {"clip_text.pt": ClipTextEncoder(clip_model), "clip_image.pt": ClipImageEncoder(clip_model),
             "vqgan_decoder.pt": VqganDecoder(vqgan_model)}
    if include_encoder:
        files["vqgan_encoder.pt"] = VqganEncoder(vqgan_model)
    for file_name, module in files.items():
        _save_scripted(module, os.path.join(out_dir, file_name))
    token_name = os.path.basename(tokenizer_file)
    if os.path.abspath(tokenizer_file) != os.path.abspath(os.path.join(out_dir, token_name)):
        shutil.copyfile(tokenizer_file, os.path.join(out_dir, token_name))

    resolution = image_resolution or clip_model.visual.input_resolution
    manifest = {
        "format": "vqclip-bundle",
        "version": 1,
        "name": name,
        "default_size": list(default_size),
        "clip": {
            "text_encoder": "clip_text.pt",
            "image_encoder": "clip_image.pt",
            "input_resolution": int(resolution),
            "context_length": int(clip_model.context_length),
            "embed_dim": int(clip_model.text_projection.shape[1]),
            "mean": [float(v) for v in mean],
            "std": [float(v) for v in std],
            "logit_scale": float(math.exp(float(clip_model.logit_scale))),
            "tokenizer": dict(tokenizer, file=token_name),
        },
        "vqgan": {
            "decoder": "vqgan_decoder.pt",
            "downsample_factor": int(vqgan_model.downsample_factor),
            "embed_dim": int(vqgan_model.embed_dim),
            "n_embed": int(vqgan_model.n_embed),
        },
    }
    if include_encoder:
        manifest["vqgan"]["encoder"] = "vqgan_encoder.pt"
    names = list(files) + [token_name]
    manifest["files"] = {n: sha256(os.path.join(out_dir, n)) for n in sorted(names)}
    with open(os.path.join(out_dir, "vqclip.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest
