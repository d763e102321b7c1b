#include "serve/serve_options.hpp"

#include "vqclip/errors.hpp"

namespace vqclip::serve {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void validate(const ServeOptions& options) {
  if (!is_loopback(options.host) && options.token.empty() && !options.insecure_no_auth) {
    throw UsageError("--listen " + options.host +
                     ": not a loopback address; give --token SECRET (or --insecure-no-auth to serve anyone)");
  }
  if (options.port < 0 || options.port > 65535) throw UsageError("--listen: port " + std::to_string(options.port) + " out of range");
  if (options.max_queue < 1) throw UsageError("--max-queue must be at least 1");
  if (options.max_steps < 1) throw UsageError("--max-steps must be at least 1");
  if (options.max_pixels < 64) throw UsageError("--max-pixels must be at least 64");
  if (options.max_n < 1) throw UsageError("--max-n must be at least 1");
  if (options.http_threads < 2) throw UsageError("--http-threads must be at least 2");
}

}  // namespace vqclip::serve
