// Shape probes: each module runs once on tiny inputs, so a bundle whose
// modules disagree with vqclip.json fails at load time with a message naming
// the file, not in the middle of a render.
#include "model/error_text.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

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

void run(Probe p, const torch::Device& device) {
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
torch::Tensor probe_tokens(const ClipSpec& clip, const torch::Device& device) {
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

void probe_bundle(Bundle& b) {
  const auto& m = b.manifest;
  const auto on_device = torch::TensorOptions().device(b.device);
  const int64_t d = m.clip.embed_dim, r = m.clip.input_resolution;
  const int64_t f = m.vqgan.downsample_factor, c = m.vqgan.embed_dim;

  run({b.text_encoder, m.clip.text_encoder, "text encoder", probe_tokens(m.clip, b.device), {2, d},
       "clip.embed_dim"},
      b.device);
  run({b.image_encoder, m.clip.image_encoder, "image encoder", torch::zeros({1, 3, r, r}, on_device), {1, d},
       "clip.input_resolution, clip.embed_dim"},
      b.device);
  run({b.decoder, m.vqgan.decoder, "decoder", probe_latent(b.codebook, m.vqgan.n_embed), {1, 3, 2 * f, 3 * f},
       "vqgan.downsample_factor"},
      b.device);
  if (b.encoder) {
    run({*b.encoder, *m.vqgan.encoder, "encoder", torch::zeros({1, 3, 2 * f, 2 * f}, on_device), {1, c, 2, 2},
         "vqgan.downsample_factor, vqgan.embed_dim"},
        b.device);
  }
}

}  // namespace vqclip
