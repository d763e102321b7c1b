"""`vqclip embed` read back with numpy: the .npy matrix has one unit row per
readable input in the sidecar's order, agrees with `vqclip score`'s cosines,
and equals the JSON lines form; an unreadable image is skipped with a
warning, and a run with nothing readable leaves no file behind."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
from PIL import Image

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny-shapes")


def vqclip(*args):
    return subprocess.run([os.environ["VQCLIP_EXE"], *args, "--models", BUNDLE, "--threads", "1"],
                          capture_output=True, text=True, timeout=300)


class Embed(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.folder = os.path.join(self.dir.name, "pictures")
        os.makedirs(self.folder)
        rng = np.random.default_rng(5)
        for i in range(5):
            Image.fromarray(rng.integers(0, 256, size=(30, 20 + i, 3), dtype=np.uint8)).save(
                os.path.join(self.folder, f"p{i}.png"))
        with open(os.path.join(self.folder, "broken.png"), "wb") as f:
            f.write(b"not a png")

    def tearDown(self):
        self.dir.cleanup()

    def out(self, name):
        return os.path.join(self.dir.name, name)

    def test_npy_rows_sidecar_and_scores(self):
        result = vqclip("embed", self.folder, "-o", self.out("images.npy"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("skipped: " + os.path.join(self.folder, "broken.png"), result.stderr)
        matrix = np.load(self.out("images.npy"))
        self.assertEqual(matrix.dtype, np.float32)
        self.assertEqual(matrix.shape, (5, 64))
        np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
        with open(self.out("images.json")) as f:
            sidecar = json.load(f)
        pictures = [os.path.join(self.folder, f"p{i}.png") for i in range(5)]
        self.assertEqual(sidecar["inputs"], pictures)
        self.assertEqual((sidecar["kind"], sidecar["rows"], sidecar["dim"]), ("image", 5, 64))

        texts = ["a red circle on a blue background", "a green square"]
        result = vqclip("embed", "--texts", *texts, "-o", self.out("texts.npy"))
        self.assertEqual(result.returncode, 0, result.stderr)
        text_matrix = np.load(self.out("texts.npy"))
        self.assertEqual(text_matrix.shape, (2, 64))

        scored = vqclip("score", *pictures, "-p", texts[0], "-p", texts[1], "--json")
        self.assertEqual(scored.returncode, 0, scored.stderr)
        cosine = np.array(json.loads(scored.stdout)["cosine"])
        np.testing.assert_allclose(matrix @ text_matrix.T, cosine, atol=1e-5)

    def test_json_lines_equal_the_npy_rows(self):
        self.assertEqual(vqclip("embed", self.folder, "-o", self.out("a.npy")).returncode, 0)
        lines = vqclip("embed", self.folder, "-o", "-", "--batch", "2")
        self.assertEqual(lines.returncode, 0, lines.stderr)
        rows = [json.loads(line) for line in lines.stdout.splitlines()]
        self.assertEqual([row["input"] for row in rows], [os.path.join(self.folder, f"p{i}.png") for i in range(5)])
        from_lines = np.array([row["embedding"] for row in rows], dtype=np.float32)
        np.testing.assert_allclose(from_lines, np.load(self.out("a.npy")), atol=1e-6)

    def test_texts_file_and_nothing_readable(self):
        with open(self.out("texts.txt"), "w") as f:
            f.write("a red circle\n\na blue cross\n")
        result = vqclip("embed", "--texts-file", self.out("texts.txt"), "-o", self.out("t.jsonl"))
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(self.out("t.jsonl")) as f:
            self.assertEqual([json.loads(line)["input"] for line in f], ["a red circle", "a blue cross"])

        empty = os.path.join(self.dir.name, "out")
        os.makedirs(empty)
        result = vqclip("embed", os.path.join(self.folder, "broken.png"), "-o", os.path.join(empty, "x.npy"))
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn("no readable image", result.stderr)
        self.assertEqual(os.listdir(empty), [], "no output and no temporary file")

        result = vqclip("embed", self.folder, "-o", self.out("x.csv"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("-o " + self.out("x.csv"), result.stderr)


if __name__ == "__main__":
    unittest.main()
