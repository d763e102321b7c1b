"""The shapes world renderer, its captions and held-out split, and the colour checker."""
import os
import random
import subprocess
import sys
import tempfile
import unittest

import numpy as np

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)
import check_colours  # noqa: E402
from eval_generation import write_png  # noqa: E402
from shapes_world import (COLOURS, HELD_OUT, PALETTE, SHAPES, TEMPLATES, all_triples, caption, consistent,  # noqa: E402
                          random_scene, render, shape_mask, training_triples)


class ShapesWorld(unittest.TestCase):
    def test_render_is_deterministic_and_uses_exactly_two_palette_colours(self):
        for triple in all_triples()[::7]:
            a = render(random_scene(random.Random(5), triple))
            b = render(random_scene(random.Random(5), triple))
            self.assertTrue(np.array_equal(a, b))
            colours = {tuple(c) for c in a.reshape(-1, 3)}
            self.assertEqual(colours, {PALETTE[triple[0]], PALETTE[triple[2]]})

    def test_shape_size_and_centre_bounds(self):
        rng = random.Random(1)
        for _ in range(200):
            scene = random_scene(rng, rng.choice(all_triples()))
            self.assertLessEqual(abs(scene.cx - 32), 8)
            self.assertLessEqual(abs(scene.cy - 32), 8)
            self.assertTrue(24 <= scene.size <= 44)
            ys, xs = np.nonzero(shape_mask(scene))
            self.assertLessEqual(xs.max() - xs.min() + 1, 45)
            self.assertGreaterEqual(xs.max() - xs.min() + 1, 20)

    def test_held_out_triples_never_reach_training(self):
        self.assertTrue(HELD_OUT)
        self.assertTrue(HELD_OUT.isdisjoint(training_triples()))
        self.assertEqual(len(training_triples()) + len(HELD_OUT), len(all_triples()))
        self.assertEqual(len(all_triples()), len(COLOURS) * len(SHAPES) * (len(COLOURS) - 1))

    def test_captions_and_consistency(self):
        self.assertEqual(caption(("red", "circle", "blue"), TEMPLATES[0]), "a red circle on a blue background")
        self.assertTrue(consistent(("red", "circle", "blue"), ("red", "circle", "green"), "a {c} {s}"))
        self.assertFalse(consistent(("red", "circle", "blue"), ("red", "circle", "green"), TEMPLATES[0]))


class ColourChecker(unittest.TestCase):
    def test_verdicts_on_renders(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.png")
            write_png(path, render(random_scene(random.Random(2), ("yellow", "cross", "purple"))))
            self.assertEqual(check_colours.classify(check_colours.read_png(path)), ("yellow", "purple"))
            script = os.path.join(SCRIPTS, "check_colours.py")
            ok = subprocess.run([sys.executable, script, path, "--expect-fg", "yellow", "--expect-bg", "purple"],
                                capture_output=True, text=True)
            self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
            bad = subprocess.run([sys.executable, script, path, "--expect-fg", "red", "--expect-bg", "purple"],
                                 capture_output=True, text=True)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("FAIL", bad.stdout)


if __name__ == "__main__":
    unittest.main()
