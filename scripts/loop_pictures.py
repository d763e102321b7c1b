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
from shapes_captions import CaptionSampler, Mentions, Triple, caption
from shapes_world import HELD_OUT, SIZE, TrainingSampler, render_many

Views = Callable[[torch.Tensor, torch.Generator, int, float], torch.Tensor]


def spherical_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared great-circle distance of unit vectors (the loop's loss)."""
    return (a - b).norm(dim=-1).div(2).arcsin().pow(2).mul(2)


def shown_triples(images: np.ndarray, chunk: int = 256) -> List[Optional[Triple]]:
    """(colour, shape, background) that each uint8 [64, 64, 3] picture shows, or
    None; `chunk` pictures at a time (palette_labels holds 96 bytes a pixel)."""
    shown: List[Optional[Triple]] = []
    for start in range(0, len(images), chunk):
        labels = check_colours.palette_labels(images[start:start + chunk])
        colours = [check_colours.classify_labels(picture) for picture in labels]
        shapes = check_shape.find_shapes_in_labels(labels, [fg if fg is not None else bg for fg, bg in colours])
        shown += [(fg, shape, bg) if fg is not None and fg != bg and iou >= check_shape.MIN_IOU else None
                  for (fg, bg), (shape, iou) in zip(colours, shapes)]
    return shown


class LoopPictures:
    """A pool of latents, each optimised towards one training caption for
    `lifetime` steps, then restarted from random codes with a new caption.
    Ages start staggered, so the pool always holds young and mature pictures."""

    def __init__(self, vqgan, sampler: TrainingSampler, rng: random.Random, gen: torch.Generator, size: int,
                 lifetime: int, lr: float, views: int, resolution: int, make_views: Views, from_render: float = 0.0):
        self.vqgan, self.sampler, self.rng, self.gen = vqgan, sampler, rng, gen
        self.from_render = from_render
        self.captions = CaptionSampler(rng)
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
        """A new caption, and a start from random codes or (a from_render share
        of restarts) from the encoded render of the caption's own triple: the
        loop then drifts from a true picture, and what it drifts to once the
        scene is gone becomes a negative right next to the truth."""
        self.target_triples[i] = self.sampler.triple()
        if self.from_render and self.rng.random() < self.from_render:
            with torch.no_grad():
                picture = torch.from_numpy(render_many(self.rng, [self.target_triples[i]])).permute(0, 3, 1, 2)
                z = self.vqgan.encode(picture.float() / 127.5 - 1)[0]
            self.z[i] = torch.max(torch.min(z, self.high[0]), self.low[0])
        else:
            picks = torch.randint(0, len(self.codes), (self.grid, self.grid), generator=self.gen)
            self.z[i] = self.codes[picks].permute(2, 0, 1)
        self.first_moment[i] = 0
        self.second_moment[i] = 0
        self.age[i] = 0
        # Pulled towards whole descriptions, as prompts are.
        self.targets[i] = caption(self.target_triples[i], self.captions.phrasing((True, True, True)), self.rng)

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


def truth_rows(shown: Sequence[Optional[Triple]], described: Sequence[Triple], named: Sequence[Mentions],
               caption_truth) -> torch.Tensor:
    """[len(shown), len(described)]: 1 where a batch caption (of described[j],
    naming named[j]) is true of a pool picture; a picture that shows no scene
    is true of none."""
    rows = torch.zeros(len(shown), len(described))
    known = [i for i, t in enumerate(shown) if t is not None]
    if known:
        rows[known] = caption_truth([shown[i] for i in known], described, named)
    return rows
