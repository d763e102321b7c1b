#pragma once
// The module's entry points for a program that compiles spm_module.cpp in
// instead of loading vqclip_spm.so (see use_linked_spm_module).
#include "tokenizer/spm_loader.hpp"

extern "C" {
int vqclip_spm_open(const char* model_path, void** handle, char* err, size_t err_len);
int vqclip_spm_encode(void* handle, const char* text, size_t text_len, int32_t* ids, size_t capacity, size_t* count,
                      char* err, size_t err_len);
size_t vqclip_spm_id_to_piece(void* handle, int32_t id, char* buffer, size_t capacity);
int vqclip_spm_vocab_size(void* handle);
void vqclip_spm_close(void* handle);
}

namespace vqclip {

inline SpmModule linked_spm_entry_points() {
  return SpmModule{&vqclip_spm_open, &vqclip_spm_encode, &vqclip_spm_id_to_piece, &vqclip_spm_vocab_size,
                   &vqclip_spm_close};
}

}  // namespace vqclip
