#!/usr/bin/env python3
"""Turns official checkpoints (or random weights at official sizes) into a
vqclip bundle: TorchScript modules, the CLIP BPE vocabulary, vqclip.json.

  export_bundle.py --clip ViT-B-32.pt --vqgan-ckpt last.ckpt --vqgan-config model.yaml --out bundles/vitb32-f16
  export_bundle.py --clip-random ViT-B/32 --vqgan-random vqgan_imagenet_f16_16384 --out /tmp/fullsize-bundle
  export_bundle.py --clip ViT-B-32.pt --clip-only --out bundles/vitb32-clip   # no VQGAN: bundle version 2

Exit status: 0 done, 1 unusable input (one line on stderr), 2 bad arguments."""
import argparse
import gzip
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vqclip_models.bundle import write_bundle  # noqa: E402
from vqclip_models.checkpoints import (CLIP_PRESETS, VQGAN_PRESETS, CheckpointError, clip_from_preset,  # noqa: E402
                                       load_official_clip, load_taming_checkpoint, vqgan_from_preset)

DEFAULT_VOCAB = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                                              "data", "clip", "bpe_simple_vocab_16e6.txt.gz"))
# CLIP's tokenizer reads at most this many merges (lines 1..48894 after the header).
CLIP_MERGES = 48894


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    clip = parser.add_mutually_exclusive_group(required=True)
    clip.add_argument("--clip", metavar="PATH", help="official CLIP .pt (TorchScript archive) or a state dict")
    clip.add_argument("--clip-random", choices=list(CLIP_PRESETS), metavar="PRESET",
                      help="random weights at official size: " + ", ".join(CLIP_PRESETS))
    vqgan = parser.add_mutually_exclusive_group(required=True)
    vqgan.add_argument("--vqgan-ckpt", metavar="PATH", help="taming-transformers checkpoint (.ckpt)")
    vqgan.add_argument("--vqgan-random", choices=list(VQGAN_PRESETS), metavar="PRESET",
                       help="random weights at official size: " + ", ".join(VQGAN_PRESETS))
    vqgan.add_argument("--clip-only", action="store_true",
                       help="no VQGAN: a bundle for the pixels, pixel-art and vector drawers and the CLIP tools")
    parser.add_argument("--vqgan-config", metavar="YAML", help="the checkpoint's model yaml (with --vqgan-ckpt)")
    parser.add_argument("--bpe-vocab", metavar="PATH", default=DEFAULT_VOCAB,
                        help="CLIP's bpe_simple_vocab_16e6.txt.gz (default: %(default)s)")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--name", help="bundle name (default: the --out folder's name)")
    parser.add_argument("--default-size", type=int, nargs=2, default=(256, 256), metavar=("W", "H"))
    parser.add_argument("--no-encoder", action="store_true", help="leave out the VQGAN encoder (no init images)")
    parser.add_argument("--seed", type=int, default=0, help="seed for random weights")
    args = parser.parse_args(argv)
    if args.vqgan_ckpt and not args.vqgan_config:
        parser.error("--vqgan-ckpt needs --vqgan-config")
    if args.clip_only and args.no_encoder:
        parser.error("--no-encoder is about the VQGAN; --clip-only has none")
    if args.vqgan_config and not args.vqgan_ckpt:
        parser.error("--vqgan-config goes with --vqgan-ckpt")
    if min(args.default_size) <= 0:
        parser.error("--default-size needs two positive numbers")
    return args


def clip_bpe_tokenizer(vocab_path: str, vocab_size: int) -> dict:
    """CLIP's ids: 512 byte symbols, one per merge, then <|startoftext|> and
    <|endoftext|>; so the model's vocab_size fixes how many merges it knows."""
    try:
        with gzip.open(vocab_path, "rt", encoding="utf-8") as f:
            merges = sum(1 for line in f) - 1  # the first line is a header
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{vocab_path}: not a gzip'd CLIP BPE vocabulary ({e})")
    if min(merges, CLIP_MERGES) != vocab_size - 514:
        raise CheckpointError(f"{vocab_path}: {merges} merges, but the CLIP model's vocab_size {vocab_size} "
                              f"needs {vocab_size - 514}")
    return {"type": "clip_bpe", "bos_id": vocab_size - 2, "eos_id": vocab_size - 1, "pad_id": 0, "lowercase": True}


def export(args) -> None:
    torch.manual_seed(args.seed)
    start = time.time()
    clip = load_official_clip(args.clip) if args.clip else clip_from_preset(args.clip_random)
    if args.clip_only:
        vqgan = None
    elif args.vqgan_ckpt:
        vqgan = load_taming_checkpoint(args.vqgan_ckpt, args.vqgan_config)
    else:
        vqgan = vqgan_from_preset(args.vqgan_random)
    tokenizer = clip_bpe_tokenizer(args.bpe_vocab, clip.vocab_size)
    name = args.name or os.path.basename(os.path.normpath(args.out))
    loaded = time.time()
    manifest = write_bundle(args.out, name=name, clip_model=clip, vqgan_model=vqgan, tokenizer=tokenizer,
                            tokenizer_file=args.bpe_vocab, default_size=tuple(args.default_size),
                            include_encoder=not args.no_encoder)
    done = time.time()
    print(f"exported {name} to {args.out}: load/build {loaded - start:.1f} s, script+save {done - loaded:.1f} s, "
          f"total {done - start:.1f} s")
    for file_name in manifest["files"]:
        print(f"  {file_name:30s} {os.path.getsize(os.path.join(args.out, file_name)) / 1e6:9.2f} MB")


def main(argv=None) -> int:
    args = parse_args(argv)
    if not os.path.isfile(args.bpe_vocab):
        print(f"export_bundle: --bpe-vocab {args.bpe_vocab}: no such file", file=sys.stderr)
        return 1
    try:
        export(args)
    except (CheckpointError, OSError) as e:
        print(f"export_bundle: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
