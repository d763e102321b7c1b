// Shape probes: each module runs once on tiny inputs, so a bundle whose
// modules disagree with vqclip.json fails at load time with a message naming
// the file, not in the middle of a render.
#include "model/error_text.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/models.hpp"

namespace vqclip {
namespace {

struct Probe {
  torch::jit::Module& module;
  const std::filesystem::path& file;
  std::string what;               // "text encoder", ...
  torch::Tensor input;
  std::vector<int64_t> expected;  // output shape
  std::string expected_from;      // the manifest fields the shape comes from
};

void run(Probe p, const c10::Device& device) {
  const std::string context = p.file.string() + ": " + p.what + " on input " + shape_text(p.input.sizes());
  c10::IValue result;
  try {
    torch::NoGradGuard no_grad;
    result = p.module.forward({p.input});
  } catch (const std::exception& e) {
    throw BundleError(context + " failed (" + torch_error_line(e) + ")");
  }
  if (!result.isTensor()) {
    throw BundleError(context + " returned " + result.tagKind() + ", expected a tensor");
  }
  const auto output = result.toTensor();
  if (output.sizes().vec() != p.expected) {
    throw BundleError(context + " gave shape " + shape_text(output.sizes()) + ", expected " + shape_text(p.expected) +
                      " (" + p.expected_from + " in vqclip.json)");
  }
  if (output.scalar_type() != torch::kFloat) {
    throw BundleError(context + " gave " + std::string(c10::toString(output.scalar_type())) + ", expected float32");
  }
  // A device baked into the graph (a traced module) shows up here.
  const bool same_device =
      output.device().type() == device.type() && (!device.has_index() || output.device().index() == device.index());
  if (!same_device) {
    throw BundleError(context + " gave its output on " + output.device().str() + ", expected " + device.str() +
                      " (a device is fixed in the module; export it with torch.jit.script)");
  }
}

// [2, L]: bos, eos, then padding; the text encoder pools at eos.
torch::Tensor probe_tokens(const ClipSpec& clip, const c10::Device& device) {
  auto tokens = torch::full({2, clip.context_length}, clip.tokenizer.pad_id,
                            torch::TensorOptions().dtype(torch::kLong).device(device));
  tokens.select(1, 0).fill_(clip.tokenizer.bos_id);
  tokens.select(1, 1).fill_(clip.tokenizer.eos_id);
  return tokens;
}

// [1, C, 2, 3] of codebook vectors, as the loop feeds the decoder.
torch::Tensor probe_latent(const torch::Tensor& codebook, int64_t n_embed) {
  const auto indices = torch::arange(6, torch::TensorOptions().dtype(torch::kLong).device(codebook.device())) % n_embed;
  return codebook.index_select(0, indices).view({1, 2, 3, codebook.size(1)}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace

void probe_clip(ClipModel& clip) {
  const auto& s = clip.spec;
  const int64_t d = s.embed_dim, r = s.input_resolution;
  run({clip.text_encoder, s.text_encoder, "text encoder", probe_tokens(s, clip.device), {2, d}, "clip.embed_dim"},
      clip.device);
  run({clip.image_encoder, s.image_encoder, "image encoder",
       torch::zeros({1, 3, r, r}, torch::TensorOptions().device(clip.device)), {1, d},
       "clip.input_resolution, clip.embed_dim"},
      clip.device);
}

void probe_vqgan(VqganModel& vqgan) {
  const auto& s = vqgan.spec;
  const int64_t f = s.downsample_factor, c = s.embed_dim;
  run({vqgan.decoder, s.decoder, "decoder", probe_latent(vqgan.codebook, s.n_embed), {1, 3, 2 * f, 3 * f},
       "vqgan.downsample_factor"},
      vqgan.device);
  if (vqgan.encoder) {
    run({*vqgan.encoder, *s.encoder, "encoder",
         torch::zeros({1, 3, 2 * f, 2 * f}, torch::TensorOptions().device(vqgan.device)), {1, c, 2, 2},
         "vqgan.downsample_factor, vqgan.embed_dim"},
        vqgan.device);
  }
}

}  // namespace vqclip
