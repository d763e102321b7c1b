"""The SQLite search index under real processes: an indexer killed with
SIGKILL part way loses at most its batch in flight and the next run embeds
only the rest; Ctrl-C commits the batch in flight and exits 130 (and embed
writes the rows done so far); two indexers and a stream of index-only searches on one folder
at once all succeed and leave every image indexed once. The collection is
written by Pillow; the index is read back with Python's own sqlite3."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import numpy as np
from PIL import Image

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny-shapes")
INDEX = ".vqclip-index.sqlite"


def vqclip(*args):
    return [os.environ["VQCLIP_EXE"], *args, "--models", BUNDLE, "--threads", "1", "-q"]


def write_collection(folder, count, start=0):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(start)
    for i in range(start, start + count):
        colour = rng.integers(0, 256, size=3, dtype=np.uint8)
        pixels = np.tile(colour, (24, 24, 1))
        pixels[6:18, 6:18] = 255 - colour
        Image.fromarray(pixels).save(os.path.join(folder, f"{i:05d}.png"))


def indexed_rows(folder):
    """Rows in the index, or None while it is not there yet."""
    try:
        with sqlite3.connect(f"file:{os.path.join(folder, INDEX)}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT count(*) FROM images").fetchone()[0]
    except sqlite3.Error:
        return None


def run_json(args):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def ranking(folder, *extra):
    found = run_json(vqclip("search", folder, "a red circle", "--top", "0", "--json", *extra))
    return {hit["path"]: hit["score"] for hit in found["results"]}


class SearchIndexProcesses(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def test_a_killed_indexer_resumes_where_it_stopped(self):
        folder = os.path.join(self.dir.name, "pictures")
        total = 1500
        write_collection(folder, total)
        indexer = subprocess.Popen(vqclip("index", folder, "--batch", "4"), stderr=subprocess.DEVNULL)
        seen = None
        while indexer.poll() is None:
            seen = indexed_rows(folder)
            if seen:
                indexer.kill()
                break
            time.sleep(0.002)
        indexer.wait()
        self.assertEqual(indexer.returncode, -9, "killed part way (the indexer finished first: make the collection larger)")
        kept = indexed_rows(folder)
        self.assertGreater(kept, 0)
        self.assertLess(kept, total)
        self.assertEqual(kept % 4, 0, "whole batches only")
        self.assertGreaterEqual(kept, seen)

        resumed = run_json(vqclip("index", folder, "--json"))
        self.assertEqual(resumed["cached"], kept)
        self.assertEqual(resumed["embedded"], total - kept)
        self.assertEqual(indexed_rows(folder), total)

        # The same figures as an index made in one go.
        fresh = os.path.join(self.dir.name, "fresh")
        shutil.copytree(folder, fresh, ignore=shutil.ignore_patterns(".vqclip-index*"))
        expected = ranking(fresh)
        got = ranking(folder)
        self.assertEqual(sorted(got), sorted(expected))
        for path, score in expected.items():
            self.assertAlmostEqual(got[path], score, places=5, msg=path)

    def test_ctrl_c_commits_the_batch_in_flight_and_exits_130(self):
        folder = os.path.join(self.dir.name, "pictures")
        total = 1500
        write_collection(folder, total)
        indexer = subprocess.Popen(vqclip("index", folder, "--batch", "4")[:-1], stderr=subprocess.PIPE, text=True)
        while indexer.poll() is None and not indexed_rows(folder):
            time.sleep(0.002)
        indexer.send_signal(signal.SIGINT)
        _, err = indexer.communicate()
        self.assertEqual(indexer.returncode, 130, err)
        self.assertIn("interrupted", err)
        kept = indexed_rows(folder)
        self.assertLess(kept, total)
        self.assertEqual(kept % 4, 0)
        resumed = run_json(vqclip("index", folder, "--json"))
        self.assertEqual((resumed["cached"], resumed["embedded"]), (kept, total - kept))

    def test_ctrl_c_in_embed_writes_the_rows_so_far(self):
        folder = os.path.join(self.dir.name, "pictures")
        write_collection(folder, 1500)
        out = os.path.join(self.dir.name, "out.npy")
        embed = subprocess.Popen(vqclip("embed", folder, "-o", out, "--batch", "4"), stderr=subprocess.PIPE, text=True)
        partial = os.path.join(self.dir.name, f".out.npy.partial-{embed.pid}")
        while embed.poll() is None and not (os.path.exists(partial) and os.path.getsize(partial) > 128):
            time.sleep(0.002)
        embed.send_signal(signal.SIGINT)
        _, err = embed.communicate()
        self.assertEqual(embed.returncode, 130, err)
        rows = np.load(out)
        with open(os.path.join(self.dir.name, "out.json")) as f:
            sidecar = json.load(f)
        self.assertTrue(sidecar["interrupted"])
        self.assertGreater(len(rows), 0)
        self.assertLess(len(rows), 1500)
        self.assertEqual(len(sidecar["inputs"]), len(rows))
        self.assertFalse(os.path.exists(partial))

    def test_two_indexers_and_searches_at_once(self):
        folder = os.path.join(self.dir.name, "pictures")
        write_collection(folder, 100)
        run_json(vqclip("index", folder, "--json"))
        write_collection(folder, 900, start=100)
        logs = [open(os.path.join(self.dir.name, f"indexer{i}.log"), "w+") for i in range(2)]
        indexers = [subprocess.Popen(vqclip("index", folder, "--batch", "4"), stderr=log) for log in logs]
        searched = []
        while any(p.poll() is None for p in indexers):
            found = run_json(vqclip("search", folder, "a red circle", "--index-only", "--top", "3", "--json"))
            searched.append(found["searched"])
        for indexer, log in zip(indexers, logs):
            log.seek(0)
            self.assertEqual(indexer.wait(), 0, log.read())
            log.close()
        print(f"\n[ figures ] {len(searched)} searches during indexing saw {searched[0]}..{searched[-1]} images",
              flush=True)
        self.assertGreater(len(searched), 1)
        self.assertEqual(searched, sorted(searched), "a search never sees fewer images than the one before")
        self.assertGreaterEqual(searched[0], 100)
        final = run_json(vqclip("index", folder, "--json"))
        self.assertEqual((final["embedded"], final["cached"]), (0, 1000))
        with sqlite3.connect(os.path.join(folder, INDEX)) as db:
            self.assertEqual(db.execute("SELECT count(*), count(DISTINCT path) FROM images").fetchone(), (1000, 1000))
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")


if __name__ == "__main__":
    unittest.main()
