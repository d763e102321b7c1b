"""The shapes world renderer, its captions and held-out split, and the colour and shape checkers."""
import os
import random
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)
import check_colours  # noqa: E402
import check_shape  # noqa: E402
from eval_generation import by_repeat, by_shape, legend, summarise, write_png  # noqa: E402
import shapes_captions  # noqa: E402
from shapes_captions import CANONICAL, CaptionSampler, caption, consistent, mentions, parse_caption  # noqa: E402
from shapes_world import (COLOURS, HELD_OUT, PALETTE, SHAPES, Scene, all_triples, parse_prompt,  # noqa: E402
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



class CaptionGrammar(unittest.TestCase):
    def test_truth_rule(self):
        red_circle_on_blue = ("red", "circle", "blue")
        table = [
            ("a red circle on a blue background", True),
            ("a red disc against a blue background", True),
            ("a circle on a blue background", True),
            ("a circle on a red background", False),       # the colour's role matters
            ("a blue background with a small circle", True),
            ("a red background with a small circle", False),
            ("something red", True),
            ("something blue", False),                      # blue is the background, not the shape
            ("a plain blue background", True),
            ("a plain red background", False),
            ("a red shape on a blue background", True),
            ("a blue shape on a red background", False),
            ("a red square on a blue background", False),
            ("a red plus sign", False),
            ("a circle", True),
            ("an image of a triangle", False),
        ]
        for text, expected in table:
            colour, shape, background, template = parse_caption(text)
            described = (colour or "green", shape or "square", background or "green")
            with self.subTest(text=text):
                self.assertEqual(consistent(red_circle_on_blue, described, mentions(template)), expected)

    def test_every_caption_reads_back(self):
        rng = random.Random(3)
        for phrasing in shapes_captions.phrasings()[::17]:
            triple = rng.choice(all_triples())
            text = caption(triple, phrasing.template, rng)
            colour, shape, background, template = parse_caption(text)
            named = mentions(phrasing.template)
            self.assertEqual(mentions(template), named, text)
            self.assertEqual((colour, shape, background), tuple(a if n else None for a, n in zip(triple, named)), text)
            self.assertEqual(parse_prompt(text), (colour, shape, background))

    def test_held_out_phrasings_never_reach_training(self):
        held = set(shapes_captions.held_out_phrasings())
        training = set(shapes_captions.training_phrasings())
        self.assertTrue(held)
        self.assertTrue(held.isdisjoint(training))
        self.assertIn(CANONICAL, training)
        # Every kind of description is held out in some phrasings, and about a fifth of all of them.
        kinds = {mentions(t) for t in held}
        self.assertEqual(kinds, set(shapes_captions.TRAINING_MIX))
        self.assertAlmostEqual(len(held) / (len(held) + len(training)), 0.2, delta=0.03)
        # What is held out is the combination: every word is also in a training phrasing.
        self.assertEqual(shapes_captions.words(held) - shapes_captions.words(training), set())
        sampler = CaptionSampler(random.Random(4))
        drawn = {sampler.phrasing() for _ in range(20000)}
        self.assertTrue(drawn.isdisjoint(held))
        self.assertGreater(len(drawn), 0.8 * len(training))

    def test_word_by_word_tokens_equal_the_tokenizers_own(self):
        import train_tiny_bundle
        from zero_shot_eval import tokenize_with
        rng = random.Random(6)
        texts = [caption(rng.choice(all_triples()), p.template, rng) for p in shapes_captions.phrasings()[::5]]
        texts += ["A Red  Circle, on blue", "an unknown hexagon in magenta"]
        with tempfile.TemporaryDirectory() as d:
            model = train_tiny_bundle.train_tokenizer(d, seed=1)
            manifest = {"clip": {"context_length": train_tiny_bundle.CONTEXT, "tokenizer": {
                "bos_id": train_tiny_bundle.BOS, "eos_id": train_tiny_bundle.EOS, "pad_id": train_tiny_bundle.PAD,
                "lowercase": True}}}
            expected = tokenize_with(model, manifest, texts)
            self.assertTrue(torch.equal(train_tiny_bundle.CaptionTokens(model)(texts), expected))

    def test_the_tokenizer_corpus_holds_no_held_out_phrasing_or_triple(self):
        from train_tiny_bundle import tokenizer_corpus
        held = set(shapes_captions.held_out_phrasings())
        for text in tokenizer_corpus(seed=5, per_phrasing=1):
            colour, shape, background, template = parse_caption(text)
            self.assertNotIn(template, held, text)
            if colour and shape and background:
                self.assertNotIn((colour, shape, background), HELD_OUT, text)


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


class ShapeChecker(unittest.TestCase):
    def test_finds_the_shape_of_renders_anywhere_in_the_world(self):
        rng = random.Random(6)
        triples = [rng.choice(all_triples()) for _ in range(120)]
        images = np.stack([render(random_scene(rng, t)) for t in triples])
        found = check_shape.find_shapes(images, [t[0] for t in triples])
        self.assertEqual([shape for shape, _ in found], [t[1] for t in triples])
        self.assertGreater(min(iou for _, iou in found), check_shape.MIN_IOU + 0.1)

    def test_the_correlation_gives_each_templates_overlap_with_the_mask(self):
        # Every template drawn directly (shape_mask at its centre and side),
        # including ones the picture's edge cuts, against random masks.
        masks = (np.random.default_rng(3).random((5, 64, 64)) < 0.4).astype(np.float32)
        overlaps = check_shape.overlaps(torch.from_numpy(masks))
        areas = check_shape.template_areas()[:, 0]
        kinds = check_shape.template_shapes()
        index = 0
        for shape in SHAPES:
            for cy in check_shape.CENTRES:
                for cx in check_shape.CENTRES:
                    for side in check_shape.SIDES:
                        if index % 97 == 0 or (cx == check_shape.CENTRES[0] and side == check_shape.SIDES[-1]):
                            template = shape_mask(Scene("red", shape, "blue", cx, cy, side))
                            self.assertEqual(SHAPES[kinds[index]], shape)
                            self.assertEqual(areas[index], template.sum())
                            self.assertEqual(overlaps[index].tolist(),
                                             [float((template * m).sum()) for m in masks])
                        index += 1
        self.assertEqual(index, len(overlaps))

    def test_a_blob_is_no_shape_and_the_command_says_so(self):
        ys, xs = np.mgrid[0:64, 0:64]
        blob = np.full((64, 64, 3), PALETTE["blue"], dtype=np.uint8)
        # Three disjoint stripes: the kind of picture a fooled CLIP accepts.
        blob[((ys // 6) % 3 == 0) & (xs > 10) & (xs < 54)] = PALETTE["red"]
        shape, iou = check_shape.find_shape(blob, "red")
        self.assertLess(iou, check_shape.MIN_IOU, shape)
        with tempfile.TemporaryDirectory() as d:
            good, bad = os.path.join(d, "good.png"), os.path.join(d, "bad.png")
            write_png(good, render(random_scene(random.Random(2), ("red", "triangle", "blue"))))
            write_png(bad, blob)
            script = os.path.join(SCRIPTS, "check_shape.py")
            run = subprocess.run([sys.executable, script, good, "--prompt", "a red triangle on a blue background"],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            run = subprocess.run([sys.executable, script, good, bad, "--prompt", "a red triangle on blue"],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 1)
            self.assertIn("FAIL", run.stdout)
            run = subprocess.run([sys.executable, script, good, "--prompt", "a picture"], capture_output=True, text=True)
            self.assertEqual(run.returncode, 2)
            self.assertIn("--prompt", run.stderr)
            broken = os.path.join(d, "broken.png")
            with open(broken, "wb") as f:
                f.write(b"not a picture")
            run = subprocess.run([sys.executable, script, broken, "--prompt", "a red triangle"], capture_output=True,
                                 text=True)
            self.assertEqual(run.returncode, 2)
            self.assertIn("broken.png", run.stderr)


class GenerationLegend(unittest.TestCase):
    def test_one_line_per_picture_in_sheet_order(self):
        rows = [{"prompt": "a red circle on a green background", "held_out": True, "foreground": "red",
                 "background": "green", "pass": True, "shape": "circle", "shape_iou": 0.771, "shape_pass": True},
                {"prompt": "a white square on a red background", "held_out": False, "foreground": None,
                 "background": "red", "pass": False, "shape": "cross", "shape_iou": 0.02, "shape_pass": False}]
        lines = legend(rows, columns=1).splitlines()
        self.assertEqual(len(lines), 4)
        self.assertEqual(lines[2], "| 1, 1 | a red circle on a green background (held out) | red on green | pass | "
                                   "circle (0.77) | pass |")
        self.assertEqual(lines[3], "| 2, 1 | a white square on a red background | none on red | fail | "
                                   "cross (0.02) | fail |")


class GenerationByShape(unittest.TestCase):
    def test_counts_passes_and_best_matches_per_prompted_shape_in_world_order(self):
        def row(prompted, found, passed):
            return {"prompted_shape": prompted, "shape": found, "shape_pass": passed}
        rows = [row("cross", "circle", False), row("circle", "circle", True), row("cross", "cross", False),
                row("cross", "cross", True), row("circle", "square", False)]
        tally = by_shape(rows)
        self.assertEqual(list(tally), ["circle", "cross"])
        self.assertEqual(tally["circle"], {"count": 2, "shape_pass": 1, "best_match": 1})
        self.assertEqual(tally["cross"], {"count": 3, "shape_pass": 1, "best_match": 2})

    def test_the_shapes_option_refuses_an_unknown_shape_before_rendering(self):
        script = os.path.join(SCRIPTS, "eval_generation.py")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            run = subprocess.run([sys.executable, script, "--vqclip", "/nonexistent", "--out", out, "--shapes",
                                  "cross,star"], capture_output=True, text=True)
            self.assertEqual(run.returncode, 2)
            self.assertIn("'star'", run.stderr)
            self.assertFalse(os.path.exists(out))


class GenerationRepeats(unittest.TestCase):
    @staticmethod
    def row(repeat, shape, fg, bg, shape_pass, held_out=False):
        return {"repeat": repeat, "prompted_shape": shape, "shape": shape, "foreground_pass": fg,
                "background_pass": bg, "shape_pass": shape_pass, "held_out": held_out}

    def test_rates_are_over_every_picture_and_the_held_out_ones_apart(self):
        rows = [self.row(0, "circle", True, True, True, held_out=True), self.row(0, "cross", True, False, False),
                self.row(1, "circle", False, True, False, held_out=True), self.row(1, "cross", True, True, True)]
        summary = summarise(rows)
        self.assertEqual((summary["count"], summary["foreground"], summary["background"], summary["shape"]),
                         (4, 0.75, 0.75, 0.5))
        self.assertEqual((summary["held_out_count"], summary["held_out_foreground"], summary["held_out_shape"]),
                         (2, 0.5, 0.5))
        self.assertEqual(summary["by_shape"]["cross"], {"count": 2, "shape_pass": 1, "best_match": 2})
        self.assertEqual(by_repeat(rows), [{"foreground": 1.0, "background": 0.5, "shape": 0.5},
                                           {"foreground": 0.5, "background": 1.0, "shape": 0.5}])

    def test_no_held_out_picture_gives_no_held_out_rates(self):
        summary = summarise([self.row(0, "square", True, True, False)])
        self.assertEqual(summary["held_out_count"], 0)
        self.assertIsNone(summary["held_out_shape"])

    def test_fewer_than_one_repeat_is_refused_before_rendering(self):
        script = os.path.join(SCRIPTS, "eval_generation.py")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            run = subprocess.run([sys.executable, script, "--vqclip", "/nonexistent", "--out", out, "--repeats", "0"],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 2)
            self.assertIn("--repeats: 0", run.stderr)
            self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
