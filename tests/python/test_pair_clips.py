"""scripts/pair_clips.py: a bundle whose CLIP is two bundles' CLIPs. Its cosine
is the weighted mean of the members' cosines, in PyTorch and in `vqclip
score`; it renders with vqclip; CLIPs that read other tokens or pixels are
refused with exit 2 and nothing written."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

from tests.python import support  # noqa: F401  (scripts/ on the path, one thread)
import pair_clips  # noqa: E402
import zero_shot_eval  # noqa: E402
from vqclip_models.bundle import finish_bundle, read_manifest  # noqa: E402

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny-shapes")
TEXTS = ["a red circle on a blue background", "a green square", "a black cross on a white background"]


def perturbed_copy(out: str) -> None:
    """The tiny bundle with its CLIP's weights moved: a second CLIP of the same tokens and pixels."""
    shutil.copytree(BUNDLE, out)
    generator = torch.Generator().manual_seed(3)
    for name in ("clip_text.pt", "clip_image.pt"):
        module = torch.jit.load(os.path.join(out, name))
        with torch.no_grad():
            for parameter in module.parameters():
                parameter.add_(0.05 * parameter.std() * torch.randn(parameter.shape, generator=generator))
        module.save(os.path.join(out, name))
    manifest = read_manifest(out)
    manifest["name"] = "perturbed"
    finish_bundle(out, manifest, list(manifest["files"]))  # the new hashes


def cosines(bundle: str, images: torch.Tensor) -> torch.Tensor:
    manifest, text, image = zero_shot_eval.load_clip(bundle)
    with torch.no_grad():
        texts = F.normalize(text(zero_shot_eval.tokenize(manifest, bundle, TEXTS)), dim=-1)
        return F.normalize(image(images), dim=-1) @ texts.T


def vqclip(bundle: str, *args):
    return subprocess.run([os.environ["VQCLIP_EXE"], *args, "--models", bundle, "--threads", "1"],
                          capture_output=True, text=True, timeout=300)


class PairClips(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.second = os.path.join(cls.dir.name, "second")
        perturbed_copy(cls.second)
        cls.pair = os.path.join(cls.dir.name, "pair")
        cls.weight = 0.3
        cls.manifest = pair_clips.pair_bundles(BUNDLE, cls.second, cls.pair, cls.weight)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_manifest_keeps_the_first_bundle_and_sums_the_embeddings(self):
        first = read_manifest(BUNDLE)
        self.assertEqual(self.manifest, read_manifest(self.pair))
        self.assertEqual(self.manifest["name"], "tiny-shapes+perturbed")
        self.assertEqual(self.manifest["clip"]["embed_dim"], 2 * first["clip"]["embed_dim"])
        self.assertEqual(self.manifest["vqgan"], first["vqgan"])
        self.assertEqual(sorted(self.manifest["files"]), sorted(first["files"]))
        for name in ("vqgan_decoder.pt", "vqgan_encoder.pt", "tokenizer.model"):
            self.assertEqual(self.manifest["files"][name], first["files"][name])
        self.assertNotEqual(self.manifest["files"]["clip_image.pt"], first["files"]["clip_image.pt"])
        info = vqclip(self.pair, "info")
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("integrity    ok", info.stdout)

    def test_cosine_is_the_weighted_mean_of_the_members(self):
        images = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
        first, second = cosines(BUNDLE, images), cosines(self.second, images)
        self.assertGreater((first - second).abs().max().item(), 0.01, "the members must differ for this test")
        expected = (1 - self.weight) * first + self.weight * second
        self.assertLess(support.max_difference(cosines(self.pair, images), expected), 1e-5)

    def test_vqclip_score_gives_the_weighted_mean(self):
        picture = os.path.join(self.dir.name, "picture.png")
        drawn = vqclip(BUNDLE, "--prompt", TEXTS[0], "--steps", "2", "--seed", "4", "-o", picture)
        self.assertEqual(drawn.returncode, 0, drawn.stderr)

        def score(bundle):
            result = vqclip(bundle, "score", picture, *[a for t in TEXTS for a in ("-p", t)], "--json")
            self.assertEqual(result.returncode, 0, result.stderr)
            return torch.tensor(json.loads(result.stdout)["cosine"])

        expected = (1 - self.weight) * score(BUNDLE) + self.weight * score(self.second)
        self.assertLess(support.max_difference(score(self.pair), expected), 1e-4)

    def test_the_pair_renders(self):
        picture = os.path.join(self.dir.name, "paired.png")
        drawn = vqclip(self.pair, "--prompt", TEXTS[0], "--steps", "3", "--seed", "4", "-o", picture)
        self.assertEqual(drawn.returncode, 0, drawn.stderr)
        self.assertTrue(os.path.getsize(picture) > 0)

    def run_script(self, second: str, out: str, *extra):
        script = os.path.join(support.SCRIPTS, "pair_clips.py")
        return subprocess.run([sys.executable, script, "--first", BUNDLE, "--second", second, "--out", out, *extra],
                              capture_output=True, text=True, timeout=300)

    def test_clips_that_read_other_input_are_refused(self):
        cases = {"context_length": 32, "input_resolution": 64}
        for field, value in cases.items():
            with self.subTest(field=field):
                other = os.path.join(self.dir.name, f"other-{field}")
                shutil.copytree(self.second, other)
                manifest = read_manifest(other)
                manifest["clip"][field] = value
                finish_bundle(other, manifest, list(manifest["files"]))
                out = os.path.join(self.dir.name, f"refused-{field}")
                result = self.run_script(other, out)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(f"clip.{field} differs", result.stderr)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertFalse(os.path.exists(out))

        other = os.path.join(self.dir.name, "other-tokenizer")
        shutil.copytree(self.second, other)
        with open(os.path.join(other, "tokenizer.model"), "ab") as f:
            f.write(b"\0")
        manifest = read_manifest(other)
        finish_bundle(other, manifest, list(manifest["files"]))
        result = self.run_script(other, os.path.join(self.dir.name, "refused-tokenizer"))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("the tokenizer files differ", result.stderr)

        result = self.run_script(self.second, os.path.join(self.dir.name, "refused-weight"), "--weight", "1")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--weight 1.0: must be between 0 and 1", result.stderr)


if __name__ == "__main__":
    unittest.main()
