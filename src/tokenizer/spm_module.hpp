#pragma once
// C ABI of vqclip_spm.so, the module that isolates sentencepiece (and the
// protobuf it bundles) from libtorch's protobuf (docs/architecture.md,
// "Platform facts"). Plain types and caller-owned buffers only, so nothing C++
// crosses the boundary.
#include <stddef.h>
#include <stdint.h>

extern "C" {

#define VQCLIP_SPM_ABI_VERSION 1

typedef int (*vqclip_spm_abi_version_fn)(void);
// Returns 0 and a handle, or non-zero with a message in err (NUL-terminated, truncated to err_len).
typedef int (*vqclip_spm_open_fn)(const char* model_path, void** handle, char* err, size_t err_len);
// Encodes text into ids. Writes at most capacity ids; *count receives the full
// number (call again with a larger buffer if *count > capacity). 0 on success.
typedef int (*vqclip_spm_encode_fn)(void* handle, const char* text, size_t text_len, int32_t* ids, size_t capacity,
                                    size_t* count, char* err, size_t err_len);
// The printable piece of one id, NUL-terminated in buffer (truncated to capacity - 1);
// returns its full length, 0 for an id outside the vocabulary.
typedef size_t (*vqclip_spm_id_to_piece_fn)(void* handle, int32_t id, char* buffer, size_t capacity);
typedef int (*vqclip_spm_vocab_size_fn)(void* handle);
typedef void (*vqclip_spm_close_fn)(void* handle);
}
