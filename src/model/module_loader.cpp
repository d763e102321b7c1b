// Loading the bundle's TorchScript modules: frozen, eval mode, on the device,
// each checked once on tiny inputs against the manifest.
#include <spdlog/spdlog.h>

#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::string first_line(const char* text) {
  std::string s(text);
  return s.substr(0, s.find('\n'));
}

torch::jit::Module load_module(const std::filesystem::path& path, const torch::Device& device) {
  try {
    auto module = torch::jit::load(path.string(), device);
    module.eval();
    for (auto parameter : module.parameters()) parameter.requires_grad_(false);
    return module;
  } catch (const c10::Error& e) {
    throw BundleError(path.string() + ": not a loadable TorchScript module (" + first_line(e.what_without_backtrace()) +
                      ")");
  }
}

std::string shape_text(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

// Runs `module` on `input` and checks the output shape.
void probe(torch::jit::Module& module, const std::filesystem::path& path, const torch::Tensor& input,
           const std::vector<int64_t>& expected, const std::string& what) {
  torch::Tensor output;
  try {
    torch::NoGradGuard no_grad;
    output = module.forward({input}).toTensor();
  } catch (const c10::Error& e) {
    throw BundleError(path.string() + ": " + what + " failed on input " + shape_text(input) + " (" +
                      first_line(e.what_without_backtrace()) + ")");
  }
  if (output.sizes().vec() != expected) {
    throw BundleError(path.string() + ": " + what + " gave shape " + shape_text(output) + ", expected " +
                      shape_text(torch::empty(expected, torch::kMeta)) + " from vqclip.json");
  }
}

void verify_hashes(const Manifest& m) {
  for (const auto& [name, expected] : m.file_hashes) {
    const auto found = sha256_file(m.dir / name);
    if (found != expected) {
      throw BundleError((m.dir / name).string() + ": sha256 mismatch (vqclip.json files." + name + " expects " +
                        expected.substr(0, 12) + "..., file has " + found.substr(0, 12) +
                        "...): the file is corrupt or was changed; --no-verify skips this check");
    }
  }
}

void probe_modules(Bundle& b) {
  const auto& m = b.manifest;
  const auto on = torch::TensorOptions().device(b.device);
  auto tokens = torch::full({2, m.clip.context_length}, m.clip.tokenizer.pad_id, on.dtype(torch::kLong));
  tokens.select(1, 0).fill_(m.clip.tokenizer.bos_id);
  tokens.select(1, 1).fill_(m.clip.tokenizer.eos_id);
  probe(b.text_encoder, m.clip.text_encoder, tokens, {2, m.clip.embed_dim}, "text encoder");

  const int r = m.clip.input_resolution;
  probe(b.image_encoder, m.clip.image_encoder, torch::zeros({1, 3, r, r}, on), {1, m.clip.embed_dim}, "image encoder");

  const int f = m.vqgan.downsample_factor;
  const auto codes = b.codebook.index_select(0, torch::arange(6, on.dtype(torch::kLong)) % m.vqgan.n_embed);
  const auto z = codes.view({1, 2, 3, m.vqgan.embed_dim}).permute({0, 3, 1, 2}).contiguous();
  probe(b.decoder, m.vqgan.decoder, z, {1, 3, 2 * f, 3 * f}, "decoder");

  if (b.encoder) {
    probe(*b.encoder, *m.vqgan.encoder, torch::zeros({1, 3, 2 * f, 2 * f}, on), {1, m.vqgan.embed_dim, 2, 2},
          "encoder");
  }
}

torch::Tensor read_codebook(const torch::jit::Module& decoder, const Manifest& m) {
  for (const auto& buffer : decoder.named_buffers(/*recurse=*/false)) {
    if (buffer.name != "codebook") continue;
    const auto codebook = buffer.value.detach().to(torch::kFloat);
    const std::vector<int64_t> expected{m.vqgan.n_embed, m.vqgan.embed_dim};
    if (codebook.sizes().vec() != expected) {
      throw BundleError(m.vqgan.decoder.string() + ": buffer codebook has shape " + shape_text(codebook) +
                        ", expected [vqgan.n_embed, vqgan.embed_dim] = [" + std::to_string(expected[0]) + ", " +
                        std::to_string(expected[1]) + "]");
    }
    return codebook;
  }
  throw BundleError(m.vqgan.decoder.string() + ": no buffer named codebook (the bundle contract needs it)");
}

}  // namespace

Bundle load_bundle(const std::filesystem::path& bundle_dir, const LoadOptions& options) {
  Bundle b;
  b.manifest = read_manifest(bundle_dir);
  b.device = options.device;
  if (options.verify_hashes) verify_hashes(b.manifest);
  const auto& m = b.manifest;
  b.tokenizer = make_tokenizer(m.clip.tokenizer);
  b.text_encoder = load_module(m.clip.text_encoder, b.device);
  b.image_encoder = load_module(m.clip.image_encoder, b.device);
  b.decoder = load_module(m.vqgan.decoder, b.device);
  b.codebook = read_codebook(b.decoder, m);
  if (options.load_encoder && m.vqgan.encoder) b.encoder = load_module(*m.vqgan.encoder, b.device);
  if (options.probe) probe_modules(b);
  spdlog::debug("bundle {} loaded from {}", m.name, bundle_dir.string());
  return b;
}

}  // namespace vqclip
