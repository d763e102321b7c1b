#pragma once
// Turning prompts into target embeddings, once, without gradients; and the
// initial latent of a run.
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "vqclip/generation_params.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_loop.hpp"

namespace vqclip {

// Text embeddings [B, D] float32 (not normalised) for `texts`.
torch::Tensor embed_texts(ClipModel& clip, const std::vector<std::string>& texts);

// An image prompt: the mean of the normalised CLIP embeddings of cutouts of the
// image resized to width x height. Throws InputError if unreadable.
Target image_target(ClipModel& clip, const ImagePrompt& prompt, int width, int height, const CutoutSettings& cutouts,
                    at::Generator& generator);

// A noise prompt: a normal random embedding from its own seed.
Target noise_target(const ClipModel& clip, const NoisePrompt& prompt);

// Random codebook vectors on a h x w grid: [1, C, h, w], drawn on the codebook's device.
torch::Tensor random_codebook_latent(const torch::Tensor& codebook, int grid_height, int grid_width,
                                     at::Generator& generator);

// The VQGAN encoder's latent for a picture [1,3,H,W] in [0,1]. Throws
// BundleError when the bundle has no encoder.
torch::Tensor encode_picture(VqganModel& vqgan, const torch::Tensor& picture);

// A noise picture [1,3,H,W] in [0,1] on the generator's device: pixels
// (uniform per pixel) or gradient (a random linear colour gradient).
torch::Tensor noise_picture(InitNoise kind, int width, int height, at::Generator& generator);

}  // namespace vqclip
