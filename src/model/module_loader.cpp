// Loading a bundle's models by need: manifest, integrity of the files used,
// tokenizer, then the TorchScript modules, each in eval mode with frozen
// weights, placed on the device once.
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include <chrono>
#include <functional>
#include <future>

#include "config/elapsed.hpp"
#include "model/error_text.hpp"
#include "model/graph_rewrites.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/models.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip {
namespace {

using Clock = std::chrono::steady_clock;

torch::jit::Module load_module(const std::filesystem::path& path, const c10::Device& device) {
  try {
    // TorchScript's profiling executor first runs a graph to record shapes and
    // dtypes, then specialises it to them, and again when a guard fails. On
    // the CPU nothing here uses the profile (no fuser), and under bf16 autocast
    // the re-profiling made steps 2-4 of a full-size render take 5-6 s instead
    // of 3.6 s (docs/architecture.md, "Speed"). Process-wide, as the setting is.
    if (device.is_cpu()) torch::jit::getNumProfiledRuns() = 0;
    auto module = torch::jit::load(path.string(), device);
    module.eval();
    // Loaded parameters require gradients; the loop differentiates with
    // respect to its input only, so no weight gradient is ever computed.
    for (auto parameter : module.parameters()) parameter.requires_grad_(false);
    const int fused = fuse_swish(module);
    if (fused > 0) spdlog::debug("{}: {} swish or QuickGELU activation(s) run as silu", path.filename().string(), fused);
    const int batched = batch_matrix_products(module);
    if (batched > 0) spdlog::debug("{}: {} matrix product(s) run as vqclip::batched_matmul", path.filename().string(), batched);
    return module;
  } catch (const std::exception& e) {
    // c10::Error for a damaged archive, ErrorReport for code this libtorch cannot compile.
    throw BundleError(path.string() + ": not a loadable TorchScript module (" + torch_error_line(e) + ")");
  }
}

// The contract keeps the codebook as the decoder's buffer `codebook`: [n_embed, C].
torch::Tensor read_codebook(const torch::jit::Module& decoder, const VqganSpec& spec) {
  for (const auto& buffer : decoder.named_buffers(/*recurse=*/false)) {
    if (buffer.name != "codebook") continue;
    const std::vector<int64_t> expected{spec.n_embed, spec.embed_dim};
    if (buffer.value.sizes().vec() != expected) {
      throw BundleError(spec.decoder.string() + ": buffer codebook has shape " + shape_text(buffer.value.sizes()) +
                        ", expected [vqgan.n_embed, vqgan.embed_dim] = " + shape_text(expected) + " from vqclip.json");
    }
    if (!buffer.value.is_floating_point()) {
      throw BundleError(spec.decoder.string() + ": buffer codebook holds " +
                        std::string(c10::toString(buffer.value.scalar_type())) + ", expected floating point");
    }
    return buffer.value.detach().to(torch::kFloat);
  }
  throw BundleError(spec.decoder.string() +
                    ": no buffer named codebook (the decoder must carry its codebook [n_embed, embed_dim])");
}

// The files the parts asked for read.
std::vector<std::filesystem::path> files_of(const Manifest& m, const ModelParts& parts) {
  std::vector<std::filesystem::path> files;
  if (parts.clip) files.insert(files.end(), {m.clip.text_encoder, m.clip.image_encoder, m.clip.tokenizer.file});
  if (parts.vqgan_decoder && m.vqgan) {
    files.push_back(m.vqgan->decoder);
    if (parts.vqgan_encoder && m.vqgan->encoder) files.push_back(*m.vqgan->encoder);
  }
  return files;
}

std::shared_ptr<const Tokenizer> make_shared_tokenizer(const TokenizerSpec& spec) {
  return std::shared_ptr<const Tokenizer>(make_tokenizer(spec));
}

// Loading on threads of their own when the process may use more than one
// (--threads 1 is how processes share a machine's cores); else each at get(), in turn.
std::launch loading_policy() { return at::get_num_threads() > 1 ? std::launch::async : std::launch::deferred; }

ClipModel load_clip(const Manifest& m, const c10::Device& device) {
  ClipModel clip;
  clip.spec = m.clip;
  clip.device = device;
  clip.tokenizer = make_shared_tokenizer(m.clip.tokenizer);
  auto image_encoder = std::async(loading_policy(), load_module, std::cref(m.clip.image_encoder), std::cref(device));
  clip.text_encoder = load_module(m.clip.text_encoder, device);
  clip.image_encoder = image_encoder.get();
  return clip;
}

VqganModel load_vqgan(const Manifest& m, const c10::Device& device, bool with_encoder) {
  if (!m.vqgan) throw BundleError(no_vqgan_message(m));
  VqganModel vqgan;
  vqgan.spec = *m.vqgan;
  vqgan.device = device;
  vqgan.decoder = load_module(m.vqgan->decoder, device);
  vqgan.codebook = read_codebook(vqgan.decoder, *m.vqgan);
  if (with_encoder && m.vqgan->encoder) vqgan.encoder = load_module(*m.vqgan->encoder, device);
  return vqgan;
}

}  // namespace

ClipModel& Models::require_clip() {
  if (!clip) throw BundleError(manifest.dir.string() + ": the CLIP part of the bundle was not loaded");
  return *clip;
}

const ClipModel& Models::require_clip() const { return const_cast<Models*>(this)->require_clip(); }

VqganModel& Models::require_vqgan() {
  if (!vqgan) throw BundleError(manifest.dir.string() + ": the VQGAN part of the bundle was not loaded");
  return *vqgan;
}

const VqganModel& Models::require_vqgan() const { return const_cast<Models*>(this)->require_vqgan(); }

int64_t parameter_count(const torch::jit::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

Models load_models(const std::filesystem::path& bundle_dir, const LoadOptions& options) {
  const auto start = Clock::now();
  Models models;
  models.manifest = read_manifest(bundle_dir);
  models.device = options.device;
  models.verify_hashes = options.verify_hashes;
  const auto& m = models.manifest;
  if (options.verify_hashes) {
    const auto hashing = Clock::now();
    const auto files = files_of(m, options.parts);
    verify_bundle_files(m, files);
    spdlog::debug("sha256 of {} bundle file(s) checked in {:.3f} s", files.size(), seconds_since(hashing));
  }
  // The VQGAN loads on a thread of its own while the CLIP loads here (and its
  // image encoder on another): reading and compiling TorchScript runs on one
  // core. A full-size bundle's modules took 0.35 s instead of about 0.6 s from
  // the page cache. An error is the first module's, as when they loaded in turn.
  std::future<VqganModel> vqgan;
  if (options.parts.vqgan_decoder) {
    vqgan = std::async(loading_policy(), load_vqgan, std::cref(m), std::cref(options.device),
                       options.parts.vqgan_encoder);
  }
  if (options.parts.clip) models.clip = load_clip(m, options.device);
  if (vqgan.valid()) models.vqgan = vqgan.get();
  if (options.probe) {
    const auto probing = Clock::now();
    if (models.clip) probe_clip(*models.clip);
    if (models.vqgan) probe_vqgan(*models.vqgan);
    spdlog::debug("modules probed in {:.3f} s", seconds_since(probing));
  }
  spdlog::debug("bundle {} loaded from {} on {} in {:.3f} s ({}{})", m.name, bundle_dir.string(),
                models.device.str(), seconds_since(start), models.clip ? "CLIP" : "no CLIP",
                models.vqgan ? (models.vqgan->encoder ? ", VQGAN decoder and encoder" : ", VQGAN decoder") : "");
  return models;
}

Models load_models(const ResolvedContext& context, ModelParts parts) {
  configure_threads(context.threads);
  set_max_image_pixels(context.max_image_pixels);
  LoadOptions options;
  options.device = context.device;
  options.verify_hashes = context.verify;
  options.parts = parts;
  auto models = load_models(context.bundle_dir, options);
  models.precision = context.precision;
  models.memory_budget = context.max_memory;
  return models;
}

std::shared_ptr<const Tokenizer> load_tokenizer(const Manifest& manifest, bool verify) {
  if (verify) verify_bundle_files(manifest, {manifest.clip.tokenizer.file});
  return make_shared_tokenizer(manifest.clip.tokenizer);
}

}  // namespace vqclip
