"""Reading the official checkpoints: OpenAI CLIP (.pt TorchScript archives or
plain state dicts) and taming-transformers VQGAN (Lightning .ckpt + yaml),
and the official hyperparameters for random weights at full size."""
import os
import pickle
import re
import types
from unittest import mock

import torch
import yaml

from .clip_arch import CLIP
from .vqgan_arch import GumbelVQ, VQModel


def _clip(embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size, text_width, text_layers=12):
    return dict(embed_dim=embed_dim, image_resolution=image_resolution, vision_layers=vision_layers,
                vision_width=vision_width, vision_patch_size=vision_patch_size, context_length=77,
                vocab_size=49408, transformer_width=text_width, transformer_heads=text_width // 64,
                transformer_layers=text_layers)


CLIP_PRESETS = {
    "ViT-B/32": _clip(512, 224, 12, 768, 32, 512),
    "ViT-B/16": _clip(512, 224, 12, 768, 16, 512),
    "ViT-L/14": _clip(768, 224, 24, 1024, 14, 768),
    "ViT-L/14@336px": _clip(768, 336, 24, 1024, 14, 768),
    "RN50": _clip(1024, 224, (3, 4, 6, 3), 64, None, 512),
    "RN101": _clip(512, 224, (3, 4, 23, 3), 64, None, 512),
    "RN50x4": _clip(640, 288, (4, 6, 10, 6), 80, None, 640),
    "RN50x16": _clip(768, 384, (6, 8, 18, 8), 96, None, 768),
    "RN50x64": _clip(1024, 448, (3, 15, 36, 10), 128, None, 1024),
}

_F16 = dict(double_z=False, z_channels=256, resolution=256, in_channels=3, out_ch=3, ch=128, ch_mult=[1, 1, 2, 2, 4],
            num_res_blocks=2, attn_resolutions=[16], dropout=0.0)
_F8 = dict(_F16, ch_mult=[1, 1, 2, 4], attn_resolutions=[32])
VQGAN_CLASSES = {"VQModel": VQModel, "GumbelVQ": GumbelVQ}
# (class name, ddconfig, n_embed, embed_dim), as in the released yaml files.
VQGAN_PRESETS = {
    "vqgan_imagenet_f16_16384": ("VQModel", _F16, 16384, 256),
    "vqgan_imagenet_f16_1024": ("VQModel", _F16, 1024, 256),
    "vqgan_gumbel_f8_8192": ("GumbelVQ", _F8, 8192, 256),
}


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file and why."""


def clip_from_preset(name: str) -> CLIP:
    return CLIP(**CLIP_PRESETS[name]).eval()


def vqgan_from_preset(name: str) -> VQModel:
    class_name, ddconfig, n_embed, embed_dim = VQGAN_PRESETS[name]
    return VQGAN_CLASSES[class_name](ddconfig, n_embed, embed_dim).eval()


def _load_strict(model: torch.nn.Module, state: dict, source: str) -> None:
    """load_state_dict(strict=True), with a one-line account of any mismatch."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k} is {list(state[k].shape)}, expected {list(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    problems = [f"{len(keys)} {what} (first: {keys[0]})" for what, keys in
                (("missing keys", missing), ("unexpected keys", unexpected), ("wrong shapes", wrong)) if keys]
    if problems:
        raise CheckpointError(f"{source}: does not match the {type(model).__name__} architecture: "
                              + "; ".join(problems))
    # Official CLIP weights are partly float16; bundles are float32.
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=True)


class _StandIn:
    """Replaces a pickled class that cannot be imported here."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


class _LenientUnpickler(pickle.Unpickler):
    """Lightning checkpoints pickle Lightning's own classes (e.g. callback
    states keyed by class); without Lightning installed those become stand-ins,
    since only the tensors of state_dict are needed."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_StandIn,), {"__module__": module})


_lenient_pickle = types.ModuleType("lenient_pickle")
_lenient_pickle.__dict__.update({k: v for k, v in vars(pickle).items() if not k.startswith("__")})
_lenient_pickle.Unpickler = _LenientUnpickler
_lenient_pickle.load = lambda f, **kwargs: _LenientUnpickler(f, **kwargs).load()


def _require_file(path: str) -> None:
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such file")


def _torch_load(path: str):
    try:
        # Debian's torch 1.13 ignores torch.load(pickle_module=...): swap the
        # lenient one in where torch.serialization looks pickle up, too.
        with mock.patch.object(torch.serialization, "pickle", _lenient_pickle):
            return torch.load(path, map_location="cpu", pickle_module=_lenient_pickle)
    except Exception as e:  # noqa: BLE001 - whatever the reader trips on, the same one-line error
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({str(e).splitlines()[0] if str(e) else e!r})")


def read_clip_state_dict(path: str) -> dict:
    """The official .pt files are TorchScript archives; fine-tunes are often plain state dicts."""
    _require_file(path)
    try:
        return dict(torch.jit.load(path, map_location="cpu").state_dict())
    except RuntimeError:
        pass  # not an archive
    state = _torch_load(path)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: neither a TorchScript archive nor a state dict of tensors")
    return state


def _count(state: dict, pattern: str) -> int:
    """How many distinct values the group in pattern takes over the keys."""
    return len({m.group(1) for m in map(re.compile(pattern).match, state) if m})


def build_clip_from_state_dict(state: dict, source: str = "state dict") -> CLIP:
    """Infers the hyperparameters from names and shapes as the official loader
    does, then loads strictly."""
    # The official archives also carry these three as attributes.
    state = {k: v for k, v in state.items() if k not in ("input_resolution", "context_length", "vocab_size")}
    try:
        if "visual.proj" in state:
            vision_width = state["visual.conv1.weight"].shape[0]
            vision_layers = _count(state, r"visual\.transformer\.resblocks\.(\d+)\.")
            patch = state["visual.conv1.weight"].shape[-1]
            image_resolution = patch * round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        else:
            vision_layers = tuple(_count(state, rf"visual\.layer{b}\.(\d+)\.") for b in (1, 2, 3, 4))
            vision_width = state["visual.layer1.0.conv1.weight"].shape[0]
            patch = None
            image_resolution = 32 * round((state["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
        width = state["ln_final.weight"].shape[0]
        hyperparameters = dict(embed_dim=state["text_projection"].shape[1], image_resolution=image_resolution,
                               vision_layers=vision_layers, vision_width=vision_width, vision_patch_size=patch,
                               context_length=state["positional_embedding"].shape[0],
                               vocab_size=state["token_embedding.weight"].shape[0], transformer_width=width,
                               transformer_heads=max(1, width // 64),
                               transformer_layers=_count(state, r"transformer\.resblocks\.(\d+)\."))
    except KeyError as e:
        raise CheckpointError(f"{source}: not a CLIP state dict (no {e.args[0]})")
    model = CLIP(**hyperparameters)
    _load_strict(model, state, source)
    return model.eval()


def load_official_clip(path: str) -> CLIP:
    return build_clip_from_state_dict(read_clip_state_dict(path), path)


def load_taming_checkpoint(ckpt_path: str, yaml_path: str) -> VQModel:
    """A taming-transformers VQModel or GumbelVQ: its class and sizes from the
    yaml (model.target, model.params), its weights from the checkpoint."""
    _require_file(yaml_path)
    try:
        with open(yaml_path) as f:
            model_config = yaml.safe_load(f)["model"]
        params = model_config["params"]
        ddconfig, n_embed, embed_dim = params["ddconfig"], int(params["n_embed"]), int(params["embed_dim"])
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as e:
        raise CheckpointError(f"{yaml_path}: not a taming-transformers model config ({type(e).__name__}: {e})")
    class_name = str(model_config.get("target", "VQModel")).rsplit(".", 1)[-1]
    if class_name not in VQGAN_CLASSES:
        raise CheckpointError(f"{yaml_path}: model {class_name} is not supported (only {', '.join(VQGAN_CLASSES)})")
    _require_file(ckpt_path)
    checkpoint = _torch_load(ckpt_path)
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f"{ckpt_path}: no state_dict inside")
    # The discriminator and perceptual loss are training-only.
    state = {k: v for k, v in state.items() if not k.startswith("loss.")}
    try:
        model = VQGAN_CLASSES[class_name](ddconfig, n_embed, embed_dim)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{yaml_path}: unusable ddconfig ({type(e).__name__}: {e})")
    _load_strict(model, state, ckpt_path)
    return model.eval()
