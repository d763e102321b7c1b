"""Test inputs in the official formats, so tests go through the same readers
as real downloads: a CLIP TorchScript archive, a taming Lightning checkpoint
with its yaml, and a small CLIP-BPE vocabulary learned from a fixed text."""
import collections
import gzip
import re

import torch
import yaml

from .clip_arch import CLIP
from .vqgan_arch import GumbelVQ, VQModel

CORPUS = """
a red circle on a blue background. a green square on a white background; a yellow triangle, a purple cross.
the quick brown fox jumps over the lazy dog while the cat sleeps on the warm kitchen floor.
a photo of a cat sitting on a mat next to a window with morning light and a cup of coffee.
watercolour painting of a misty forest at dawn, soft colours, tall pine trees and a quiet river.
an astronaut riding a horse on the moon; digital art, trending on artstation, highly detailed!
the old cathedral's towers rise above the town square where people gather for the market every sunday.
it's a lovely day, isn't it? we'll walk along the beach, collect shells and watch the sailing boats.
oil painting of a lighthouse during a storm, dramatic clouds, crashing waves, golden evening sunlight.
portrait of an elderly fisherman with a white beard, wearing a knitted sweater, looking at the harbour.
a futuristic city skyline at night with neon signs, flying cars, reflections in the rain-soaked streets.
"""


def byte_symbols() -> dict:
    """CLIP's bytes -> printable characters: 33-126, 161-172 and 174-255 stand
    for themselves, the other 68 bytes take 256, 257, ... in byte order."""
    printable = set(range(33, 127)) | set(range(161, 173)) | set(range(174, 256))
    others = iter(range(256, 256 + 256 - len(printable)))
    return {b: chr(b) if b in printable else chr(next(others)) for b in range(256)}


def _words(text: str) -> collections.Counter:
    symbols = byte_symbols()
    counts = collections.Counter()
    # CLIP's pre-tokenisation, for ASCII text: letter runs, single digits, other runs.
    for word in re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]+", text.lower()):
        encoded = [symbols[b] for b in word.encode("utf-8")]
        counts[tuple(encoded[:-1]) + (encoded[-1] + "</w>",)] += 1
    return counts


def _apply(word: tuple, pair: tuple) -> tuple:
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] == pair:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def learn_bpe_merges(count: int, text: str = CORPUS) -> list:
    """Byte-level BPE: repeatedly merge the most frequent adjacent pair (ties:
    the smallest pair), skipping pairs whose result is already a token so that
    every vocabulary entry, and hence every id, is unique."""
    words = _words(text)
    tokens = set(byte_symbols().values()) | {s + "</w>" for s in byte_symbols().values()}
    merges = []
    while len(merges) < count:
        pairs = collections.Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                if pair[0] + pair[1] not in tokens:
                    pairs[pair] += n
        if not pairs:
            raise ValueError(f"the corpus allows only {len(merges)} merges, {count} asked")
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        tokens.add(best[0] + best[1])
        words = collections.Counter({_apply(w, best): n for w, n in words.items()})
    return merges


def write_bpe_vocab(path: str, merges: list) -> None:
    """The format of bpe_simple_vocab_16e6.txt.gz: a header line, then 'a b'
    per merge (no name or time in the gzip header: same merges, same bytes)."""
    text = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as f:
        f.write(text.encode("utf-8"))


class _Holder(torch.nn.Module):
    def forward(self) -> int:
        return 0


def save_clip_archive(model: CLIP, path: str, dtype: torch.dtype = torch.float32) -> None:
    """A TorchScript archive whose state_dict() is the official one: a module
    tree holding the weights under their names, plus the three attributes the
    official archives carry. Built from names only, not from our CLIP class."""
    root = _Holder()
    state = dict(model.state_dict())
    state.update(input_resolution=torch.tensor(model.visual.input_resolution),
                 context_length=torch.tensor(model.context_length), vocab_size=torch.tensor(model.vocab_size))
    for key, tensor in state.items():
        *path_names, leaf = key.split(".")
        module = root
        for name in path_names:
            if name not in module._modules:
                module.add_module(name, _Holder())
            module = module._modules[name]
        module.register_buffer(leaf, tensor.to(dtype) if tensor.is_floating_point() else tensor)
    torch.jit.script(root).save(path)


def save_taming_checkpoint(model: VQModel, ddconfig: dict, ckpt_path: str, yaml_path: str) -> None:
    """A Lightning-style checkpoint ({"state_dict": ...} with the training-only
    loss.* weights alongside) and the yaml naming class and sizes."""
    state = dict(model.state_dict())
    state["loss.discriminator.main.0.weight"] = torch.randn(4, 3, 4, 4)
    state["loss.perceptual_loss.lin0.model.1.weight"] = torch.randn(1, 4, 1, 1)
    torch.save({"epoch": 1, "global_step": 10, "state_dict": state}, ckpt_path)
    target = "taming.models.vqgan." + ("GumbelVQ" if isinstance(model, GumbelVQ) else "VQModel")
    config = {"model": {"base_learning_rate": 4.5e-6, "target": target, "params": {
        "embed_dim": model.embed_dim, "n_embed": model.n_embed, "ddconfig": ddconfig,
        "lossconfig": {"target": "taming.modules.losses.vqperceptual.VQLPIPSWithDiscriminator"}}}}
    with open(yaml_path, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)


def randomize_batchnorm(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Trained-looking BatchNorm weights and statistics (fresh ones are 1, 0, 0,
    1, and CLIP zeroes bn3), so that every branch shows in the outputs."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(1 + 0.2 * torch.randn(n, generator=generator))
                module.bias.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                module.num_batches_tracked.fill_(1000)
