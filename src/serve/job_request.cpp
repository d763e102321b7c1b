#include "serve/job_request.hpp"

#include <set>

#include "io/base64.hpp"
#include "model/sha256.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::serve {
namespace {

// Fields that name files or bundles on the server: never taken from a request.
const std::set<std::string> kServerPathFields{"perceptors"};

// The picture's format from its first bytes, as a file extension.
std::string picture_extension(const std::string& bytes) {
  const auto starts = [&bytes](std::string_view magic) { return bytes.compare(0, magic.size(), magic) == 0; };
  if (starts("\x89PNG\r\n\x1a\n")) return ".png";
  if (starts("\xff\xd8\xff")) return ".jpg";
  if (starts("GIF8")) return ".gif";
  if (starts("BM")) return ".bmp";
  if (bytes.size() >= 12 && starts("RIFF") && bytes.compare(8, 4, "WEBP") == 0) return ".webp";
  return "";
}

// A base64 picture (or a data: URL of one) saved under out/uploads by content
// hash; returns the file's path.
std::string save_picture(const nlohmann::json& value, const std::string& field, const ServeOptions& options) {
  if (!value.is_string()) throw RequestError(400, field + ": expected a base64 picture (PNG, JPEG, GIF, BMP or WebP)");
  std::string_view text = value.get_ref<const std::string&>();
  if (text.rfind("data:", 0) == 0) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") == std::string_view::npos) {
      throw RequestError(400, field + ": a data: URL must be base64");
    }
    text.remove_prefix(comma + 1);
  }
  const auto bytes = base64_decode(text);
  if (!bytes) throw RequestError(400, field + ": not valid base64");
  const auto extension = picture_extension(*bytes);
  if (extension.empty()) throw RequestError(400, field + ": not a PNG, JPEG, GIF, BMP or WebP picture");
  const auto path = options.out_dir / "uploads" / (sha256_hex(bytes->data(), bytes->size()) + extension);
  if (!std::filesystem::exists(path)) write_file_atomically(path, *bytes);
  return path.string();
}

}  // namespace

std::string one_line(const std::string& text) {
  std::string line;
  line.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      line += "\\n";
    } else if (byte < 0x20 || byte == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      line += "\\x";
      line += kHex[byte >> 4];
      line += kHex[byte & 15];
    } else {
      line += c;
    }
  }
  return line;
}

std::pair<int, int> parse_size(const std::string& text, const std::string& field) {
  const auto x = text.find('x');
  try {
    size_t used_w = 0, used_h = 0;
    if (x == std::string::npos) throw std::invalid_argument(text);
    const int width = std::stoi(text.substr(0, x), &used_w);
    const int height = std::stoi(text.substr(x + 1), &used_h);
    if (used_w != x || used_h != text.size() - x - 1 || width <= 0 || height <= 0) throw std::invalid_argument(text);
    return {width, height};
  } catch (const std::logic_error&) {
    throw RequestError(400, field + ": '" + text + "' is not WIDTHxHEIGHT (e.g. 256x256)");
  }
}

namespace {

// The pixels the job will draw, at the size it renders (the bundle's default
// when none is asked, rounded) and in its second pass, against --max-pixels.
void check_largest_pass(const GenerationParams& resolved, const Manifest& manifest, const ServeOptions& options) {
  int64_t pixels = int64_t{*resolved.width} * *resolved.height;
  std::string which = "the picture's";
  if (resolved.hires.enabled()) {
    const auto second = hires_size(resolved, size_multiple(resolved.drawer, manifest));
    pixels = int64_t{second.width} * second.height;
    which = "the second pass's (hires_scale)";
  }
  if (pixels > options.max_pixels) {
    throw RequestError(400, "size: " + std::to_string(pixels) + " pixels, " + which + ", is more than this server's " +
                                "--max-pixels " + std::to_string(options.max_pixels));
  }
}

}  // namespace

GenerationParams params_from_request(const nlohmann::json& body, const ServeOptions& options,
                                     const Manifest& manifest) {
  if (!body.is_object()) throw RequestError(400, "the body must be a JSON object");
  auto form = to_json(GenerationParams{});
  for (const auto& [key, value] : body.items()) {
    if (key == "prompt") {
      if (!value.is_string()) throw RequestError(400, "prompt: expected text");
      form["prompts"] = nlohmann::json::array({value});
    } else if (key == "size") {
      if (!value.is_string()) throw RequestError(400, "size: expected text such as \"256x256\"");
      const auto [width, height] = parse_size(value.get<std::string>(), "size");
      form["width"] = width;
      form["height"] = height;
    } else if (key == "init_image") {
      form[key] = value.is_null() ? value : nlohmann::json(save_picture(value, key, options));
    } else if (key == "image_prompts") {
      if (!value.is_array()) throw RequestError(400, "image_prompts: expected a list of {image, weight}");
      nlohmann::json prompts = nlohmann::json::array();
      for (const auto& prompt : value) {
        if (!prompt.is_object() || !prompt.contains("image")) {
          throw RequestError(400, "image_prompts: each is {\"image\": base64 picture, \"weight\": number}");
        }
        auto saved = prompt;
        saved["image"] = save_picture(prompt["image"], "image_prompts", options);
        if (!saved.contains("weight")) saved["weight"] = 1.0;
        if (!saved.contains("stop")) saved["stop"] = nullptr;
        prompts.push_back(saved);
      }
      form[key] = prompts;
    } else if (kServerPathFields.count(key)) {
      throw RequestError(400, key + ": names files on the server, which a request may not");
    } else if (!form.contains(key)) {
      throw RequestError(400, key + ": unknown field");
    } else {
      form[key] = value;
    }
  }
  GenerationParams params;
  try {
    params = generation_from_json(form, "request");
  } catch (const InputError& e) {
    throw RequestError(400, e.what());
  }
  if (params.steps > options.max_steps) {
    throw RequestError(400, "steps: " + std::to_string(params.steps) + " is more than this server's --max-steps " +
                                std::to_string(options.max_steps));
  }
  GenerationParams resolved;
  try {
    resolved = resolve(params, manifest);  // the job keeps the fields as asked: resolved again when it runs
  } catch (const ParameterError& e) {
    throw RequestError(400, e.what());
  } catch (const BundleError& e) {
    throw RequestError(400, e.what());
  }
  check_largest_pass(resolved, manifest, options);
  if (!params.seed) params.seed = random_seed();
  return params;
}

OpenAiImagesRequest openai_images_request(const nlohmann::json& body, const ServeOptions& options,
                                          const Manifest& manifest) {
  if (!body.is_object()) throw RequestError(400, "the body must be a JSON object");
  if (!body.contains("prompt") || !body["prompt"].is_string()) throw RequestError(400, "prompt: required text");
  OpenAiImagesRequest request;
  if (body.contains("n")) {
    const auto& n = body["n"];  // compared as JSON: no narrowing of a huge number first
    if (!n.is_number_integer() || n < 1 || n > options.max_n) {
      throw RequestError(400, "n: must be a whole number from 1 to " + std::to_string(options.max_n));
    }
    request.n = n.get<int>();
  }
  const auto format = body.value("response_format", nlohmann::json("url"));
  if (format != "url" && format != "b64_json") throw RequestError(400, "response_format: must be url or b64_json");
  request.b64_json = format == "b64_json";
  auto fields = body;
  for (const char* key : {"n", "response_format", "model", "quality", "style", "user"}) fields.erase(key);
  request.first = params_from_request(fields, options, manifest);
  return request;
}

}  // namespace vqclip::serve
