"""Pictures the generation loop makes with the CLIP being trained, as CLIP
training examples (used by train_tiny_bundle.py).

A CLIP trained only on renders is easy to fool: vqclip's loop found colour
blobs and stripes that the tiny CLIP scored as the prompted shape with 90%+
confidence while no circle, square, triangle or cross was in the picture.
Here a pool of VQGAN latents is optimised towards training captions the way
the loop does it (straight-through quantiser, loop-like views, squared
spherical distance, Adam, latent kept in the codebook's range), one step per
CLIP step, against the CLIP as it is at that step. Each pool picture is then
labelled by what it really shows (check_colours / check_shape): a picture
with a recognisable shape is an example of its own triple, any other is a
negative for every caption. So the loop's shortcuts become the CLIP's hard
negatives, and fewer of them are left for vqclip's loop to find
(models/tiny-shapes/README.md has the measured effect).

A picture that shows a held-out triple is left out of the batch: held-out
triples are never shown to the training."""
import random
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

import check_colours
import check_shape
from shapes_world import HELD_OUT, SIZE, TEMPLATES, Triple, TrainingSampler, caption

Views = Callable[[torch.Tensor, torch.Generator, int, float], torch.Tensor]


def spherical_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared great-circle distance of unit vectors (the loop's loss)."""
    return (a - b).norm(dim=-1).div(2).arcsin().pow(2).mul(2)


def shown_triples(images: np.ndarray) -> List[Optional[Triple]]:
    """(colour, shape, background) that each uint8 [64, 64, 3] picture shows, or None."""
    colours = [check_colours.classify(image) for image in images]
    shapes = check_shape.find_shapes(images, [fg if fg is not None else bg for fg, bg in colours])
    return [(fg, shape, bg) if fg is not None and fg != bg and iou >= check_shape.MIN_IOU else None
            for (fg, bg), (shape, iou) in zip(colours, shapes)]


class LoopPictures:
    """A pool of latents, each optimised towards one training caption for
    `lifetime` steps, then restarted from random codes with a new caption.
    Ages start staggered, so the pool always holds young and mature pictures."""

    def __init__(self, vqgan, sampler: TrainingSampler, rng: random.Random, gen: torch.Generator, size: int,
                 lifetime: int, lr: float, views: int, resolution: int, make_views: Views):
        self.vqgan, self.sampler, self.rng, self.gen = vqgan, sampler, rng, gen
        self.lifetime, self.lr, self.views, self.resolution, self.make_views = lifetime, lr, views, resolution, make_views
        codes = vqgan.codebook.detach()
        self.codes = codes
        self.low = codes.min(0).values.view(1, -1, 1, 1)
        self.high = codes.max(0).values.view(1, -1, 1, 1)
        self.grid = SIZE // vqgan.downsample_factor
        self.z = torch.empty(size, codes.shape[1], self.grid, self.grid)
        self.target_triples: List[Triple] = [("", "", "")] * size
        self.targets: List[str] = [""] * size
        self.first_moment = torch.zeros_like(self.z)
        self.second_moment = torch.zeros_like(self.z)
        self.age = torch.zeros(size, dtype=torch.long)
        self.distances = torch.zeros(size)
        for i in range(size):
            self._restart(i)
        # Staggered ages. Adam's bias correction reads the age, so the first step
        # of a latent that starts at a higher age is 0.5-1.2x what a fresh Adam's
        # would be (only until its first restart; kept: the shipped bundle was
        # trained this way).
        self.age = torch.tensor([i * lifetime // size for i in range(size)])

    def _restart(self, i: int) -> None:
        picks = torch.randint(0, len(self.codes), (self.grid, self.grid), generator=self.gen)
        self.z[i] = self.codes[picks].permute(2, 0, 1)
        self.first_moment[i] = 0
        self.second_moment[i] = 0
        self.age[i] = 0
        self.target_triples[i] = self.sampler.triple()
        self.targets[i] = caption(self.target_triples[i], self.rng.choice(TEMPLATES))

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        """The VQGAN's straight-through quantiser, then its decoder: [N, 3, SIZE, SIZE] in [0, 1]."""
        z_q, _, _ = self.vqgan.quantize(z)
        return ((self.vqgan.decode(z_q) + 1) / 2).clamp(0, 1)

    def step(self, clip, tokens) -> Tuple[torch.Tensor, List[Triple]]:
        """One loop step for every latent against `clip`; returns the pictures
        as they were before the step, [N, 3, SIZE, SIZE], without gradient, and
        the triples they were pulled towards."""
        with torch.no_grad():
            target = F.normalize(clip.encode_text(tokens(self.targets)), dim=-1)
        pulled_towards = list(self.target_triples)
        z = self.z.clone().requires_grad_(True)
        pictures = self._decode(z)
        views = self.make_views(pictures.repeat_interleave(self.views, 0), self.gen, self.resolution, 0.0)
        embedded = F.normalize(clip.encode_image(views), dim=-1)
        distances = spherical_distance(embedded, target.repeat_interleave(self.views, 0)).view(-1, self.views).mean(1)
        self.distances = distances.detach()   # each latent's loss before this step
        (grad,) = torch.autograd.grad(distances.sum(), z)
        with torch.no_grad():
            self._adam(grad)
            self.z = torch.max(torch.min(self.z, self.high), self.low)
        self.age += 1
        for i in (self.age >= self.lifetime).nonzero().flatten().tolist():
            self._restart(i)
        return pictures.detach(), pulled_towards

    def _adam(self, grad: torch.Tensor, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        """Adam with a step count per latent (bias correction restarts with the latent)."""
        self.first_moment.mul_(beta1).add_(grad, alpha=1 - beta1)
        self.second_moment.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        t = (self.age + 1).float().view(-1, 1, 1, 1)
        corrected_first = self.first_moment / (1 - beta1 ** t)
        corrected_second = self.second_moment / (1 - beta2 ** t)
        self.z -= self.lr * corrected_first / (corrected_second.sqrt() + eps)


def label(pictures: torch.Tensor) -> Tuple[List[int], List[Optional[Triple]]]:
    """Which pictures may be used (those not showing a held-out triple) and the
    triple each of those shows (None: no recognisable scene)."""
    images = (pictures.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()
    keep = [(i, t) for i, t in enumerate(shown_triples(images)) if t not in HELD_OUT]
    return [i for i, _ in keep], [t for _, t in keep]


def truth_rows(shown: Sequence[Optional[Triple]], batch_triples: Sequence[Triple], templates: Sequence[str],
               caption_truth) -> torch.Tensor:
    """[len(shown), len(batch_triples)]: 1 where a batch caption is true of a pool picture."""
    rows = torch.zeros(len(shown), len(batch_triples))
    known = [i for i, t in enumerate(shown) if t is not None]
    if known:
        # caption_truth compares every triple with every caption; only the columns' templates matter.
        triples = [shown[i] for i in known] + list(batch_triples)
        rows[known] = caption_truth(triples, [TEMPLATES[0]] * len(known) + list(templates))[:len(known), len(known):]
    return rows
