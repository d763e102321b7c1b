"""Pictures in the formats people's collections hold, read through `vqclip
score` as any tool reads them: lossless WebP (Debian's libwebp) and 16-bit
PNG give the same CLIP similarity as the same pixels in an 8-bit PNG; a
damaged WebP is exit 4 naming the file. The pictures are written by Pillow."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
from PIL import Image

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny-shapes")


def score(*paths):
    result = subprocess.run([os.environ["VQCLIP_EXE"], "score", *paths, "-p", "a red circle on a blue background",
                             "--json", "--models", BUNDLE, "--threads", "1"], capture_output=True, text=True)
    return result


def one_cosine(path):
    """The picture's cosine with the prompt, scored alone (a batch of one, so
    that equal pixels give equal figures to the last bit)."""
    result = score(path)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return json.loads(result.stdout)["cosine"][0][0]


class ImageFormats(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(3)
        self.pixels = rng.integers(0, 256, size=(40, 48, 3), dtype=np.uint8)
        self.png = os.path.join(self.dir.name, "eight.png")
        Image.fromarray(self.pixels).save(self.png)

    def tearDown(self):
        self.dir.cleanup()

    def test_lossless_webp_scores_as_the_png(self):
        webp = os.path.join(self.dir.name, "same.webp")
        Image.fromarray(self.pixels).save(webp, lossless=True)
        self.assertEqual(one_cosine(self.png), one_cosine(webp))

    def test_sixteen_bit_png_scores_as_its_high_bytes(self):
        # Pillow writes 16-bit PNGs in greyscale only: a grey picture both ways.
        grey = self.pixels[:, :, 0]
        eight = os.path.join(self.dir.name, "grey8.png")
        Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2)).save(eight)
        sixteen = os.path.join(self.dir.name, "grey16.png")
        Image.fromarray(grey.astype(np.uint16) * 257, mode="I;16").save(sixteen)
        with open(sixteen, "rb") as f:
            self.assertEqual(f.read(26)[24], 16, "IHDR: 16 bits a sample")
        self.assertEqual(one_cosine(eight), one_cosine(sixteen))

    def test_search_finds_webp_pictures(self):
        folder = os.path.join(self.dir.name, "collection")
        os.makedirs(folder)
        Image.fromarray(self.pixels).save(os.path.join(folder, "a.webp"), lossless=True)
        Image.fromarray(self.pixels).save(os.path.join(folder, "b.png"))
        result = subprocess.run([os.environ["VQCLIP_EXE"], "search", folder, "-p", "a red circle", "--json",
                                 "--models", BUNDLE, "--threads", "1"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("a.webp", result.stdout)
        self.assertIn("b.png", result.stdout)

    def test_a_damaged_webp_is_exit_4_naming_it(self):
        webp = os.path.join(self.dir.name, "damaged.webp")
        Image.fromarray(self.pixels).save(webp, lossless=True)
        with open(webp, "r+b") as f:
            f.seek(30)
            f.write(b"\xff" * 40)
        result = score(webp)
        self.assertEqual(result.returncode, 4, result.stdout + result.stderr)
        self.assertIn("damaged.webp", result.stderr)


if __name__ == "__main__":
    unittest.main()
