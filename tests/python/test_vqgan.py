"""VQGAN: taming checkpoints (Lightning .ckpt + yaml) load strictly apart from
the loss, and the exported decoder/encoder equal eager on any latent grid."""
import os
import sys
import tempfile
import types
import unittest

import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from vqclip_models.checkpoints import CheckpointError, load_taming_checkpoint  # noqa: E402
from vqclip_models.fixtures import save_taming_checkpoint  # noqa: E402
from vqclip_models.vqgan_arch import GumbelVQ, VqganDecoder, VqganEncoder  # noqa: E402

GRIDS = ((4, 4), (5, 7), (8, 8))
TAMING = "taming.models.vqgan."


class TamingCheckpoints(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.ckpt, self.yaml = os.path.join(self.dir.name, "last.ckpt"), os.path.join(self.dir.name, "model.yaml")

    def test_both_classes_load_from_lightning_checkpoint_and_yaml(self):
        for model, ddconfig in ((support.small_vqgan(), support.SMALL_DDCONFIG),
                                (support.small_gumbel(), support.GUMBEL_DDCONFIG)):
            with self.subTest(type(model).__name__):
                save_taming_checkpoint(model, ddconfig, self.ckpt, self.yaml)
                self.assertTrue(any(k.startswith("loss.") for k in torch.load(self.ckpt)["state_dict"]))
                loaded = load_taming_checkpoint(self.ckpt, self.yaml)
                self.assertIs(type(loaded), type(model))
                x, z = torch.rand(1, 3, 16, 24) * 2 - 1, torch.randn(1, model.embed_dim, 3, 5)
                with torch.no_grad():
                    self.assertTrue(torch.equal(loaded.encode(x), model.encode(x)))
                    self.assertTrue(torch.equal(loaded.decode(z), model.decode(z)))

    def test_plain_state_dict_is_accepted_too(self):
        model = support.small_vqgan()
        save_taming_checkpoint(model, support.SMALL_DDCONFIG, self.ckpt, self.yaml)
        torch.save(model.state_dict(), self.ckpt)
        self.assertTrue(torch.equal(load_taming_checkpoint(self.ckpt, self.yaml).codebook, model.codebook))

    def test_classes_pickled_from_an_absent_package_are_stood_in_for(self):
        # Lightning checkpoints pickle Lightning's classes; Lightning is not installed here.
        package = types.ModuleType("absent_lightning")

        class ModelCheckpoint:
            pass

        ModelCheckpoint.__module__, ModelCheckpoint.__qualname__ = package.__name__, "ModelCheckpoint"
        package.ModelCheckpoint = ModelCheckpoint
        sys.modules[package.__name__] = package
        try:
            model = support.small_vqgan()
            save_taming_checkpoint(model, support.SMALL_DDCONFIG, self.ckpt, self.yaml)
            checkpoint = torch.load(self.ckpt)
            checkpoint["callbacks"] = {ModelCheckpoint: {"best_model_score": torch.tensor(0.5)}}
            checkpoint["hparams"] = ModelCheckpoint()
            torch.save(checkpoint, self.ckpt)
        finally:
            del sys.modules[package.__name__]
        self.assertTrue(torch.equal(load_taming_checkpoint(self.ckpt, self.yaml).codebook, model.codebook))

    def test_bad_inputs_are_one_line_checkpoint_errors_naming_the_file(self):
        model = support.small_vqgan()
        save_taming_checkpoint(model, support.SMALL_DDCONFIG, self.ckpt, self.yaml)
        with open(self.yaml) as f:
            config = yaml.safe_load(f)

        def write(edit):
            changed = yaml.safe_load(yaml.safe_dump(config))
            edit(changed)
            path = os.path.join(self.dir.name, f"other{len(os.listdir(self.dir.name))}.yaml")
            with open(path, "w") as f:
                yaml.safe_dump(changed, f)
            return path

        cases = {
            "absent ckpt": (os.path.join(self.dir.name, "absent.ckpt"), self.yaml, "absent.ckpt"),
            "absent yaml": (self.ckpt, os.path.join(self.dir.name, "absent.yaml"), "absent.yaml"),
            "no params": (self.ckpt, write(lambda c: c["model"].pop("params")), "other"),
            "other class": (self.ckpt, write(lambda c: c["model"].update(target=TAMING + "VQSegmentationModel")),
                            "VQSegmentationModel"),
            "wrong sizes": (self.ckpt, write(lambda c: c["model"]["params"].update(n_embed=7)), "last.ckpt"),
            "gumbel yaml, vq weights": (self.ckpt, write(lambda c: c["model"].update(target=TAMING + "GumbelVQ")),
                                        "quantize.embedding.weight"),
        }
        for name, (ckpt, config_path, words) in cases.items():
            with self.subTest(name), self.assertRaises(CheckpointError) as caught:
                load_taming_checkpoint(ckpt, config_path)
            self.assertEqual(len(str(caught.exception).splitlines()), 1, str(caught.exception))
            self.assertIn(words, str(caught.exception))


class Export(unittest.TestCase):
    def scripted(self, module, directory, name):
        path = os.path.join(directory, name)
        torch.jit.script(module).save(path)
        return torch.jit.load(path)

    def test_decoder_and_encoder_equal_eager_on_any_grid(self):
        for model in (support.small_vqgan(), support.small_gumbel()):
            with self.subTest(type(model).__name__), tempfile.TemporaryDirectory() as d, torch.no_grad():
                decoder = self.scripted(VqganDecoder(model), d, "decoder.pt")
                encoder = self.scripted(VqganEncoder(model), d, "encoder.pt")
                f = model.downsample_factor
                self.assertTrue(torch.equal(decoder.codebook, model.codebook))
                for h, w in GRIDS:
                    z = torch.randn(2, model.embed_dim, h, w)
                    self.assertEqual(tuple(decoder(z).shape), (2, 3, h * f, w * f))
                    self.assertLess(support.max_difference(decoder(z), model.decode(z)), 1e-5)
                x = torch.rand(1, 3, 8 * f, 12 * f) * 2 - 1
                self.assertEqual(tuple(encoder(x).shape), (1, model.embed_dim, 8, 12))
                self.assertLess(support.max_difference(encoder(x), model.encode(x)), 1e-5)

    def test_decoder_matches_the_official_level_order(self):
        # taming's Decoder.forward: mid, then up[N-1] .. up[0], each block followed by its attention.
        model = support.small_vqgan()
        d = model.decoder
        z = torch.randn(1, model.embed_dim, 4, 4)
        with torch.no_grad():
            h = d.mid(d.conv_in(model.post_quant_conv(z)))
            for level in (1, 0):
                for j, block in enumerate(d.up[level].block):
                    h = block(h)
                    if len(d.up[level].attn):
                        h = d.up[level].attn[j](h)
                if level:
                    h = d.up[level].upsample(h)
            h = d.conv_out(torch.nn.functional.silu(d.norm_out(h)))
            self.assertLess(support.max_difference(VqganDecoder(model)(z), h), 1e-6)
        self.assertEqual(len(d.up[1].attn), 2)  # 8 x 8 is an attention resolution here

    def test_gumbel_encoder_gives_codebook_vectors(self):
        model = support.small_gumbel()
        with torch.no_grad():
            z = VqganEncoder(model)(torch.rand(1, 3, 16, 16) * 2 - 1)
            vectors = z.permute(0, 2, 3, 1).reshape(-1, model.embed_dim)
        self.assertIsInstance(model, GumbelVQ)
        self.assertTrue((vectors[:, None, :] == model.codebook[None]).all(-1).any(-1).all())


if __name__ == "__main__":
    unittest.main()
