"""Shared by the Python tests: the scripts/ import path, one thread, and small
models of each family (widths chosen so every test stays fast)."""
import os
import sys

import torch

SCRIPTS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
torch.set_num_threads(1)

from vqclip_models.clip_arch import CLIP  # noqa: E402
from vqclip_models.vqgan_arch import GumbelVQ, VQModel  # noqa: E402

TEXT = dict(embed_dim=24, context_length=12, vocab_size=100, transformer_width=128, transformer_heads=2,
            transformer_layers=2)
SMALL_VIT = dict(TEXT, image_resolution=32, vision_layers=2, vision_width=128, vision_patch_size=8)
SMALL_RN = dict(TEXT, image_resolution=64, vision_layers=(1, 2, 1, 2), vision_width=4, vision_patch_size=None)
# Two levels with a channel change (nin_shortcut) and attention at 8 x 8 (f = 2).
SMALL_DDCONFIG = dict(double_z=False, z_channels=32, resolution=16, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 2],
                      num_res_blocks=1, attn_resolutions=[8], dropout=0.0)
GUMBEL_DDCONFIG = dict(SMALL_DDCONFIG, ch_mult=[1, 1, 1], attn_resolutions=[])


def small_clip(family: str, seed: int = 0) -> CLIP:
    torch.manual_seed(seed)
    return CLIP(**(SMALL_VIT if family == "vit" else SMALL_RN)).eval()


def small_vqgan(seed: int = 0) -> VQModel:
    torch.manual_seed(seed)
    model = VQModel(SMALL_DDCONFIG, n_embed=32, embed_dim=8).eval()
    with torch.no_grad():
        model.codebook.normal_()
    return model


def small_gumbel(seed: int = 0) -> GumbelVQ:
    torch.manual_seed(seed)
    return GumbelVQ(GUMBEL_DDCONFIG, n_embed=32, embed_dim=32).eval()


def tokens(eos: int, lengths=(4, 1), context: int = 12) -> torch.Tensor:
    """bos (eos - 1), some ids, eos, zero padding; one row per length."""
    rows = torch.zeros(len(lengths), context, dtype=torch.long)
    for row, n in enumerate(lengths):
        rows[row, :n + 2] = torch.tensor([eos - 1] + [(7 * row + 3 * i) % (eos - 2) + 1 for i in range(n)] + [eos])
    return rows


def max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a - b).abs().max().item()
