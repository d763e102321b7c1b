// vqclip_spm.so: sentencepiece behind a C ABI. Loaded with dlmopen into its own
// link-map namespace, so its bundled protobuf never meets libtorch's.
#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "vqclip/spm_module.hpp"

#define VQCLIP_SPM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

void copy_message(const std::string& message, char* err, size_t err_len) {
  if (!err || err_len == 0) return;
  const size_t n = std::min(message.size(), err_len - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

}  // namespace

VQCLIP_SPM_EXPORT int vqclip_spm_abi_version(void) { return VQCLIP_SPM_ABI_VERSION; }

VQCLIP_SPM_EXPORT int vqclip_spm_open(const char* model_path, void** handle, char* err, size_t err_len) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->Load(model_path);
  if (!status.ok()) {
    copy_message(status.ToString(), err, err_len);
    return 1;
  }
  *handle = processor.release();
  return 0;
}

VQCLIP_SPM_EXPORT int vqclip_spm_encode(void* handle, const char* text, size_t text_len, int32_t* ids,
                                        size_t capacity, size_t* count, char* err, size_t err_len) {
  auto* processor = static_cast<sentencepiece::SentencePieceProcessor*>(handle);
  std::vector<int> encoded;
  const auto status = processor->Encode(std::string(text, text_len), &encoded);
  if (!status.ok()) {
    copy_message(status.ToString(), err, err_len);
    return 1;
  }
  *count = encoded.size();
  for (size_t i = 0; i < std::min(capacity, encoded.size()); ++i) ids[i] = encoded[i];
  return 0;
}

VQCLIP_SPM_EXPORT size_t vqclip_spm_id_to_piece(void* handle, int32_t id, char* buffer, size_t capacity) {
  const auto piece = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IdToPiece(id);
  copy_message(piece, buffer, capacity);
  return piece.size();
}

VQCLIP_SPM_EXPORT int vqclip_spm_vocab_size(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}

VQCLIP_SPM_EXPORT void vqclip_spm_close(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}
