#pragma once
// Turning prompts into target embeddings, once, without gradients; and the
// initial latent of a run.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "vqclip/bundle.hpp"
#include "vqclip/generator.hpp"
#include "vqclip/prompt.hpp"

namespace vqclip {

// Text embeddings [B, D] float32 (not normalised) for `texts`.
torch::Tensor embed_texts(Bundle& bundle, const std::vector<std::string>& texts);

// An image prompt: the mean of the normalised CLIP embeddings of cutouts of the
// image resized to width x height. Throws InputError if unreadable.
Target image_target(Bundle& bundle, const PromptSpec& spec, int width, int height, const CutoutSettings& cutouts);

// A noise prompt: a normal random embedding from its own seed.
Target noise_target(const Bundle& bundle, const PromptSpec& spec);

// Random codebook vectors on a h x w grid: [1, C, h, w].
torch::Tensor random_codebook_latent(const torch::Tensor& codebook, int grid_height, int grid_width);

// The VQGAN encoder's latent for a picture [1,3,H,W] in [0,1].
torch::Tensor encode_picture(Bundle& bundle, const torch::Tensor& picture);

// A noise picture [1,3,H,W] in [0,1]: "pixels" (uniform per pixel) or
// "gradient" (a random linear colour gradient).
torch::Tensor noise_picture(const std::string& kind, int width, int height);

}  // namespace vqclip
