// Loading a bundle: manifest, integrity, tokenizer, then the TorchScript
// modules, each in eval mode with frozen weights, placed on the device once.
#include <spdlog/spdlog.h>

#include <chrono>

#include "model/error_text.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

torch::jit::Module load_module(const std::filesystem::path& path, const torch::Device& device) {
  try {
    auto module = torch::jit::load(path.string(), device);
    module.eval();
    // Loaded parameters require gradients; the loop differentiates with
    // respect to its input only, so no weight gradient is ever computed.
    for (auto parameter : module.parameters()) parameter.requires_grad_(false);
    return module;
  } catch (const std::exception& e) {
    // c10::Error for a damaged archive, ErrorReport for code this libtorch cannot compile.
    throw BundleError(path.string() + ": not a loadable TorchScript module (" + torch_error_line(e) + ")");
  }
}

// The contract keeps the codebook as the decoder's buffer `codebook`: [n_embed, C].
torch::Tensor read_codebook(const torch::jit::Module& decoder, const Manifest& m) {
  for (const auto& buffer : decoder.named_buffers(/*recurse=*/false)) {
    if (buffer.name != "codebook") continue;
    const std::vector<int64_t> expected{m.vqgan.n_embed, m.vqgan.embed_dim};
    if (buffer.value.sizes().vec() != expected) {
      throw BundleError(m.vqgan.decoder.string() + ": buffer codebook has shape " + shape_text(buffer.value.sizes()) +
                        ", expected [vqgan.n_embed, vqgan.embed_dim] = " + shape_text(expected) + " from vqclip.json");
    }
    if (!buffer.value.is_floating_point()) {
      throw BundleError(m.vqgan.decoder.string() + ": buffer codebook holds " +
                        std::string(c10::toString(buffer.value.scalar_type())) + ", expected floating point");
    }
    return buffer.value.detach().to(torch::kFloat);
  }
  throw BundleError(m.vqgan.decoder.string() +
                    ": no buffer named codebook (the decoder must carry its codebook [n_embed, embed_dim])");
}

}  // namespace

Bundle load_bundle(const std::filesystem::path& bundle_dir, const LoadOptions& options) {
  const auto start = Clock::now();
  Bundle b;
  b.manifest = read_manifest(bundle_dir);
  b.device = options.device;
  const auto& m = b.manifest;
  if (options.verify_hashes) {
    const auto hashing = Clock::now();
    verify_bundle_files(m);
    spdlog::debug("sha256 of {} bundle files checked in {:.3f} s", m.file_hashes.size(), seconds_since(hashing));
  }
  b.tokenizer = make_tokenizer(m.clip.tokenizer);
  b.text_encoder = load_module(m.clip.text_encoder, b.device);
  b.image_encoder = load_module(m.clip.image_encoder, b.device);
  b.decoder = load_module(m.vqgan.decoder, b.device);
  b.codebook = read_codebook(b.decoder, m);
  if (options.load_encoder && m.vqgan.encoder) b.encoder = load_module(*m.vqgan.encoder, b.device);
  if (options.probe) probe_bundle(b);
  spdlog::debug("bundle {} loaded from {} on {} in {:.3f} s", m.name, bundle_dir.string(), b.device.str(),
                seconds_since(start));
  return b;
}

}  // namespace vqclip
