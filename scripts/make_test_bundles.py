#!/usr/bin/env python3
"""Small random bundles for the C++ tests, made the way real ones are: the
weights are written in the official formats (a CLIP TorchScript archive and a
plain state dict; a Lightning checkpoint with its yaml), read back by our
readers and exported by export_bundle.py. Seeded: every run writes the same.

  make_test_bundles.py OUT_DIR

OUT_DIR/vit-vqgan/  "test-vit-vqgan": ViT CLIP (32 px, embed 32) + VQModel
                    (f = 4, codebook 64 x 16)
OUT_DIR/rn-gumbel/  "test-rn-gumbel": ModifiedResNet CLIP (64 px, embed 32) +
                    GumbelVQ (f = 8, codebook 64 x 32)
Both use bpe_test_vocab.txt.gz, a 300-merge CLIP-format vocabulary (vocab size
814: bos 812, eos 813, pad 0), so no real vocabulary is needed.

Each bundle also holds expected.pt, a TorchScript module whose buffers are
eager PyTorch outputs of the same weights (read with named_buffers()):
  tokens           int64 [2, 16]     bos, ids, eos, then zeros
  text_embedding   float [2, 32]     text encoder(tokens)
  images           float [2, 3, R, R] already normalised
  image_embedding  float [2, 32]     image encoder(images)
  z_4x4, z_5x7, z_8x8                float [1, C, h, w], codebook vectors
  decoded_4x4, decoded_5x7, decoded_8x8  float [1, 3, h*f, w*f], decoder(z)
  encoder_input    float [1, 3, H, W] in [-1, 1] (H, W = 24, 32 and 32, 48)
  encoder_z        float [1, C, H/f, W/f]  encoder(encoder_input)
The script ends by checking that the exported modules reproduce them (<= 1e-5)."""
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_bundle  # noqa: E402
from vqclip_models.checkpoints import load_official_clip, load_taming_checkpoint  # noqa: E402
from vqclip_models.clip_arch import CLIP  # noqa: E402
from vqclip_models.fixtures import (learn_bpe_merges, randomize_batchnorm, save_clip_archive,  # noqa: E402
                                    save_taming_checkpoint, write_bpe_vocab)
from vqclip_models.vqgan_arch import GumbelVQ, VQModel  # noqa: E402

MERGES = 300
VOCAB_SIZE = 512 + MERGES + 2
BOS, EOS = VOCAB_SIZE - 2, VOCAB_SIZE - 1
CONTEXT = 16
GRIDS = ((4, 4), (5, 7), (8, 8))
TOLERANCE = 1e-5


def text_tower(**vision) -> CLIP:
    return CLIP(embed_dim=32, context_length=CONTEXT, vocab_size=VOCAB_SIZE, transformer_width=64,
                transformer_heads=1, transformer_layers=1, **vision)


def vit_vqgan():
    clip = text_tower(image_resolution=32, vision_layers=2, vision_width=64, vision_patch_size=8)
    # No ResnetBlocks in the encoder levels (a valid taming config: the decoder
    # still has one per level) keeps the bundle under 2 MB.
    ddconfig = dict(double_z=False, z_channels=32, resolution=32, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 1, 1],
                    num_res_blocks=0, attn_resolutions=[8], dropout=0.0)
    return clip, VQModel(ddconfig, n_embed=64, embed_dim=16), ddconfig, (24, 32)


def rn_gumbel():
    clip = text_tower(image_resolution=64, vision_layers=(1, 2, 1, 1), vision_width=2, vision_patch_size=None)
    ddconfig = dict(double_z=False, z_channels=32, resolution=32, in_channels=3, out_ch=3, ch=32,
                    ch_mult=[1, 1, 1, 1], num_res_blocks=0, attn_resolutions=[], dropout=0.0)
    return clip, GumbelVQ(ddconfig, n_embed=64, embed_dim=32), ddconfig, (32, 48)


class Expected(torch.nn.Module):
    def __init__(self, tensors: dict):
        super().__init__()
        for name, value in tensors.items():
            self.register_buffer(name, value)

    def forward(self) -> torch.Tensor:
        return torch.zeros(1)


def reference_outputs(clip: CLIP, vqgan: VQModel, encoder_hw, generator: torch.Generator) -> dict:
    tokens = torch.zeros(2, CONTEXT, dtype=torch.long)
    for row, length in enumerate((5, 2)):
        ids = torch.randint(1, BOS, (length,), generator=generator).tolist()
        tokens[row, :length + 2] = torch.tensor([BOS] + ids + [EOS])
    resolution = clip.visual.input_resolution
    out = {"tokens": tokens, "images": torch.randn(2, 3, resolution, resolution, generator=generator)}
    with torch.no_grad():
        out["text_embedding"] = clip.encode_text(tokens)
        out["image_embedding"] = clip.encode_image(out["images"])
        for h, w in GRIDS:
            indices = torch.randint(0, vqgan.n_embed, (1, h, w), generator=generator)
            z = vqgan.codebook[indices].permute(0, 3, 1, 2).contiguous()
            out[f"z_{h}x{w}"], out[f"decoded_{h}x{w}"] = z, vqgan.decode(z)
        out["encoder_input"] = torch.rand(1, 3, *encoder_hw, generator=generator) * 2 - 1
        out["encoder_z"] = vqgan.encode(out["encoder_input"])
    return out


def self_check(bundle_dir: str, expected: dict) -> None:
    """The exported modules, loaded as the C++ side loads them, reproduce the eager outputs."""
    def load(name):
        return torch.jit.load(os.path.join(bundle_dir, name))

    decoder = load("vqgan_decoder.pt")
    with torch.no_grad():
        checks = {"text_embedding": load("clip_text.pt")(expected["tokens"]),
                  "image_embedding": load("clip_image.pt")(expected["images"]),
                  "encoder_z": load("vqgan_encoder.pt")(expected["encoder_input"])}
        checks.update({f"decoded_{h}x{w}": decoder(expected[f"z_{h}x{w}"]) for h, w in GRIDS})
    for name, got in checks.items():
        difference = (got - expected[name]).abs().max().item()
        if got.shape != expected[name].shape or difference > TOLERANCE:
            raise SystemExit(f"make_test_bundles: {bundle_dir}: exported {name} differs from eager "
                             f"(shape {list(got.shape)}, max difference {difference})")


def make_bundle(out_dir: str, name: str, recipe, seed: int, vocab: str) -> None:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    clip, vqgan, ddconfig, encoder_hw = recipe()
    randomize_batchnorm(clip, generator)
    with torch.no_grad():
        vqgan.codebook.normal_(generator=generator)  # spread codes, so decoded grids differ
    with tempfile.TemporaryDirectory() as work:
        archive, plain = os.path.join(work, "clip.pt"), os.path.join(work, "clip_state_dict.pt")
        ckpt, config = os.path.join(work, "last.ckpt"), os.path.join(work, "model.yaml")
        save_clip_archive(clip, archive)
        torch.save(clip.state_dict(), plain)
        save_taming_checkpoint(vqgan, ddconfig, ckpt, config)
        status = export_bundle.main(["--clip", archive, "--vqgan-ckpt", ckpt, "--vqgan-config", config,
                                     "--bpe-vocab", vocab, "--out", out_dir, "--name", name,
                                     "--default-size", "32", "32"])
        if status != 0:
            raise SystemExit(f"make_test_bundles: exporting {name} failed")
        # The reference runs on weights read from the other CLIP form.
        expected = reference_outputs(load_official_clip(plain), load_taming_checkpoint(ckpt, config),
                                     encoder_hw, generator)
    torch.jit.script(Expected(expected)).save(os.path.join(out_dir, "expected.pt"))
    self_check(out_dir, expected)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        vocab = os.path.join(work, "bpe_test_vocab.txt.gz")
        write_bpe_vocab(vocab, learn_bpe_merges(MERGES))
        make_bundle(os.path.join(out, "vit-vqgan"), "test-vit-vqgan", vit_vqgan, 1234, vocab)
        make_bundle(os.path.join(out, "rn-gumbel"), "test-rn-gumbel", rn_gumbel, 5678, vocab)
    print(f"test bundles written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
