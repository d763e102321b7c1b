#include "tokenizer/spm_loader.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "config/install_paths.hpp"
#include "vqclip/errors.hpp"
#include "vqclip_paths.hpp"

namespace vqclip {
namespace {

constexpr const char* kModuleName = "vqclip_spm.so";

template <typename Fn>
Fn symbol(void* library, const char* name, const std::filesystem::path& path) {
  void* address = dlsym(library, name);
  if (!address) throw BundleError(path.string() + ": missing symbol " + name + " (module from another version?)");
  return reinterpret_cast<Fn>(address);
}

SpmModule load(const std::filesystem::path& path) {
  // A new link-map namespace: the module's protobuf stays invisible to libtorch's.
  void* library = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) throw BundleError(path.string() + ": cannot load the sentencepiece module (" + dlerror() + ")");
  const auto version = symbol<vqclip_spm_abi_version_fn>(library, "vqclip_spm_abi_version", path)();
  if (version != VQCLIP_SPM_ABI_VERSION) {
    throw BundleError(path.string() + ": sentencepiece module ABI " + std::to_string(version) + ", expected " +
                      std::to_string(VQCLIP_SPM_ABI_VERSION));
  }
  SpmModule module;
  module.open = symbol<vqclip_spm_open_fn>(library, "vqclip_spm_open", path);
  module.encode = symbol<vqclip_spm_encode_fn>(library, "vqclip_spm_encode", path);
  module.id_to_piece = symbol<vqclip_spm_id_to_piece_fn>(library, "vqclip_spm_id_to_piece", path);
  module.vocab_size = symbol<vqclip_spm_vocab_size_fn>(library, "vqclip_spm_vocab_size", path);
  module.close = symbol<vqclip_spm_close_fn>(library, "vqclip_spm_close", path);
  return module;
}

SpmModule& linked_module() {
  static SpmModule module;
  return module;
}

}  // namespace

void use_linked_spm_module(const SpmModule& module) { linked_module() = module; }

const SpmModule& spm_module() {
  static SpmModule module;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    if (linked_module().open) {
      module = linked_module();
      return;
    }
    std::vector<std::filesystem::path> candidates;
    if (const char* env = std::getenv("VQCLIP_SPM_MODULE"); env && *env) candidates.emplace_back(env);
    // Beside the library or the executable (a build tree), then where an install puts it.
    for (const auto& dir : install_candidates(".", ".")) candidates.push_back(dir / kModuleName);
    for (const auto& dir : install_candidates(VQCLIP_LIBDIR_TO_MODULE, VQCLIP_BINDIR_TO_MODULE)) {
      candidates.push_back(dir / kModuleName);
    }
    std::string looked;
    for (const auto& path : candidates) {
      looked += (looked.empty() ? "" : ", ") + path.lexically_normal().string();
      if (!std::filesystem::exists(path)) continue;
      try {
        module = load(path);
      } catch (const BundleError& e) {
        failure = e.what();
      }
      return;
    }
    failure = std::string("sentencepiece module ") + kModuleName + " not found (looked in: " + looked +
              "; set VQCLIP_SPM_MODULE to its path)";
  });
  if (!failure.empty()) throw BundleError(failure);
  return module;
}

}  // namespace vqclip
