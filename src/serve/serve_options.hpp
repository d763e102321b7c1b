#pragma once
// `vqclip serve`'s options: where it listens, where jobs go, who may use it,
// and the limits that keep one request from taking the machine.
#include <cstdint>
#include <filesystem>
#include <string>

namespace vqclip::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8188;                         // 0: any free port (printed at start)
  std::filesystem::path out_dir = "out";   // pictures, manifest.jsonl, jobs/
  std::string token;                       // Bearer token every endpoint but /healthz needs; empty: none
  bool insecure_no_auth = false;           // allow a non-loopback address without a token
  std::string cors_origin;                 // Access-Control-Allow-Origin; empty: no CORS
  size_t max_queue = 16;                   // jobs waiting (the running one not counted); more: 429
  int max_steps = 1000;
  int64_t max_pixels = 512 * 512;          // width x height of a job
  int max_n = 4;                           // pictures of one OpenAI request
  size_t max_body_bytes = 32u << 20;       // request bodies (base64 pictures included); more: 413
  int preview_every = 10;                  // a preview event every N steps; 0: none
  int http_threads = 16;                   // connections served at once (event streams hold one each)
};

// Throws UsageError naming the option: a non-loopback host without --token or
// --insecure-no-auth, limits below 1.
void validate(const ServeOptions& options);

bool is_loopback(const std::string& host);

}  // namespace vqclip::serve
