"""Writes a vqclip model bundle (docs/architecture.md, "The bundle contract"):
scripted float32 modules, the tokenizer file, vqclip.json and the sha256 of every file."""
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
MANIFEST = "vqclip.json"


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_float32(model: torch.nn.Module, what: str) -> None:
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        if tensor.is_floating_point() and tensor.dtype != torch.float32:
            raise ValueError(f"{what}: {name} is {tensor.dtype}; bundles hold float32 weights")


def read_manifest(bundle_dir: str) -> dict:
    """The bundle's vqclip.json as written."""
    with open(os.path.join(bundle_dir, MANIFEST)) as f:
        return json.load(f)


def start_bundle(out_dir: str) -> None:
    """Makes out_dir ready for a bundle's files: a stale manifest must not vouch for the files being replaced."""
    os.makedirs(out_dir, exist_ok=True)
    if os.path.exists(os.path.join(out_dir, MANIFEST)):
        os.remove(os.path.join(out_dir, MANIFEST))


def finish_bundle(out_dir: str, manifest: dict, file_names: Sequence[str]) -> None:
    """Adds the files' sha256 to the manifest and writes it last, renamed into place: a bundle with a
    manifest is complete."""
    manifest["files"] = {n: sha256(os.path.join(out_dir, n)) for n in sorted(file_names)}
    partial = os.path.join(out_dir, MANIFEST + ".partial")
    with open(partial, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(partial, os.path.join(out_dir, MANIFEST))


def write_bundle(out_dir: str, *, name: str, clip_model: CLIP, vqgan_model: Optional[VQModel], tokenizer: dict,
                 tokenizer_file: str, default_size: Tuple[int, int] = (256, 256),
                 mean: Sequence[float] = CLIP_MEAN, std: Sequence[float] = CLIP_STD,
                 include_encoder: bool = True) -> dict:
    """Exports the models (put in eval mode) into out_dir and returns the
    manifest written. tokenizer: type, bos_id, eos_id, pad_id, lowercase.
    vqgan_model None: a CLIP-only bundle (contract version 2), for the drawers
    other than the VQGAN's; with a VQGAN the manifest stays version 1, which
    every vqclip reads."""
    _check_float32(clip_model, "CLIP")
    if vqgan_model is not None:
        _check_float32(vqgan_model, "VQGAN")
    start_bundle(out_dir)

    modules = {"clip_text.pt": ClipTextEncoder(clip_model), "clip_image.pt": ClipImageEncoder(clip_model)}
    if vqgan_model is not None:
        modules["vqgan_decoder.pt"] = VqganDecoder(vqgan_model)
        if include_encoder:
            modules["vqgan_encoder.pt"] = VqganEncoder(vqgan_model)
    for file_name, module in modules.items():
        torch.jit.script(module.eval()).save(os.path.join(out_dir, file_name))
    token_name = os.path.basename(tokenizer_file)
    token_copy = os.path.join(out_dir, token_name)
    if os.path.abspath(tokenizer_file) != os.path.abspath(token_copy):
        shutil.copyfile(tokenizer_file, token_copy)

    manifest = {
        "format": "vqclip-bundle",
        "version": 1 if vqgan_model is not None else 2,
        "name": name,
        "default_size": [int(v) for v in default_size],
        "clip": {
            "text_encoder": "clip_text.pt",
            "image_encoder": "clip_image.pt",
            "input_resolution": int(clip_model.visual.input_resolution),
            "context_length": int(clip_model.context_length),
            "embed_dim": int(clip_model.text_projection.shape[1]),
            "mean": [float(v) for v in mean],
            "std": [float(v) for v in std],
            "logit_scale": math.exp(float(clip_model.logit_scale)),
            "tokenizer": {"type": tokenizer["type"], "file": token_name, "bos_id": int(tokenizer["bos_id"]),
                          "eos_id": int(tokenizer["eos_id"]), "pad_id": int(tokenizer["pad_id"]),
                          "lowercase": bool(tokenizer["lowercase"])},
        },
    }
    if vqgan_model is not None:
        vqgan = {"decoder": "vqgan_decoder.pt"}
        if include_encoder:
            vqgan["encoder"] = "vqgan_encoder.pt"
        vqgan.update(downsample_factor=int(vqgan_model.downsample_factor), embed_dim=int(vqgan_model.embed_dim),
                     n_embed=int(vqgan_model.n_embed))
        manifest["vqgan"] = vqgan
    finish_bundle(out_dir, manifest, [*modules, token_name])
    return manifest
