"""The bundle writer follows the bundle contract (docs/architecture.md, "The bundle
contract") exactly, the synthetic CLIP-BPE vocabulary is well formed, and make_test_bundles.py writes what the C++ tests read."""
import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from vqclip_models.bundle import write_bundle  # noqa: E402
from vqclip_models.fixtures import byte_symbols, learn_bpe_merges, write_bpe_vocab  # noqa: E402

TOKENIZER = {"type": "clip_bpe", "bos_id": 98, "eos_id": 99, "pad_id": 0, "lowercase": True}


class WriteBundle(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.vocab = os.path.join(self.dir.name, "vocab.txt.gz")
        write_bpe_vocab(self.vocab, [("a", "b")])
        self.clip, self.vqgan = support.small_clip("vit"), support.small_vqgan()

    def write(self, **options):
        out = os.path.join(self.dir.name, "bundle")
        options.setdefault("vqgan_model", self.vqgan)
        return out, write_bundle(out, name="unit", clip_model=self.clip, tokenizer=TOKENIZER,
                                 tokenizer_file=self.vocab, default_size=(48, 32), **options)

    def test_manifest_fields_are_the_contract(self):
        with torch.no_grad():
            self.clip.logit_scale.fill_(math.log(100.0))
        out, manifest = self.write()
        with open(os.path.join(out, "vqclip.json")) as f:
            self.assertEqual(json.load(f), manifest)
        self.assertEqual(list(manifest), ["format", "version", "name", "default_size", "clip", "vqgan", "files"])
        self.assertEqual((manifest["format"], manifest["version"], manifest["name"], manifest["default_size"]),
                         ("vqclip-bundle", 1, "unit", [48, 32]))
        clip = manifest["clip"]
        self.assertEqual({k: v for k, v in clip.items() if k not in ("mean", "std", "logit_scale")}, {
            "text_encoder": "clip_text.pt", "image_encoder": "clip_image.pt", "input_resolution": 32,
            "context_length": 12, "embed_dim": 24,
            "tokenizer": {"type": "clip_bpe", "file": "vocab.txt.gz", "bos_id": 98, "eos_id": 99, "pad_id": 0,
                          "lowercase": True}})
        self.assertEqual(clip["mean"], [0.48145466, 0.4578275, 0.40821073])
        self.assertEqual(clip["std"], [0.26862954, 0.26130258, 0.27577711])
        self.assertAlmostEqual(clip["logit_scale"], 100.0, places=4)
        self.assertEqual(manifest["vqgan"], {"decoder": "vqgan_decoder.pt", "encoder": "vqgan_encoder.pt",
                                             "downsample_factor": 2, "embed_dim": 8, "n_embed": 32})
        names = {"clip_text.pt", "clip_image.pt", "vqgan_decoder.pt", "vqgan_encoder.pt", "vocab.txt.gz"}
        self.assertEqual(set(manifest["files"]), names)
        self.assertEqual(set(os.listdir(out)), names | {"vqclip.json"})
        for name, digest in manifest["files"].items():
            with open(os.path.join(out, name), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest, name)

    def test_without_encoder(self):
        out, manifest = self.write(include_encoder=False)
        self.assertNotIn("encoder", manifest["vqgan"])
        self.assertNotIn("vqgan_encoder.pt", manifest["files"])
        self.assertFalse(os.path.exists(os.path.join(out, "vqgan_encoder.pt")))

    def test_clip_only(self):
        out, manifest = self.write(vqgan_model=None)
        self.assertEqual(manifest["version"], 2, "a bundle without a VQGAN is contract version 2")
        self.assertNotIn("vqgan", manifest)
        self.assertEqual(set(manifest["files"]), {"clip_text.pt", "clip_image.pt", "vocab.txt.gz"})
        self.assertEqual(set(os.listdir(out)), {"clip_text.pt", "clip_image.pt", "vocab.txt.gz", "vqclip.json"})

    def test_modules_are_saved_in_eval_mode_and_load_anywhere(self):
        self.clip.train()
        out, _ = self.write()
        for name in ("clip_text.pt", "clip_image.pt", "vqgan_decoder.pt", "vqgan_encoder.pt"):
            module = torch.jit.load(os.path.join(out, name), map_location="cpu")
            self.assertFalse(module.training, name)
            self.assertEqual({p.dtype for p in module.parameters()}, {torch.float32}, name)

    def test_refuses_weights_that_are_not_float32(self):
        self.vqgan.double()
        with self.assertRaises(ValueError):
            self.write()


class SyntheticVocabulary(unittest.TestCase):
    def test_clip_byte_alphabet(self):
        symbols = byte_symbols()
        expected = {0: 256, 32: 288, 33: 33, 126: 126, 127: 289, 160: 322, 161: 161, 172: 172, 173: 323, 174: 174,
                    255: 255}
        self.assertEqual({b: ord(symbols[b]) for b in expected}, expected)
        self.assertEqual(len(set(symbols.values())), 256)

    def test_file_format_and_unique_tokens(self):
        merges = learn_bpe_merges(300)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "v.txt.gz")
            write_bpe_vocab(path, merges)
            with gzip.open(path, "rt", encoding="utf-8") as f:
                lines = f.read().splitlines()
        self.assertTrue(lines[0].startswith("#version"))
        self.assertEqual(len(lines), 301)
        self.assertTrue(all(len(line.split(" ")) == 2 for line in lines[1:]))
        base = set(byte_symbols().values())
        vocabulary = [*base, *(s + "</w>" for s in base), *(a + b for a, b in merges)]
        self.assertEqual(len(set(vocabulary)), 512 + 300, "every id must stand for a distinct string")
        self.assertEqual(learn_bpe_merges(300), merges, "deterministic")


class TestBundles(unittest.TestCase):
    def test_make_test_bundles_writes_small_bundles_with_references(self):
        with tempfile.TemporaryDirectory() as out:
            result = subprocess.run([sys.executable, os.path.join(support.SCRIPTS, "make_test_bundles.py"), out],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)
            for name, resolution in (("vit-vqgan", 32), ("rn-gumbel", 64)):
                bundle = os.path.join(out, name)
                size = sum(os.path.getsize(os.path.join(bundle, f)) for f in os.listdir(bundle))
                self.assertLess(size, 2_000_000, name)
                with open(os.path.join(bundle, "vqclip.json")) as f:
                    manifest = json.load(f)
                self.assertEqual(manifest["name"], "test-" + name)
                self.assertEqual((manifest["clip"]["tokenizer"]["bos_id"], manifest["clip"]["tokenizer"]["eos_id"]),
                                 (812, 813))
                buffers = dict(torch.jit.load(os.path.join(bundle, "expected.pt")).named_buffers())
                self.assertEqual(set(buffers), {"tokens", "text_embedding", "images", "image_embedding",
                                                "z_4x4", "decoded_4x4", "z_5x7", "decoded_5x7", "z_8x8",
                                                "decoded_8x8", "encoder_input", "encoder_z"})
                self.assertEqual(buffers["tokens"].dtype, torch.int64)
                self.assertEqual(buffers["tokens"][:, 0].tolist(), [812, 812])
                self.assertEqual(tuple(buffers["images"].shape), (2, 3, resolution, resolution))
                f = manifest["vqgan"]["downsample_factor"]
                self.assertEqual(tuple(buffers["decoded_5x7"].shape), (1, 3, 5 * f, 7 * f))


if __name__ == "__main__":
    unittest.main()
