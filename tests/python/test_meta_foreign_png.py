"""`vqclip meta` on PNGs another program wrote (Pillow, as image tools that
save a 'parameters' chunk do): every text chunk (tEXt, compressed zTXt,
UTF-8 iTXt), another tool's 'parameters' line, --json, and a PNG with no text."""
import json
import os
import subprocess
import tempfile
import unittest

from PIL import Image, PngImagePlugin

PARAMETERS = "a lighthouse at dusk\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, Seed: 42, Size: 8x8"


def meta(*args):
    return subprocess.run([os.environ["VQCLIP_EXE"], "meta", *args], capture_output=True, text=True)


class MetaOnForeignPng(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.png = os.path.join(self.dir.name, "foreign.png")
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", PARAMETERS)
        info.add_text("Comment", "made by Pillow " * 20, zip=True)
        info.add_itxt("Title", "Leuchtturm – üöä", lang="de")
        Image.new("RGB", (8, 8), (200, 30, 30)).save(self.png, pnginfo=info)

    def tearDown(self):
        self.dir.cleanup()

    def test_every_chunk_is_printed(self):
        result = meta(self.png)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("parameters: " + PARAMETERS + "\n", result.stdout)
        self.assertIn("Comment: " + "made by Pillow " * 20 + "\n", result.stdout)
        self.assertIn("Title: Leuchtturm – üöä\n", result.stdout)

    def test_another_tools_parameters_line(self):
        result = meta("--parameters", self.png)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, PARAMETERS + "\n")

    def test_json(self):
        result = meta("--json", self.png)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = json.loads(result.stdout)
        self.assertIsNone(out["record"])
        self.assertEqual(out["file"], self.png)
        self.assertEqual({entry["keyword"]: entry["value"] for entry in out["text"]},
                         {"parameters": PARAMETERS, "Comment": "made by Pillow " * 20, "Title": "Leuchtturm – üöä"})

    def test_a_png_without_text_is_exit_4_naming_it(self):
        plain = os.path.join(self.dir.name, "plain.png")
        Image.new("RGB", (8, 8)).save(plain)
        result = meta(plain)
        self.assertEqual(result.returncode, 4)
        self.assertIn("plain.png: no metadata", result.stderr)
        result = meta("--parameters", plain)
        self.assertEqual(result.returncode, 4)
        self.assertIn("plain.png: no vqclip record and no 'parameters' text chunk", result.stderr)


if __name__ == "__main__":
    unittest.main()
