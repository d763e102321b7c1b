"""`vqclip` with the tiny bundle's defaults draws the colours that prompts in
held-out phrasings ask for, at the rate models/tiny-shapes/README.md reports
(scripts/eval_generation.py measures 40 prompts; this is its first 4)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_colours  # noqa: E402
from eval_generation import prompts  # noqa: E402
from shapes_captions import held_out_phrasings, parse_caption  # noqa: E402

BUNDLE = os.path.join(ROOT, "models", "tiny-shapes")


@unittest.skipUnless(os.environ.get("VQCLIP_EXE"), "VQCLIP_EXE not set: run through ctest")
class TinyBundleGenerate(unittest.TestCase):
    def test_held_out_phrasings_get_their_colours(self):
        cases = prompts(4, seed=1, phrasings="held-out")
        held = set(held_out_phrasings())
        for triple, text in cases:
            self.assertIn(parse_caption(text)[3], held, text)
        with tempfile.TemporaryDirectory() as d:
            prompt_file = os.path.join(d, "prompts.txt")
            with open(prompt_file, "w") as f:
                f.write("\n".join(text for _, text in cases) + "\n")
            run = subprocess.run([os.environ["VQCLIP_EXE"], "--prompts-file", prompt_file, "--out-dir", d,
                                  "--models", BUNDLE, "--seed", "1", "-q"], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            with open(os.path.join(d, "manifest.jsonl")) as f:
                files = [json.loads(line)["file"] for line in f if line.strip()]
            found = [check_colours.classify(check_colours.read_png(os.path.join(d, name))) for name in files]
        self.assertEqual(len(found), len(cases))
        foreground = sum(fg == t[0] for (t, _), (fg, _) in zip(cases, found))
        background = sum(bg == t[2] for (t, _), (_, bg) in zip(cases, found))
        report = [f"{text}: found {fg} on {bg}" for (_, text), (fg, bg) in zip(cases, found)]
        # Measured on 40 such prompts: each colour right in about nine of ten.
        self.assertGreaterEqual(foreground, 3, report)
        self.assertGreaterEqual(background, 3, report)


if __name__ == "__main__":
    unittest.main()
