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

// The unit vectors of `a` and `b` ([D]) interpolated along the great circle
// between them at t (0: a's, 1: b's), so that the result turns at an even
// angular speed: a blended prompt's target (slerp; nlerp where they are
// nearly parallel and slerp's division is unstable).
torch::Tensor interpolate_on_sphere(const torch::Tensor& a, const torch::Tensor& b, double t);

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
