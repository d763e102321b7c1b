#include "tokenizer/sentencepiece_tokenizer.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "vqclip/errors.hpp"
#include "vqclip_paths.hpp"
#include "vqclip/spm_module.hpp"

namespace vqclip {
namespace {

constexpr const char* kModuleName = "vqclip_spm.so";

std::filesystem::path executable_dir() {
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : exe.parent_path();
}

// The module's entry points, resolved once per process.
struct SpmModule {
  vqclip_spm_open_fn open = nullptr;
  vqclip_spm_encode_fn encode = nullptr;
  vqclip_spm_id_to_piece_fn id_to_piece = nullptr;
  vqclip_spm_close_fn close = nullptr;
};

template <typename Fn>
Fn symbol(void* library, const char* name, const std::filesystem::path& path) {
  void* address = dlsym(library, name);
  if (!address) throw BundleError(path.string() + ": missing symbol " + name + " (module from another version?)");
  return reinterpret_cast<Fn>(address);
}

const SpmModule& spm_module() {
  static SpmModule module;
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    std::vector<std::filesystem::path> candidates;
    if (const char* env = std::getenv("VQCLIP_SPM_MODULE"); env && *env) candidates.emplace_back(env);
    const auto dir = executable_dir();
    candidates.push_back(dir / kModuleName);
    candidates.push_back(dir / VQCLIP_INSTALL_LIBDIR_REL / kModuleName);
    std::string looked;
    for (const auto& path : candidates) {
      looked += (looked.empty() ? "" : ", ") + path.lexically_normal().string();
      if (!std::filesystem::exists(path)) continue;
      // A new link-map namespace: the module's protobuf stays invisible to libtorch's.
      void* library = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!library) {
        failure = path.string() + ": cannot load the sentencepiece module (" + dlerror() + ")";
        return;
      }
      try {
        const auto version = symbol<vqclip_spm_abi_version_fn>(library, "vqclip_spm_abi_version", path);
        if (version() != VQCLIP_SPM_ABI_VERSION) {
          failure = path.string() + ": sentencepiece module ABI " + std::to_string(version()) + ", expected " +
                    std::to_string(VQCLIP_SPM_ABI_VERSION);
          return;
        }
        module.open = symbol<vqclip_spm_open_fn>(library, "vqclip_spm_open", path);
        module.encode = symbol<vqclip_spm_encode_fn>(library, "vqclip_spm_encode", path);
        module.id_to_piece = symbol<vqclip_spm_id_to_piece_fn>(library, "vqclip_spm_id_to_piece", path);
        module.close = symbol<vqclip_spm_close_fn>(library, "vqclip_spm_close", path);
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

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(TokenizerSpec spec) : Tokenizer(std::move(spec)), module_(spm_module()) {
    char error[512] = {0};
    if (module_.open(this->spec().file.c_str(), &handle_, error, sizeof error) != 0) {
      throw BundleError(this->spec().file.string() + ": not a sentencepiece model (" + error + ")");
    }
  }
  ~SentencePieceTokenizer() override { module_.close(handle_); }

  std::vector<int64_t> encode(std::string_view text) const override {
    require_valid_utf8(text, "text");
    const std::string prepared = prepare(text);
    std::vector<int32_t> ids(prepared.size() + 16);
    size_t count = 0;
    char error[512] = {0};
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (module_.encode(handle_, prepared.data(), prepared.size(), ids.data(), ids.size(), &count, error,
                         sizeof error) != 0) {
        throw InputError(std::string("sentencepiece cannot encode the text (") + error + ")");
      }
      if (count <= ids.size()) break;
      ids.resize(count);
    }
    return std::vector<int64_t>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count));
  }

  std::vector<std::string> encode_pieces(std::string_view text) const override {
    std::vector<std::string> pieces;
    for (const auto id : encode(text)) {
      char buffer[256];
      const size_t length = module_.id_to_piece(handle_, static_cast<int32_t>(id), buffer, sizeof buffer);
      pieces.emplace_back(buffer, std::min(length, sizeof buffer - 1));
    }
    return pieces;
  }

 private:
  // Only lowercasing here: sentencepiece's own normaliser (NFKC, whitespace)
  // does the rest, exactly as spm_encode does on the same text.
  std::string prepare(std::string_view text) const {
    if (!spec().lowercase) return std::string(text);
    auto unicode = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    unicode.toLower(icu::Locale::getRoot());
    std::string out;
    unicode.toUTF8String(out);
    return out;
  }

  const SpmModule& module_;
  void* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const TokenizerSpec& spec) {
  return std::make_unique<SentencePieceTokenizer>(spec);
}

}  // namespace vqclip
