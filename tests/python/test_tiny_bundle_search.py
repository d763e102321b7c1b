"""`vqclip search` with the default bundle: over a folder of 40 shapes-world
renders (40 different triples, held-out ones included), each query caption
finds its own render among the first three, and the first hit has the
query's colours (models/tiny-shapes measures colours right 100% of the time
zero-shot, shapes 95%, 72.5% for held-out triples)."""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from eval_generation import write_png  # noqa: E402
from shapes_captions import CANONICAL, caption  # noqa: E402
from shapes_world import HELD_OUT, all_triples, random_scene, render  # noqa: E402

BUNDLE = os.path.join(ROOT, "models", "tiny-shapes")


@unittest.skipUnless(os.environ.get("VQCLIP_EXE"), "VQCLIP_EXE not set: run through ctest")
class TinyBundleSearch(unittest.TestCase):
    def test_each_query_finds_its_render_in_the_first_three_with_its_colours_first(self):
        rng = random.Random(5)
        others = [t for t in all_triples() if t not in HELD_OUT]
        triples = sorted(HELD_OUT) + rng.sample(others, 32)
        queries = triples[:4] + triples[8:12]  # four held-out triples, four seen ones
        with tempfile.TemporaryDirectory() as folder:
            for i, triple in enumerate(triples):
                write_png(os.path.join(folder, f"{i:02d}.png"), render(random_scene(rng, triple)))
            for triple in queries:
                text = caption(triple, CANONICAL)
                result = subprocess.run([os.environ["VQCLIP_EXE"], "search", folder, "-p", text, "--top", "3",
                                         "--json", "--models", BUNDLE, "--threads", "1"],
                                        capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, result.stderr)
                found = json.loads(result.stdout)
                self.assertEqual(found["embedded"] + found["cached"], len(triples))
                hits = [triples[int(r["path"][:2])] for r in found["results"]]
                self.assertIn(triple, hits, f"query '{text}': hits {hits}")
                self.assertEqual((hits[0][0], hits[0][2]), (triple[0], triple[2]), f"query '{text}': hits {hits}")


if __name__ == "__main__":
    unittest.main()
