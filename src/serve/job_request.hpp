#pragma once
// A job request's JSON body made into validated generation parameters: the
// fields of the generation form (docs/serve.md) over the library's defaults,
// "prompt" and "size" as shorthands, pictures inside the request as base64
// (saved under out/uploads by content hash), never a path on the server.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "serve/serve_options.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/generation_params.hpp"

namespace vqclip::serve {

// Throws RequestError (400 or 413) naming the field, also for what only the
// served bundle can judge (a drawer it cannot draw with, a size beyond its
// limits once rounded), so that such a job is refused, not queued to fail.
GenerationParams params_from_request(const nlohmann::json& body, const ServeOptions& options,
                                     const Manifest& manifest);

// A POST /v1/images/generations body: OpenAI's fields (prompt required; n,
// response_format; model, quality, style and user ignored) and vqclip's
// generation fields beside them.
struct OpenAiImagesRequest {
  GenerationParams first;  // the first picture's; picture i renders with seed first.seed + i
  int n = 1;
  bool b64_json = false;   // response_format b64_json; otherwise url
};

// Throws RequestError (400) naming the field.
OpenAiImagesRequest openai_images_request(const nlohmann::json& body, const ServeOptions& options,
                                          const Manifest& manifest);

// "512x384" -> {512, 384}; throws RequestError naming `field`.
std::pair<int, int> parse_size(const std::string& text, const std::string& field);

// Control characters escaped (a newline as \n): a message that echoes a
// request's text stays one line.
std::string one_line(const std::string& text);

// An error answered to the client: status and a one-line message.
struct RequestError : std::runtime_error {
  RequestError(int status, const std::string& message) : std::runtime_error(one_line(message)), status(status) {}
  int status;
};

}  // namespace vqclip::serve
