"""CLIP (ViT or ModifiedResNet image tower, causal text transformer) with the
official parameter names, written for TorchScript: explicit attention, no
baked device, dtype or shape."""
import math

import torch
from torch import nn

from .clip_resnet import ModifiedResNet


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class MultiheadSelfAttention(nn.Module):
    """Self-attention storing its weights like nn.MultiheadAttention
    (in_proj_weight, in_proj_bias, out_proj), computed with matmul + softmax."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, causal: bool) -> torch.Tensor:
        # x: [batch, length, width]
        b, n, w = x.shape
        head_dim = w // self.heads
        qkv = nn.functional.linear(x, self.in_proj_weight, self.in_proj_bias)
        qkv = qkv.reshape(b, n, 3, self.heads, head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(head_dim)
        if causal:
            mask = torch.ones(n, n, device=x.device, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        attention = torch.softmax(scores, dim=-1)
        out = torch.matmul(attention, v).transpose(1, 2).reshape(b, n, w)
        return self.out_proj(out)


class Mlp(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.c_fc = nn.Linear(width, width * 4)
        self.gelu = QuickGELU()
        self.c_proj = nn.Linear(width * 4, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(self.gelu(self.c_fc(x)))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int, causal: bool):
        super().__init__()
        self.causal = causal
        self.attn = MultiheadSelfAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = Mlp(width)
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), self.causal)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, causal: bool):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, causal) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self, input_resolution: int, patch_size: int, width: int, layers: int, heads: int,
                 output_dim: int):
        super().__init__()
        self.input_resolution = input_resolution
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        grid = input_resolution // patch_size
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, causal=False)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)                                  # [B, width, g, g]
        x = x.flatten(2).transpose(1, 2)                   # [B, g*g, width]
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, x.shape[-1])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    """Same constructor as the official CLIP. vision_layers: an int (ViT) or
    4 block counts (ModifiedResNet). eot_id: the end-of-text id the text tower
    pools at (-1: vocab_size - 1, which is what the official argmax pooling
    selects). vision_heads: the ViT's attention heads (default as official:
    vision_width // 64, at least one; tiny towers learn shapes faster with
    narrower heads)."""

    def __init__(self, embed_dim: int, image_resolution: int, vision_layers, vision_width: int,
                 vision_patch_size: int, context_length: int, vocab_size: int, transformer_width: int,
                 transformer_heads: int, transformer_layers: int, eot_id: int = -1, vision_heads: int = 0):
        super().__init__()
        if isinstance(vision_layers, (tuple, list)):
            self.visual = ModifiedResNet(layers=tuple(vision_layers), output_dim=embed_dim,
                                         heads=vision_width * 32 // 64, input_resolution=image_resolution,
                                         width=vision_width)
        else:
            self.visual = VisionTransformer(image_resolution, vision_patch_size, vision_width, vision_layers,
                                            vision_heads or max(1, vision_width // 64), embed_dim)
        self.context_length = context_length
        self.vocab_size = vocab_size
        self.eot_id = vocab_size - 1 if eot_id < 0 else eot_id
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads, causal=True)
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, transformer_width))
        self.ln_final = nn.LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=transformer_width ** -0.5)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return self.visual(images)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        # One implementation for training and export: the bundle module's.
        return ClipTextEncoder(self)(tokens)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor):
        image = nn.functional.normalize(self.encode_image(images), dim=-1)
        text = nn.functional.normalize(self.encode_text(tokens), dim=-1)
        logits = self.logit_scale.exp() * image @ text.t()
        return logits, logits.t()


class ClipTextEncoder(nn.Module):
    """Bundle module: tokens int64 [B, L] -> text embedding [B, D] (not normalised)."""

    def __init__(self, clip: CLIP):
        super().__init__()
        self.token_embedding = clip.token_embedding
        self.positional_embedding = clip.positional_embedding
        self.transformer = clip.transformer
        self.ln_final = clip.ln_final
        self.text_projection = clip.text_projection
        self.eot_id = clip.eot_id

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(tokens) + self.positional_embedding[: tokens.shape[1]]
        x = self.ln_final(self.transformer(x))
        # Pool at the first end-of-text token of each sequence.
        position = torch.argmax((tokens == self.eot_id).int(), dim=1)
        return x[torch.arange(x.shape[0], device=x.device), position] @ self.text_projection


class ClipImageEncoder(nn.Module):
    """Bundle module: normalised images [B, 3, R, R] -> image embedding [B, D]."""

    def __init__(self, clip: CLIP):
        super().__init__()
        self.visual = clip.visual

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.visual(images)
