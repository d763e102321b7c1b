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


def classify_renders(chosen, rng):
    """Renders each triple at a random place and size, classifies the pictures
    among the canonical captions of all triples with `vqclip classify`, and
    returns the best caption's triple for each."""
    triples = all_triples()
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, triple in enumerate(chosen):
            paths.append(os.path.join(d, f"{i:03d}.png"))
            write_png(paths[-1], render(random_scene(rng, triple)))
        labels = "|".join(caption(t, TEMPLATES[0]) for t in triples)
        result = subprocess.run([os.environ["VQCLIP_EXE"], "classify", *paths, "--labels", labels, "--template", "{}",
                                 "--top", "1", "--json", "--models", BUNDLE, "--threads", "1"],
                                capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    by_caption = {caption(t, TEMPLATES[0]): t for t in triples}
    return [by_caption[entry["labels"][0]["label"]] for entry in json.loads(result.stdout)]


@unittest.skipUnless(os.environ.get("VQCLIP_EXE"), "VQCLIP_EXE not set: run through ctest")
class TinyBundleClassify(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(BUNDLE, "training_report.json")) as f:
            self.report = json.load(f)["zero_shot"]

    def check(self, chosen, found, reported, margin):
        for k, name in enumerate(("foreground", "shape", "background")):
            accuracy = np.mean([f[k] == t[k] for f, t in zip(found, chosen)])
            self.assertGreaterEqual(accuracy, reported[name] - margin, name)

    def test_accuracy_matches_the_bundle_report(self):
        rng = random.Random(77)
        # Drawn like the report's sample (held-out triples included in proportion).
        chosen = [rng.choice(all_triples()) for _ in range(64)]
        # 64 pictures against the report's 896: margin about three standard deviations of sampling noise.
        self.check(chosen, classify_renders(chosen, rng), self.report["all"], margin=0.12)

    def test_held_out_accuracy_matches_the_bundle_report(self):
        rng = random.Random(78)
        # Triples training never saw, four renders each (32 pictures: margin about three standard deviations).
        chosen = [t for t in sorted(HELD_OUT) for _ in range(4)]
        self.check(chosen, classify_renders(chosen, rng), self.report["held_out"], margin=0.15)


if __name__ == "__main__":
    unittest.main()
