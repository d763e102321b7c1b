// vqclip_spm.so: sentencepiece behind a C ABI. Loaded with dlmopen into its own
// link-map namespace, so its bundled protobuf never meets libtorch's. No C++
// exception may cross the ABI: each entry point turns one into an error code.
#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/spm_module.hpp"

#define VQCLIP_SPM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using sentencepiece::SentencePieceProcessor;

void copy_message(const std::string& message, char* err, size_t err_len) {
  if (!err || err_len == 0) return;
  const size_t n = std::min(message.size(), err_len - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

}  // namespace

VQCLIP_SPM_EXPORT int vqclip_spm_abi_version(void) { return VQCLIP_SPM_ABI_VERSION; }

VQCLIP_SPM_EXPORT int vqclip_spm_open(const char* model_path, void** handle, char* err, size_t err_len) {
  if (!model_path || !handle) {
    copy_message("no model path or handle given", err, err_len);
    return 1;
  }
  try {
    auto processor = std::make_unique<SentencePieceProcessor>();
    const auto status = processor->Load(model_path);
    if (!status.ok()) {
      copy_message(status.ToString(), err, err_len);
      return 1;
    }
    *handle = processor.release();
    return 0;
  } catch (const std::exception& e) {
    copy_message(e.what(), err, err_len);
    return 1;
  }
}

VQCLIP_SPM_EXPORT int vqclip_spm_encode(void* handle, const char* text, size_t text_len, int32_t* ids,
                                        size_t capacity, size_t* count, char* err, size_t err_len) {
  if (!handle || (!text && text_len > 0) || (!ids && capacity > 0) || !count) {
    copy_message("invalid arguments", err, err_len);
    return 1;
  }
  try {
    std::vector<int> encoded;
    const auto status = static_cast<SentencePieceProcessor*>(handle)->Encode(std::string(text, text_len), &encoded);
    if (!status.ok()) {
      copy_message(status.ToString(), err, err_len);
      return 1;
    }
    *count = encoded.size();
    std::copy_n(encoded.begin(), std::min(capacity, encoded.size()), ids);
    return 0;
  } catch (const std::exception& e) {
    copy_message(e.what(), err, err_len);
    return 1;
  }
}

VQCLIP_SPM_EXPORT size_t vqclip_spm_id_to_piece(void* handle, int32_t id, char* buffer, size_t capacity) {
  if (!handle) return 0;
  const auto* processor = static_cast<SentencePieceProcessor*>(handle);
  if (id < 0 || id >= processor->GetPieceSize()) {
    copy_message("", buffer, capacity);
    return 0;
  }
  const auto& piece = processor->IdToPiece(id);
  copy_message(piece, buffer, capacity);
  return piece.size();
}

VQCLIP_SPM_EXPORT int vqclip_spm_vocab_size(void* handle) {
  return handle ? static_cast<SentencePieceProcessor*>(handle)->GetPieceSize() : 0;
}

VQCLIP_SPM_EXPORT void vqclip_spm_close(void* handle) { delete static_cast<SentencePieceProcessor*>(handle); }
