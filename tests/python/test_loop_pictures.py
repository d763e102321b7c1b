"""The generation-loop pictures that join the tiny CLIP's training
(scripts/loop_pictures.py): how they are labelled, and the loop itself."""
import random
import unittest

import numpy as np
import torch
import torch.nn.functional as F

from tests.python.support import small_clip, small_vqgan
from loop_pictures import LoopPictures, label, truth_rows  # noqa: E402 (support puts scripts/ on the path)
import check_colours
from shapes_world import (BROKEN_KINDS, HELD_OUT, PALETTE, SHAPES, TrainingSampler, broken_scene, collage,
                          random_scene, render, training_triples)
from train_tiny_bundle import caption_truth, off_palette_renders, read_as


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255


class Labels(unittest.TestCase):
    def test_renders_show_their_triple_and_held_out_ones_are_left_out(self):
        rng = random.Random(3)
        seen = rng.sample(training_triples(), 6)
        held = sorted(HELD_OUT)[:3]
        pictures = as_tensor(np.stack([render(random_scene(rng, t)) for t in seen + held]))
        keep, shown = label(pictures)
        self.assertEqual(keep, list(range(len(seen))))
        self.assertEqual(shown, seen)

    def test_a_patchwork_or_noise_shows_no_scene(self):
        rng = random.Random(4)
        patchworks = [collage(rng, ["red", "blue"]), collage(rng, ["yellow", "black"])]
        noise = np.random.default_rng(0).integers(0, 256, (1, 64, 64, 3), dtype=np.uint8)
        keep, shown = label(as_tensor(np.concatenate([np.stack(patchworks), noise])))
        self.assertEqual(keep, [0, 1, 2])
        self.assertEqual(shown, [None, None, None])

    def test_broken_scenes_keep_their_colours_and_mostly_show_no_scene(self):
        rng = random.Random(5)
        sampler = TrainingSampler(rng)
        for kind in BROKEN_KINDS:
            triples = [sampler.triple() for _ in range(40)]
            pictures = np.stack([broken_scene(rng, t, kind) for t in triples])
            for (colour, _, background), picture in zip(triples, pictures):
                used = {tuple(p) for p in picture.reshape(-1, 3)}
                self.assertEqual(used, {PALETTE[colour], PALETTE[background]}, kind)
            keep, shown = label(as_tensor(pictures))
            scenes = [t for t in shown if t is not None]
            # Labelled by what they show: the trainer needs most to be negatives,
            # and anything recognised has the picture's own colours.
            self.assertLess(len(scenes), 0.6 * len(keep), kind)
            for i, t in zip(keep, shown):
                if t is not None:
                    self.assertEqual((t[0], t[2]), (triples[i][0], triples[i][2]), kind)
        self.assertEqual(broken_scene(random.Random(9), ("red", "cross", "blue")).tobytes(),
                         broken_scene(random.Random(9), ("red", "cross", "blue")).tobytes())
        with self.assertRaises(ValueError):
            broken_scene(rng, ("red", "cross", "blue"), "melted")

    def test_off_palette_renders_read_as_the_colours_the_checker_finds(self):
        self.assertEqual([read_as(np.array(PALETTE[c]), 0.5) for c in PALETTE], list(PALETTE))
        self.assertIsNone(read_as(np.array([130, 110, 110]), 0.1))        # between colours: no clear reading
        rng = random.Random(6)
        pictures, shapes, reads = off_palette_renders(rng, TrainingSampler(rng), 300, 0.5)
        clear = [i for i, read in enumerate(reads) if read is not None]
        self.assertTrue(50 < len(clear) < 250, len(clear))
        images = (pictures.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()
        for i in clear:
            colour, shape, background = reads[i]
            self.assertEqual(check_colours.classify(images[i]), (colour, background))
            self.assertEqual(SHAPES[int(shapes[i])], shape)
            self.assertNotIn(reads[i], HELD_OUT)

    def test_truth_rows_follow_what_a_picture_shows(self):
        batch = [("red", "circle", "green"), ("red", "circle", "green"), ("blue", "square", "white")]
        named = [(True, True, False), (True, True, True), (True, True, False)]
        rows = truth_rows([("red", "circle", "blue"), None], batch, named, caption_truth)
        # "a red circle" is true of a red circle on blue; "... on a green background" is not.
        self.assertEqual(rows.tolist(), [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def words_to_tokens(texts):
    """A stand-in tokenizer: ids from the words, ending in the small CLIP's end-of-text id (99)."""
    rows = [[2] + [sum(map(ord, word)) % 90 + 5 for word in text.split()][:10] + [99] for text in texts]
    out = torch.zeros(len(rows), 12, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, :len(row)] = torch.tensor(row)
    return out


def resized_views(pictures, gen, resolution, clean_fraction):
    return F.interpolate(pictures, size=(resolution, resolution), mode="bilinear", align_corners=False)


class Loop(unittest.TestCase):
    def make_pool(self, lifetime=100, size=3, from_render=0.0):
        return LoopPictures(small_vqgan(), TrainingSampler(random.Random(1)), random.Random(1),
                            torch.Generator().manual_seed(1), size=size, lifetime=lifetime, lr=0.1, views=2,
                            resolution=32, make_views=resized_views, from_render=from_render)

    def test_latents_start_from_random_codes_or_from_their_captions_renders(self):
        def codebook_vectors(pool):
            """Which latents are made of codebook rows only (a random-code start)."""
            flat = pool.z.permute(0, 2, 3, 1).reshape(len(pool.z), -1, pool.z.shape[1])
            return [bool(((v[:, None, :] - pool.codes[None]).abs().amax(-1).min(1).values == 0).all()) for v in flat]

        self.assertEqual(codebook_vectors(self.make_pool()), [True] * 3)
        from_render = self.make_pool(size=4, from_render=1.0)
        self.assertEqual(codebook_vectors(from_render), [False] * 4)
        self.assertTrue(bool((from_render.z >= from_render.low).all() and (from_render.z <= from_render.high).all()))
        mixed = self.make_pool(size=24, from_render=0.5)
        self.assertEqual(sorted(set(codebook_vectors(mixed))), [False, True])

    def test_steps_pull_latents_towards_their_captions_within_the_codebook_range(self):
        clip = small_clip("vit")
        pool = self.make_pool()
        first = None
        for _ in range(25):
            pictures, pulled = pool.step(clip, words_to_tokens)
            first = pool.distances.clone() if first is None else first
        self.assertEqual(tuple(pictures.shape), (3, 3, 64, 64))
        self.assertEqual(pulled, pool.target_triples)
        self.assertTrue(bool((pool.distances < first).all()), f"{first} -> {pool.distances}")
        self.assertTrue(bool((pool.z >= pool.low).all() and (pool.z <= pool.high).all()))
        self.assertTrue(all(p.grad is None for p in clip.parameters()), "the loop must not touch CLIP's gradients")

    def test_a_latent_restarts_after_its_lifetime_and_runs_repeat_exactly(self):
        clip = small_clip("vit")
        pools = [self.make_pool(lifetime=4), self.make_pool(lifetime=4)]
        ages = []
        for _ in range(5):
            for pool in pools:
                pool.step(clip, words_to_tokens)
            ages.append(pools[0].age.tolist())
        # Staggered start (ages 0, 1, 2 of 4); each wraps to 0 when it reaches 4.
        self.assertEqual(ages, [[1, 2, 3], [2, 3, 0], [3, 0, 1], [0, 1, 2], [1, 2, 3]])
        self.assertTrue(torch.equal(pools[0].z, pools[1].z))
        self.assertEqual(pools[0].targets, pools[1].targets)


if __name__ == "__main__":
    unittest.main()
