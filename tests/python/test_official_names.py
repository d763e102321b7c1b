"""Our architectures at official sizes have exactly the official state_dict
keys and shapes. The expectations are written out here as data, read off the
official code (openai/CLIP clip/model.py, taming-transformers
diffusionmodules/model.py, quantize.py, vqgan.py), not derived from ours."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402 - also sets the import path and threads
from vqclip_models.checkpoints import clip_from_preset, vqgan_from_preset  # noqa: E402

LN = {"weight": "w", "bias": "w"}
BN = {"weight": "w", "bias": "w", "running_mean": "w", "running_var": "w", "num_batches_tracked": ""}
# One ResidualAttentionBlock of width w: nn.MultiheadAttention + ln_1 + mlp (c_fc, gelu, c_proj) + ln_2.
RESBLOCK = {"attn.in_proj_weight": "3w,w", "attn.in_proj_bias": "3w", "attn.out_proj.weight": "w,w",
            "attn.out_proj.bias": "w", "ln_1.weight": "w", "ln_1.bias": "w", "mlp.c_fc.weight": "4w,w",
            "mlp.c_fc.bias": "4w", "mlp.c_proj.weight": "w,4w", "mlp.c_proj.bias": "w", "ln_2.weight": "w",
            "ln_2.bias": "w"}


def shape(spec: str, w: int) -> tuple:
    """'3w,w' with w = 512 -> (1536, 512); '' -> () (a scalar)."""
    return tuple(int(d[:-1] or 1) * w if d.endswith("w") else int(d) for d in spec.split(",") if d)


def with_prefix(prefix: str, keys: dict, w: int) -> dict:
    return {prefix + k: shape(v, w) for k, v in keys.items()}


def text_keys(width: int, layers: int, context: int, vocab: int, embed: int) -> dict:
    keys = {"positional_embedding": (context, width), "text_projection": (width, embed), "logit_scale": (),
            "token_embedding.weight": (vocab, width), "ln_final.weight": (width,), "ln_final.bias": (width,)}
    for i in range(layers):
        keys.update(with_prefix(f"transformer.resblocks.{i}.", RESBLOCK, width))
    return keys


def vit_keys(width: int, layers: int, patch: int, resolution: int, embed: int) -> dict:
    keys = {"visual.class_embedding": (width,), "visual.positional_embedding": ((resolution // patch) ** 2 + 1, width),
            "visual.proj": (width, embed), "visual.conv1.weight": (width, 3, patch, patch)}
    keys.update(with_prefix("visual.ln_pre.", LN, width))
    keys.update(with_prefix("visual.ln_post.", LN, width))
    for i in range(layers):
        keys.update(with_prefix(f"visual.transformer.resblocks.{i}.", RESBLOCK, width))
    return keys


def modified_resnet_keys(width: int, blocks: tuple, resolution: int, embed: int) -> dict:
    keys = {"visual.conv1.weight": (width // 2, 3, 3, 3), "visual.conv2.weight": (width // 2, width // 2, 3, 3),
            "visual.conv3.weight": (width, width // 2, 3, 3)}
    for name, channels in (("bn1", width // 2), ("bn2", width // 2), ("bn3", width)):
        keys.update(with_prefix(f"visual.{name}.", BN, channels))
    inplanes = width
    for layer, count in enumerate(blocks, start=1):
        planes = width * 2 ** (layer - 1)
        for b in range(count):
            p = f"visual.layer{layer}.{b}."
            keys.update({p + "conv1.weight": (planes, inplanes, 1, 1), p + "conv2.weight": (planes, planes, 3, 3),
                         p + "conv3.weight": (planes * 4, planes, 1, 1)})
            for name, channels in (("bn1", planes), ("bn2", planes), ("bn3", planes * 4)):
                keys.update(with_prefix(f"{p}{name}.", BN, channels))
            if b == 0:  # every first block changes width or stride
                keys[p + "downsample.0.weight"] = (planes * 4, inplanes, 1, 1)
                keys.update(with_prefix(p + "downsample.1.", BN, planes * 4))
            inplanes = planes * 4
    features = width * 32
    keys["visual.attnpool.positional_embedding"] = ((resolution // 32) ** 2 + 1, features)
    for proj in ("q_proj", "k_proj", "v_proj"):
        keys[f"visual.attnpool.{proj}.weight"] = (features, features)
        keys[f"visual.attnpool.{proj}.bias"] = (features,)
    keys.update({"visual.attnpool.c_proj.weight": (embed, features), "visual.attnpool.c_proj.bias": (embed,)})
    return keys


def resnet_block(prefix: str, c_in: int, c_out: int) -> dict:
    keys = {prefix + "norm1.weight": (c_in,), prefix + "norm1.bias": (c_in,),
            prefix + "conv1.weight": (c_out, c_in, 3, 3), prefix + "conv1.bias": (c_out,),
            prefix + "norm2.weight": (c_out,), prefix + "norm2.bias": (c_out,),
            prefix + "conv2.weight": (c_out, c_out, 3, 3), prefix + "conv2.bias": (c_out,)}
    if c_in != c_out:
        keys.update({prefix + "nin_shortcut.weight": (c_out, c_in, 1, 1), prefix + "nin_shortcut.bias": (c_out,)})
    return keys


def attn_block(prefix: str, c: int) -> dict:
    keys = {prefix + "norm.weight": (c,), prefix + "norm.bias": (c,)}
    for conv in ("q", "k", "v", "proj_out"):
        keys.update({f"{prefix}{conv}.weight": (c, c, 1, 1), f"{prefix}{conv}.bias": (c,)})
    return keys


def conv(prefix: str, c_out: int, c_in: int, k: int) -> dict:
    return {prefix + "weight": (c_out, c_in, k, k), prefix + "bias": (c_out,)}


def mid(prefix: str, c: int) -> dict:
    return {**resnet_block(prefix + "block_1.", c, c), **attn_block(prefix + "attn_1.", c),
            **resnet_block(prefix + "block_2.", c, c)}


# vqgan_imagenet_f16_16384: ch 128, ch_mult (1, 1, 2, 2, 4), 2 res blocks, attention at 16 x 16, z 256.
# Per level: the (in, out) channels of each ResnetBlock, attention blocks, the resampler's channels.
F16_ENCODER = [([(128, 128), (128, 128)], 0, 128), ([(128, 128), (128, 128)], 0, 128),
               ([(128, 256), (256, 256)], 0, 256), ([(256, 256), (256, 256)], 0, 256),
               ([(256, 512), (512, 512)], 2, None)]
F16_DECODER = [([(128, 128), (128, 128), (128, 128)], 0, None), ([(256, 128), (128, 128), (128, 128)], 0, 128),
               ([(256, 256), (256, 256), (256, 256)], 0, 256), ([(512, 256), (256, 256), (256, 256)], 0, 256),
               ([(512, 512), (512, 512), (512, 512)], 3, 512)]


def f16_keys() -> dict:
    keys = {"quantize.embedding.weight": (16384, 256), **conv("quant_conv.", 256, 256, 1),
            **conv("post_quant_conv.", 256, 256, 1)}
    for part, levels, resampler in (("encoder", F16_ENCODER, "downsample"), ("decoder", F16_DECODER, "upsample")):
        side = "down" if part == "encoder" else "up"
        for i, (blocks, attns, resample) in enumerate(levels):
            for j, (c_in, c_out) in enumerate(blocks):
                keys.update(resnet_block(f"{part}.{side}.{i}.block.{j}.", c_in, c_out))
            for j in range(attns):
                keys.update(attn_block(f"{part}.{side}.{i}.attn.{j}.", blocks[-1][1]))
            if resample:
                keys.update(conv(f"{part}.{side}.{i}.{resampler}.conv.", resample, resample, 3))
        keys.update(mid(f"{part}.mid.", 512))
    keys.update({**conv("encoder.conv_in.", 128, 3, 3), "encoder.norm_out.weight": (512,),
                 "encoder.norm_out.bias": (512,), **conv("encoder.conv_out.", 256, 512, 3),
                 **conv("decoder.conv_in.", 512, 256, 3), "decoder.norm_out.weight": (128,),
                 "decoder.norm_out.bias": (128,), **conv("decoder.conv_out.", 3, 128, 3)})
    return keys


class OfficialStateDicts(unittest.TestCase):
    def assert_state_dict(self, model, expected: dict, count: int):
        got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        self.assertEqual(len(expected), count, "the expectation itself")
        self.assertEqual(sorted(set(expected) - set(got)), [], "missing")
        self.assertEqual(sorted(set(got) - set(expected)), [], "unexpected")
        self.assertEqual({k: v for k, v in got.items() if v != expected[k]}, {}, "wrong shapes")

    def test_vit_b32(self):
        model = clip_from_preset("ViT-B/32")
        self.assert_state_dict(model, {**text_keys(512, 12, 77, 49408, 512), **vit_keys(768, 12, 32, 224, 512)}, 302)
        # The published size of ViT-B/32.
        self.assertEqual(sum(p.numel() for p in model.parameters()), 151277313)

    def test_rn50(self):
        model = clip_from_preset("RN50")
        self.assert_state_dict(model, {**text_keys(512, 12, 77, 49408, 1024),
                                       **modified_resnet_keys(64, (3, 4, 6, 3), 224, 1024)}, 489)
        self.assertEqual(sum(p.numel() for p in model.parameters()), 102007137)

    def test_vqgan_imagenet_f16_16384(self):
        self.assert_state_dict(vqgan_from_preset("vqgan_imagenet_f16_16384"), f16_keys(), 343)

    def test_gumbel_quantizer_names(self):
        # GumbelQuantize(z_channels, embed_dim, n_embed): proj is a 1x1 conv to logits, embed the codebook.
        keys = {k: tuple(v.shape) for k, v in support.small_gumbel().state_dict().items() if k.startswith("quantize.")}
        self.assertEqual(keys, {"quantize.proj.weight": (32, 32, 1, 1), "quantize.proj.bias": (32,),
                                "quantize.embed.weight": (32, 32)})


if __name__ == "__main__":
    unittest.main()
