#!/usr/bin/env python3
"""Small random bundles for the C++ tests, exported through the same path as
real checkpoints, with reference outputs computed eagerly from the same weights.

  make_test_bundles.py OUT_DIR

Writes OUT_DIR/vit-vqgan/: a small ViT CLIP + a small VQGAN (f = 4) with a
synthetic CLIP-BPE vocabulary (so no real vocabulary is needed), and
expected.pt, a TorchScript module whose buffers hold the eager outputs:
tokens, text_embedding, images, image_embedding, z_4x4/decoded_4x4,
z_5x7/decoded_5x7, z_8x8/decoded_8x8, encoder_input, encoder_z."""
import collections
import gzip
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vqclip_models.bundle import write_bundle  # noqa: E402
from vqclip_models.clip_arch import CLIP  # noqa: E402
from vqclip_models.vqgan_arch import VQModel  # noqa: E402

CORPUS = """a red circle on a blue background. the quick brown fox jumps over the lazy dog.
a photo of a cat sitting on a mat. watercolour painting of a misty forest at dawn.
an astronaut riding a horse on the moon; digital art, trending on artstation!
the cathedral's towers rise above the old town. it's a lovely day, isn't it?"""


def byte_symbols():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    symbols = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in symbols:
            symbols[b] = chr(256 + extra)
            extra += 1
    return symbols


def learn_merges(count: int):
    """A tiny byte-level BPE over CORPUS words, in CLIP's symbol alphabet."""
    symbols = byte_symbols()
    words = collections.Counter(CORPUS.lower().replace(".", " ").replace(",", " ").split())
    vocab = {tuple(symbols[b] for b in w.encode()[:-1]) + (symbols[w.encode()[-1]] + "</w>",): n
             for w, n in words.items()}
    merges = []
    while len(merges) < count:
        pairs = collections.Counter()
        for word, n in vocab.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += n
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        merged = {}
        for word, n in vocab.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = n
        vocab = merged
    return merges


class Expected(torch.nn.Module):
    def __init__(self, tensors: dict):
        super().__init__()
        for name, value in tensors.items():
            self.register_buffer(name, value)

    def forward(self) -> torch.Tensor:
        return torch.zeros(1)


def make_vit_vqgan(out_dir: str) -> None:
    torch.manual_seed(1234)
    merges = learn_merges(300)
    vocab_file = os.path.join(out_dir, "bpe_test_vocab.txt.gz")
    os.makedirs(out_dir, exist_ok=True)
    with gzip.open(vocab_file, "wt", encoding="utf-8") as f:
        f.write("#version: 0.2 (vqclip test vocabulary)\n")
        f.writelines(f"{a} {b}\n" for a, b in merges)
    vocab_size = 512 + len(merges) + 2
    bos, eos = vocab_size - 2, vocab_size - 1
    clip = CLIP(embed_dim=32, image_resolution=32, vision_layers=2, vision_width=64, vision_patch_size=8,
                context_length=16, vocab_size=vocab_size, transformer_width=64, transformer_heads=2,
                transformer_layers=2).eval()
    ddconfig = dict(double_z=False, z_channels=32, resolution=32, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 2, 2],
                    num_res_blocks=1, attn_resolutions=[8], dropout=0.0)
    vqgan = VQModel(ddconfig, n_embed=64, embed_dim=16).eval()
    with torch.no_grad():
        vqgan.quantize.embedding.weight.normal_()
    tokenizer = {"type": "clip_bpe", "bos_id": bos, "eos_id": eos, "pad_id": 0, "lowercase": True}
    write_bundle(out_dir, name="test-vit-vqgan", clip_model=clip, vqgan_model=vqgan, tokenizer=tokenizer,
                 tokenizer_file=vocab_file, default_size=(32, 32))

    expected = {}
    tokens = torch.zeros(2, 16, dtype=torch.long)
    tokens[0, :5] = torch.tensor([bos, 300, 400, 500, eos])
    tokens[1, :3] = torch.tensor([bos, 42, eos])
    with torch.no_grad():
        expected["tokens"] = tokens
        expected["text_embedding"] = clip.encode_text(tokens)
        expected["images"] = torch.randn(2, 3, 32, 32)
        expected["image_embedding"] = clip.encode_image(expected["images"])
        codebook = vqgan.quantize.embedding.weight
        for h, w in ((4, 4), (5, 7), (8, 8)):
            z = codebook[torch.randint(0, 64, (h * w,))].view(1, h, w, 16).permute(0, 3, 1, 2).contiguous()
            expected[f"z_{h}x{w}"] = z
            expected[f"decoded_{h}x{w}"] = vqgan.decode(z)
        expected["encoder_input"] = torch.rand(1, 3, 32, 32) * 2 - 1
        expected["encoder_z"] = vqgan.encode(expected["encoder_input"])
    torch.jit.script(Expected(expected)).save(os.path.join(out_dir, "expected.pt"))
    self_check(out_dir, expected)


def self_check(out_dir: str, expected: dict) -> None:
    """The exported modules reproduce the eager outputs."""
    load = lambda name: torch.jit.load(os.path.join(out_dir, name))  # noqa: E731
    with torch.no_grad():
        pairs = [(load("clip_text.pt")(expected["tokens"]), expected["text_embedding"]),
                 (load("clip_image.pt")(expected["images"]), expected["image_embedding"]),
                 (load("vqgan_encoder.pt")(expected["encoder_input"]), expected["encoder_z"])]
        decoder = load("vqgan_decoder.pt")
        pairs += [(decoder(expected[f"z_{g}"]), expected[f"decoded_{g}"]) for g in ("4x4", "5x7", "8x8")]
    for got, want in pairs:
        difference = (got - want).abs().max().item()
        if difference > 1e-5:
            raise SystemExit(f"make_test_bundles: exported module differs from eager by {difference}")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    make_vit_vqgan(os.path.join(sys.argv[1], "vit-vqgan"))
    print(f"test bundles written to {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
