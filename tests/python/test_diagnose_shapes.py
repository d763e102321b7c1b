"""scripts/diagnose_shapes.py's VQGAN measures on the shipped tiny bundle: the
round trip, and the drawer's optimisation pulled towards a render's pixels."""
import os
import random
import unittest

import numpy as np

from tests.python.support import SCRIPTS
import check_shape  # noqa: E402 (support puts scripts/ on the path)
from diagnose_shapes import reach, round_trip
from shapes_world import random_scene, render, training_triples

BUNDLE = os.path.join(SCRIPTS, "..", "models", "tiny-shapes")


class VqganMeasures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = random.Random(11)
        cls.triples = [t for t in training_triples() if t[1] == "cross"][:4]
        cls.renders = np.stack([render(random_scene(rng, t)) for t in cls.triples])

    def shown(self, pictures):
        return [check_shape.shows(p, t[0], t[1])[0] for p, t in zip(pictures, self.triples)]

    def test_the_round_trip_keeps_crosses(self):
        trips = round_trip(BUNDLE, self.renders)
        self.assertEqual(trips.shape, self.renders.shape)
        self.assertEqual(self.shown(trips), [True] * 4)

    def test_the_drawer_reaches_crosses_from_random_codes_when_pulled_towards_their_pixels(self):
        start = reach(BUNDLE, self.renders, steps=0, seed=7)
        self.assertEqual(self.shown(start), [False] * 4)   # random codes show no cross
        reached = reach(BUNDLE, self.renders, steps=150, seed=7)   # IoU 0.80-0.87 here; 100 steps left one at 0.72
        self.assertEqual(self.shown(reached), [True] * 4)


if __name__ == "__main__":
    unittest.main()
