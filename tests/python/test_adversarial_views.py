"""train_tiny_bundle.adversarial_views: the one-step attack of the adversarial
training options moves each view by the size asked, in pixel units, towards
a higher objective, and repeats exactly from the same generator."""
import unittest

import torch
import torch.nn.functional as F

from tests.python.support import small_clip
from train_tiny_bundle import STD, adversarial_views, contrastive_loss  # noqa: E402 (support puts scripts/ on the path)


def best_caption_score(logits: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(logits, 1).sum()


class AdversarialViews(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = small_clip("vit")
        gen = torch.Generator().manual_seed(3)
        cls.views = torch.randn(6, 3, 32, 32, generator=gen)
        with torch.no_grad():
            dim = cls.model.encode_image(cls.views[:1]).shape[1]
        cls.text = F.normalize(torch.randn(5, dim, generator=gen), dim=-1)

    def objective(self, views: torch.Tensor, objective) -> float:
        with torch.no_grad():
            image = F.normalize(self.model.encode_image(views), dim=-1)
            return float(objective(self.model.logit_scale.exp() * image @ self.text.t()))

    def attack(self, objective, eps: float, norm: str, seed: int = 1) -> torch.Tensor:
        return adversarial_views(self.model, self.views, self.text, objective, eps, norm,
                                 torch.Generator().manual_seed(seed))

    def test_an_l2_step_moves_each_view_by_eps_in_pixels_and_raises_the_objective(self):
        moved = self.attack(best_caption_score, 0.05, "l2")
        in_pixels = ((moved - self.views) * STD).flatten(1).norm(dim=1)
        torch.testing.assert_close(in_pixels, torch.full((6,), 0.05), rtol=1e-4, atol=1e-6)
        self.assertGreater(self.objective(moved, best_caption_score), self.objective(self.views, best_caption_score))

    def test_a_linf_step_stays_in_the_box_and_raises_the_contrastive_loss(self):
        truth = torch.zeros(6, 5)
        truth[torch.arange(5), torch.arange(5)] = 1   # five scenes, one negative
        loss = lambda logits: contrastive_loss(logits, truth, 5)   # noqa: E731
        moved = self.attack(loss, 2 / 255, "linf")
        in_pixels = (moved - self.views) * STD
        self.assertLessEqual(float(in_pixels.abs().max()), 2 / 255 * (1 + 1e-5))
        self.assertGreater(float(in_pixels.abs().max()), 1 / 255)
        self.assertGreater(self.objective(moved, loss), self.objective(self.views, loss))
        torch.testing.assert_close(self.attack(loss, 2 / 255, "linf"), moved, rtol=0, atol=0)
        self.assertFalse(torch.equal(self.attack(loss, 2 / 255, "linf", seed=2), moved))   # the random start


if __name__ == "__main__":
    unittest.main()
