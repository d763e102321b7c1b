"""`vqclip classify` on fresh shapes-world renders (held-out triples included)
reaches the zero-shot accuracy that models/tiny-shapes reports."""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from eval_generation import write_png  # noqa: E402
from shapes_world import HELD_OUT, TEMPLATES, all_triples, caption, random_scene, render  # noqa: E402

BUNDLE = os.path.join(ROOT, "models", "tiny-shapes")
MARGIN = 0.12  # 64 pictures against the report's 400: two standard deviations of sampling noise


@unittest.skipUnless(os.environ.get("VQCLIP_EXE"), "VQCLIP_EXE not set: run through ctest")
class TinyBundleClassify(unittest.TestCase):
    def test_accuracy_matches_the_bundle_report(self):
        with open(os.path.join(BUNDLE, "training_report.json")) as f:
            report = json.load(f)["zero_shot"]["all"]
        triples = all_triples()
        rng = random.Random(77)
        # Drawn like the report's sample (held-out triples included in proportion).
        chosen = [rng.choice(triples) for _ in range(64)]
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i, triple in enumerate(chosen):
                paths.append(os.path.join(d, f"{i:03d}.png"))
                write_png(paths[-1], render(random_scene(rng, triple)))
            labels = "|".join(caption(t, TEMPLATES[0]) for t in triples)
            result = subprocess.run([os.environ["VQCLIP_EXE"], "classify", *paths, "--labels", labels, "--template",
                                     "{}", "--top", "1", "--json", "--models", BUNDLE, "--threads", "1"],
                                    capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        best = [entry["labels"][0]["label"] for entry in json.loads(result.stdout)]
        by_caption = {caption(t, TEMPLATES[0]): t for t in triples}
        for k, name in enumerate(("foreground", "shape", "background")):
            accuracy = np.mean([by_caption[b][k] == t[k] for b, t in zip(best, chosen)])
            self.assertGreaterEqual(accuracy, report[name] - MARGIN, name)


if __name__ == "__main__":
    unittest.main()
