"""export_bundle.py as a command: a bundle from official-format files, and
bad inputs give one line on stderr and a non-zero exit status."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from vqclip_models.clip_arch import CLIP  # noqa: E402
from vqclip_models.fixtures import (learn_bpe_merges, save_clip_archive, save_taming_checkpoint,  # noqa: E402
                                    write_bpe_vocab)

MERGES = 20


class ExportCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.vocab = cls.path("vocab.txt.gz")
        write_bpe_vocab(cls.vocab, learn_bpe_merges(MERGES))
        torch.manual_seed(0)
        clip = CLIP(**dict(support.SMALL_VIT, vocab_size=512 + MERGES + 2))
        save_clip_archive(clip, cls.path("clip.pt"))
        torch.save(support.small_clip("rn").state_dict(), cls.path("clip_vocab100.pt"))
        save_taming_checkpoint(support.small_gumbel(), support.GUMBEL_DDCONFIG, cls.path("last.ckpt"),
                               cls.path("model.yaml"))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    @classmethod
    def path(cls, name: str) -> str:
        return os.path.join(cls.dir.name, name)

    def run_export(self, *args):
        return subprocess.run([sys.executable, os.path.join(support.SCRIPTS, "export_bundle.py"), *args],
                              capture_output=True, text=True)

    def assert_one_line_failure(self, result, status: int, words: str):
        self.assertEqual(result.returncode, status, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn(words, result.stderr)

    def test_exports_official_format_files(self):
        out = self.path("bundle")
        result = self.run_export("--clip", self.path("clip.pt"), "--vqgan-ckpt", self.path("last.ckpt"),
                                 "--vqgan-config", self.path("model.yaml"), "--bpe-vocab", self.vocab,
                                 "--out", out, "--default-size", "40", "24", "--no-encoder")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("clip_text.pt", result.stdout)
        with open(os.path.join(out, "vqclip.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["name"], "bundle")
        self.assertEqual(manifest["default_size"], [40, 24])
        self.assertEqual(manifest["clip"]["tokenizer"], {"type": "clip_bpe", "file": "vocab.txt.gz", "bos_id": 532,
                                                         "eos_id": 533, "pad_id": 0, "lowercase": True})
        self.assertEqual(manifest["clip"]["context_length"], 12)
        self.assertNotIn("encoder", manifest["vqgan"])
        self.assertEqual(manifest["vqgan"]["downsample_factor"], 4)

    def test_exports_a_clip_only_bundle(self):
        out = self.path("clip-only")
        result = self.run_export("--clip", self.path("clip.pt"), "--clip-only", "--bpe-vocab", self.vocab, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "vqclip.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["version"], 2)
        self.assertNotIn("vqgan", manifest)
        self.assertFalse(os.path.exists(os.path.join(out, "vqgan_decoder.pt")))
        both = self.run_export("--clip", self.path("clip.pt"), "--clip-only", "--vqgan-random",
                               "vqgan_imagenet_f16_16384", "--bpe-vocab", self.vocab, "--out", out)
        self.assertEqual(both.returncode, 2, both.stderr)

    def test_missing_checkpoint(self):
        result = self.run_export("--clip", self.path("absent.pt"), "--vqgan-ckpt", self.path("last.ckpt"),
                                 "--vqgan-config", self.path("model.yaml"), "--bpe-vocab", self.vocab,
                                 "--out", self.path("o1"))
        self.assert_one_line_failure(result, 1, "absent.pt: no such file")

    def test_vocabulary_that_does_not_fit_the_model(self):
        result = self.run_export("--clip", self.path("clip_vocab100.pt"), "--vqgan-ckpt", self.path("last.ckpt"),
                                 "--vqgan-config", self.path("model.yaml"), "--bpe-vocab", self.vocab,
                                 "--out", self.path("o2"))
        self.assert_one_line_failure(result, 1, f"{MERGES} merges, but the CLIP model's vocab_size 100")

    def test_missing_vocabulary(self):
        result = self.run_export("--clip", self.path("clip.pt"), "--vqgan-random", "vqgan_imagenet_f16_1024",
                                 "--bpe-vocab", self.path("absent.gz"), "--out", self.path("o3"))
        self.assert_one_line_failure(result, 1, "absent.gz: no such file")

    def test_usage_errors(self):
        for args, words in ((["--clip-random", "ViT-B/32", "--vqgan-ckpt", "x.ckpt"], "--vqgan-config"),
                            (["--clip-random", "ViT-B/99", "--vqgan-random", "vqgan_imagenet_f16_1024"], "ViT-B/99"),
                            (["--clip-random", "RN50", "--vqgan-random", "vqgan_imagenet_f16_1024",
                              "--default-size", "0", "8"], "--default-size")):
            with self.subTest(words):
                result = self.run_export(*args, "--out", self.path("o4"))
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(words, result.stderr)


if __name__ == "__main__":
    unittest.main()
