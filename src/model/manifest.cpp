// vqclip.json: parsing and validation against the bundle contract (DESIGN section 3).
#include <fstream>

#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

constexpr int kSupportedVersion = 1;

// Reads fields of one JSON object, naming the manifest and the dotted field
// path in every error.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string manifest, std::string prefix)
      : object_(object), manifest_(std::move(manifest)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw BundleError(manifest_ + ": " + prefix_ + key + ": " + problem);
  }

  bool has(const std::string& key) const { return object_.contains(key) && !object_.at(key).is_null(); }

  const nlohmann::json& get(const std::string& key) const {
    if (!has(key)) fail(key, "missing required field");
    return object_.at(key);
  }

  FieldReader child(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_object()) fail(key, "expected an object, found " + value.dump());
    return FieldReader(value, manifest_, prefix_ + key + ".");
  }

  std::string text(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_string() || value.get<std::string>().empty()) fail(key, "expected a non-empty string, found " + value.dump());
    return value.get<std::string>();
  }

  int positive_int(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_number_integer() || value.get<int64_t>() <= 0 || value.get<int64_t>() > (1 << 30)) {
      fail(key, "expected a positive integer, found " + value.dump());
    }
    return value.get<int>();
  }

  int64_t integer(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_number_integer()) fail(key, "expected an integer, found " + value.dump());
    return value.get<int64_t>();
  }

  double number(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_number()) fail(key, "expected a number, found " + value.dump());
    return value.get<double>();
  }

  bool boolean(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_boolean()) fail(key, "expected true or false, found " + value.dump());
    return value.get<bool>();
  }

  std::array<float, 3> three_floats(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_array() || value.size() != 3) fail(key, "expected 3 numbers, found " + value.dump());
    std::array<float, 3> result{};
    for (size_t i = 0; i < 3; ++i) {
      if (!value[i].is_number()) fail(key, "expected 3 numbers, found " + value.dump());
      result[i] = value[i].get<float>();
    }
    return result;
  }

  // A file named by the manifest, which must exist in the bundle directory.
  std::filesystem::path file(const std::string& key, const std::filesystem::path& dir) const {
    const std::string name = text(key);
    const auto path = dir / name;
    if (!std::filesystem::is_regular_file(path)) fail(key, "file " + path.string() + " does not exist");
    return path;
  }

 private:
  const nlohmann::json& object_;
  std::string manifest_;
  std::string prefix_;
};

nlohmann::json parse_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    throw BundleError(path.string() + ": missing (a model bundle is a directory with vqclip.json; see --models)");
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() names the byte position; keep it on one line.
    throw BundleError(path.string() + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

TokenizerSpec read_tokenizer(const FieldReader& t, const std::filesystem::path& dir, int context_length) {
  TokenizerSpec spec;
  spec.type = t.text("type");
  if (spec.type != "clip_bpe" && spec.type != "sentencepiece") {
    t.fail("type", "unknown tokenizer type \"" + spec.type + "\" (expected clip_bpe or sentencepiece)");
  }
  spec.file = t.file("file", dir);
  spec.bos_id = t.integer("bos_id");
  spec.eos_id = t.integer("eos_id");
  spec.pad_id = t.integer("pad_id");
  spec.lowercase = t.boolean("lowercase");
  spec.context_length = context_length;
  return spec;
}

}  // namespace

Manifest read_manifest(const std::filesystem::path& bundle_dir) {
  const auto path = bundle_dir / "vqclip.json";
  Manifest m;
  m.dir = bundle_dir;
  m.raw = parse_json_file(path);
  if (!m.raw.is_object()) throw BundleError(path.string() + ": expected a JSON object at the top level");
  const FieldReader top(m.raw, path.string(), "");

  if (top.text("format") != "vqclip-bundle") {
    top.fail("format", "expected \"vqclip-bundle\", found " + m.raw.at("format").dump());
  }
  const auto version = top.integer("version");
  if (version > kSupportedVersion) {
    top.fail("version", "bundle version " + std::to_string(version) + " is newer than this vqclip supports (" +
                            std::to_string(kSupportedVersion) + "); update vqclip");
  }
  if (version < 1) top.fail("version", "expected 1, found " + std::to_string(version));
  m.name = top.text("name");

  const auto& size = top.get("default_size");
  if (!size.is_array() || size.size() != 2 || !size[0].is_number_integer() || !size[1].is_number_integer() ||
      size[0].get<int>() <= 0 || size[1].get<int>() <= 0) {
    top.fail("default_size", "expected [W, H] positive integers, found " + size.dump());
  }
  m.default_width = size[0].get<int>();
  m.default_height = size[1].get<int>();

  const auto clip = top.child("clip");
  m.clip.text_encoder = clip.file("text_encoder", bundle_dir);
  m.clip.image_encoder = clip.file("image_encoder", bundle_dir);
  m.clip.input_resolution = clip.positive_int("input_resolution");
  m.clip.context_length = clip.positive_int("context_length");
  m.clip.embed_dim = clip.positive_int("embed_dim");
  m.clip.mean = clip.three_floats("mean");
  m.clip.std = clip.three_floats("std");
  for (const float s : m.clip.std) {
    if (!(s > 0)) clip.fail("std", "every value must be positive");
  }
  m.clip.logit_scale = clip.number("logit_scale");
  m.clip.tokenizer = read_tokenizer(clip.child("tokenizer"), bundle_dir, m.clip.context_length);

  const auto vqgan = top.child("vqgan");
  m.vqgan.decoder = vqgan.file("decoder", bundle_dir);
  if (vqgan.has("encoder")) m.vqgan.encoder = vqgan.file("encoder", bundle_dir);
  m.vqgan.downsample_factor = vqgan.positive_int("downsample_factor");
  m.vqgan.embed_dim = vqgan.positive_int("embed_dim");
  m.vqgan.n_embed = vqgan.positive_int("n_embed");

  if (top.has("files")) {
    const auto& files = top.get("files");
    if (!files.is_object()) top.fail("files", "expected an object {file: sha256}");
    for (const auto& [name, hash] : files.items()) {
      if (!hash.is_string() || hash.get<std::string>().size() != 64) {
        top.fail("files." + name, "expected a 64-character sha256 hex string, found " + hash.dump());
      }
      if (!std::filesystem::is_regular_file(bundle_dir / name)) {
        top.fail("files." + name, "file " + (bundle_dir / name).string() + " does not exist");
      }
      m.file_hashes[name] = hash.get<std::string>();
    }
  }
  return m;
}

}  // namespace vqclip
