"""CLIP: our explicit attention equals PyTorch's, both official checkpoint forms
load strictly into the same model, and the exported modules equal eager."""
import os
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from vqclip_models.checkpoints import CheckpointError, build_clip_from_state_dict, load_official_clip  # noqa: E402
from vqclip_models.clip_arch import CLIP, ClipImageEncoder, ClipTextEncoder, MultiheadSelfAttention  # noqa: E402
from vqclip_models.clip_resnet import AttentionPool2d  # noqa: E402
from vqclip_models.fixtures import randomize_batchnorm, save_clip_archive  # noqa: E402

EOS = support.TEXT["vocab_size"] - 1


class Attention(unittest.TestCase):
    def test_self_attention_equals_nn_multihead_attention(self):
        torch.manual_seed(0)
        ours, reference = MultiheadSelfAttention(64, 4), torch.nn.MultiheadAttention(64, 4)
        reference.load_state_dict(ours.state_dict())
        x = torch.randn(2, 9, 64)
        causal = torch.full((9, 9), float("-inf")).triu(1)  # the official additive mask
        for is_causal, mask in ((False, None), (True, causal)):
            want = reference(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), need_weights=False,
                             attn_mask=mask)[0].transpose(0, 1)
            self.assertLess(support.max_difference(ours(x, is_causal), want), 1e-5)

    def test_attention_pool_equals_the_official_multi_head_attention_forward(self):
        torch.manual_seed(0)
        pool = AttentionPool2d(spatial_dim=3, embed_dim=64, num_heads=2, output_dim=16)
        x = torch.randn(2, 64, 3, 3)
        tokens = x.flatten(2).permute(2, 0, 1)
        tokens = torch.cat([tokens.mean(0, keepdim=True), tokens]) + pool.positional_embedding[:, None, :]
        want, _ = F.multi_head_attention_forward(
            tokens, tokens, tokens, 64, 2, in_proj_weight=None,
            in_proj_bias=torch.cat([pool.q_proj.bias, pool.k_proj.bias, pool.v_proj.bias]), bias_k=None,
            bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=pool.c_proj.weight,
            out_proj_bias=pool.c_proj.bias, use_separate_proj_weight=True, q_proj_weight=pool.q_proj.weight,
            k_proj_weight=pool.k_proj.weight, v_proj_weight=pool.v_proj.weight, need_weights=False)
        self.assertLess(support.max_difference(pool(x), want[0]), 1e-5)


class TextPooling(unittest.TestCase):
    def test_pools_at_the_first_end_of_text(self):
        clip = support.small_clip("vit")
        rows = support.tokens(EOS, lengths=(3,))
        twice = rows.clone()
        twice[0, 6] = EOS  # a second end-of-text later must not move the pooling
        with torch.no_grad():
            self.assertLess(support.max_difference(clip.encode_text(twice), clip.encode_text(rows)), 1e-6)

    def test_default_end_of_text_is_the_official_argmax(self):
        clip = support.small_clip("vit")
        rows = support.tokens(EOS)
        with torch.no_grad():
            x = clip.ln_final(clip.transformer(clip.token_embedding(rows) + clip.positional_embedding))
            official = x[torch.arange(2), rows.argmax(dim=-1)] @ clip.text_projection
            self.assertLess(support.max_difference(clip.encode_text(rows), official), 1e-6)

    def test_explicit_end_of_text_id(self):
        torch.manual_seed(0)
        clip = CLIP(**support.SMALL_VIT, eot_id=3).eval()
        rows = torch.tensor([[2, 50, 60, 3, 0, 0, 0, 0, 0, 0, 0, 0]])
        with torch.no_grad():
            x = clip.ln_final(clip.transformer(clip.token_embedding(rows) + clip.positional_embedding))
            self.assertLess(support.max_difference(clip.encode_text(rows), x[:, 3] @ clip.text_projection), 1e-6)


class CheckpointForms(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name: str) -> str:
        return os.path.join(self.dir.name, name)

    def assert_same_outputs(self, loaded: CLIP, clip: CLIP, tolerance: float = 1e-6):
        images = torch.randn(2, 3, clip.visual.input_resolution, clip.visual.input_resolution)
        rows = support.tokens(EOS)
        with torch.no_grad():
            self.assertLess(support.max_difference(loaded.encode_image(images), clip.encode_image(images)), tolerance)
            self.assertLess(support.max_difference(loaded.encode_text(rows), clip.encode_text(rows)), tolerance)

    def test_archive_and_plain_state_dict_load_strictly_for_both_families(self):
        for family in ("vit", "rn"):
            with self.subTest(family):
                clip = support.small_clip(family)
                randomize_batchnorm(clip, torch.Generator().manual_seed(1))
                save_clip_archive(clip, self.path("archive.pt"))
                torch.save(clip.state_dict(), self.path("plain.pt"))
                for form in ("archive.pt", "plain.pt"):
                    loaded = load_official_clip(self.path(form))
                    self.assertEqual(type(loaded.visual), type(clip.visual))
                    self.assertEqual(loaded.visual.input_resolution, clip.visual.input_resolution)
                    self.assert_same_outputs(loaded, clip)

    def test_archive_has_the_official_extra_attributes_and_no_class_of_ours(self):
        clip = support.small_clip("vit")
        save_clip_archive(clip, self.path("archive.pt"))
        archive = torch.jit.load(self.path("archive.pt"))
        self.assertEqual(set(archive.state_dict()) - set(clip.state_dict()),
                         {"input_resolution", "context_length", "vocab_size"})
        self.assertNotIn("CLIP", archive.original_name)

    def test_float16_archive_becomes_a_float32_model(self):
        clip = support.small_clip("rn")
        save_clip_archive(clip, self.path("half.pt"), dtype=torch.float16)
        loaded = load_official_clip(self.path("half.pt"))
        self.assertEqual({p.dtype for p in loaded.parameters()}, {torch.float32})
        self.assertTrue(torch.equal(loaded.text_projection, clip.text_projection.half().float()))
        self.assertEqual(loaded.visual.bn1.num_batches_tracked.dtype, torch.int64)

    def test_mismatches_are_one_line_checkpoint_errors(self):
        state = dict(support.small_clip("vit").state_dict())
        cases = {"missing": {k: v for k, v in state.items() if k != "visual.ln_post.bias"},
                 "unexpected": dict(state, extra=torch.zeros(1)),
                 "shape": dict(state, **{"ln_final.bias": torch.zeros(3)}),
                 "not clip": {"weight": torch.zeros(2)}}
        for name, broken in cases.items():
            with self.subTest(name), self.assertRaises(CheckpointError) as caught:
                build_clip_from_state_dict(broken, "x.pt")
            self.assertEqual(len(str(caught.exception).splitlines()), 1)
            self.assertTrue(str(caught.exception).startswith("x.pt: "))

    def test_unreadable_files_are_checkpoint_errors(self):
        with open(self.path("junk.pt"), "w") as f:
            f.write("not a checkpoint")
        torch.save([1, 2, 3], self.path("list.pt"))
        for name in ("absent.pt", "junk.pt", "list.pt"):
            with self.subTest(name), self.assertRaises(CheckpointError) as caught:
                load_official_clip(self.path(name))
            self.assertIn(name, str(caught.exception))


class Export(unittest.TestCase):
    def test_scripted_encoders_equal_eager_for_any_batch(self):
        for family in ("vit", "rn"):
            clip = support.small_clip(family)
            randomize_batchnorm(clip, torch.Generator().manual_seed(2))
            with tempfile.TemporaryDirectory() as d, torch.no_grad():
                for name, module in (("text.pt", ClipTextEncoder(clip)), ("image.pt", ClipImageEncoder(clip))):
                    torch.jit.script(module).save(os.path.join(d, name))
                text, image = torch.jit.load(os.path.join(d, "text.pt")), torch.jit.load(os.path.join(d, "image.pt"))
                r = clip.visual.input_resolution
                for batch in (1, 3):
                    with self.subTest(family=family, batch=batch):
                        rows = support.tokens(EOS, lengths=[2 + i for i in range(batch)])
                        images = torch.randn(batch, 3, r, r)
                        self.assertEqual(tuple(text(rows).shape), (batch, 24))
                        self.assertLess(support.max_difference(text(rows), clip.encode_text(rows)), 1e-5)
                        self.assertLess(support.max_difference(image(images), clip.encode_image(images)), 1e-5)


if __name__ == "__main__":
    unittest.main()
