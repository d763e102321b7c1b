"""taming-transformers VQGAN models (VQModel, GumbelVQ) with the official
parameter names, and the bundle modules cut from them (any latent grid)."""
import torch
from torch import nn

from .vqgan_modules import Decoder, Encoder, swish


class VectorQuantizer(nn.Module):
    def __init__(self, n_embed: int, embed_dim: int, beta: float = 0.25):
        super().__init__()
        self.n_embed = n_embed
        self.beta = beta
        self.embedding = nn.Embedding(n_embed, embed_dim)
        self.embedding.weight.data.uniform_(-1.0 / n_embed, 1.0 / n_embed)

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        codes = self.embedding.weight
        distances = flat.pow(2).sum(1, keepdim=True) + codes.pow(2).sum(1) - 2 * flat @ codes.t()
        return distances.argmin(1).view(z.shape[0], z.shape[2], z.shape[3])

    def forward(self, z: torch.Tensor):
        """Straight-through quantisation; returns (z_q, vq loss, indices)."""
        indices = self.nearest(z)
        z_q = self.embedding(indices).permute(0, 3, 1, 2)
        loss = self.beta * (z_q.detach() - z).pow(2).mean() + (z_q - z.detach()).pow(2).mean()
        return z + (z_q - z).detach(), loss, indices


class GumbelQuantize(nn.Module):
    """`proj` gives logits over the codes, `embed` is the codebook. Only the
    deterministic (eval) path is here: the most likely code's vector; the
    Gumbel-softmax sampling is for training."""

    def __init__(self, num_hiddens: int, embedding_dim: int, n_embed: int):
        super().__init__()
        self.proj = nn.Conv2d(num_hiddens, n_embed, 1)
        self.embed = nn.Embedding(n_embed, embedding_dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        indices = self.proj(h).argmax(dim=1)
        return self.embed(indices).permute(0, 3, 1, 2)


class VQModel(nn.Module):
    def __init__(self, ddconfig: dict, n_embed: int, embed_dim: int):
        super().__init__()
        self.encoder = Encoder(**ddconfig)
        self.decoder = Decoder(**ddconfig)
        self.quantize = self.make_quantizer(ddconfig, n_embed, embed_dim)
        self.quant_conv = nn.Conv2d(ddconfig["z_channels"], embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, ddconfig["z_channels"], 1)
        self.downsample_factor = 2 ** (len(ddconfig["ch_mult"]) - 1)
        self.embed_dim = embed_dim
        self.n_embed = n_embed

    def make_quantizer(self, ddconfig: dict, n_embed: int, embed_dim: int) -> nn.Module:
        return VectorQuantizer(n_embed, embed_dim)

    @property
    def codebook(self) -> torch.Tensor:
        return self.quantize.embedding.weight

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Image in [-1, 1] -> pre-quantisation z."""
        return self.quant_conv(self.encoder(x))

    def decode(self, z_q: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(z_q))

    def forward(self, x: torch.Tensor):
        z_q, vq_loss, _ = self.quantize(self.encode(x))
        return self.decode(z_q), vq_loss


class GumbelVQ(VQModel):
    """taming's GumbelVQ (vqgan_gumbel_f8_8192). Its encoder output is already
    in code space: the vectors of the most likely codes."""

    def make_quantizer(self, ddconfig: dict, n_embed: int, embed_dim: int) -> nn.Module:
        # As in taming: proj reads z_channels (equal to embed_dim in the released model).
        return GumbelQuantize(ddconfig["z_channels"], embed_dim, n_embed)

    @property
    def codebook(self) -> torch.Tensor:
        return self.quantize.embed.weight

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.quantize(self.quant_conv(self.encoder(x)))

    def forward(self, x: torch.Tensor):
        # Same (image, loss) interface as VQModel; nothing is trained here.
        return self.decode(self.encode(x)), x.new_zeros(())


class VqganDecoder(nn.Module):
    """Bundle module: z_q [B, C, h, w] -> image [B, 3, h*f, w*f] in about [-1, 1]."""

    def __init__(self, model: VQModel):
        super().__init__()
        d = model.decoder
        self.post_quant_conv = model.post_quant_conv
        self.conv_in = d.conv_in
        self.mid = d.mid
        # Coarse to fine, flattened: TorchScript cannot iterate a ModuleList backwards.
        self.levels = nn.Sequential(*[m for level in reversed(d.up) for m in level.in_order()])
        self.norm_out = d.norm_out
        self.conv_out = d.conv_out
        self.register_buffer("codebook", model.codebook.detach().clone())

    def forward(self, z_q: torch.Tensor) -> torch.Tensor:
        h = self.levels(self.mid(self.conv_in(self.post_quant_conv(z_q))))
        return self.conv_out(swish(self.norm_out(h)))


class VqganEncoder(nn.Module):
    """Bundle module: image in [-1, 1] [B, 3, H, W] -> pre-quantisation z [B, C, H/f, W/f]
    (for a GumbelVQ, the vectors of the most likely codes)."""

    def __init__(self, model: VQModel):
        super().__init__()
        e = model.encoder
        self.conv_in = e.conv_in
        self.levels = nn.Sequential(*[m for level in e.down for m in level.in_order()])
        self.mid = e.mid
        self.norm_out = e.norm_out
        self.conv_out = e.conv_out
        self.quant_conv = model.quant_conv
        self.to_code = model.quantize if isinstance(model, GumbelVQ) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.levels(self.conv_in(x)))
        return self.to_code(self.quant_conv(self.conv_out(swish(self.norm_out(h)))))
