// vqclip.json: parsing and validation against the bundle contract
// (docs/architecture.md, "The bundle contract").
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "io/bounded_json.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// 1: CLIP and VQGAN. 2: the VQGAN section may be left out (a CLIP-only
// bundle, for the drawers other than the VQGAN's and the CLIP tools).
constexpr int64_t kSupportedVersion = 2;
constexpr int64_t kLargestSize = int64_t{1} << 30;  // keeps every int field well inside int

// Nothing for a regular file; "" for one that does not exist; else why it
// cannot be examined (a symbolic-link loop, no permission): never an exception.
std::optional<std::string> file_problem(const std::filesystem::path& path) {
  std::error_code error;
  const bool regular = std::filesystem::is_regular_file(path, error);
  if (regular) return std::nullopt;
  if (!error || error == std::errc::no_such_file_or_directory) return std::string();
  return error.message();
}

// Reads fields of one JSON object, naming the manifest and the dotted field
// path in every error.
class ManifestFieldReader {
 public:
  ManifestFieldReader(const nlohmann::json& object, std::string manifest, std::string prefix)
      : object_(object), manifest_(std::move(manifest)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw BundleError(manifest_ + ": " + prefix_ + key + ": " + problem);
  }

  bool has(const std::string& key) const { return object_.contains(key) && !object_.at(key).is_null(); }

  const nlohmann::json& get(const std::string& key) const {
    if (!has(key)) fail(key, "missing required field");
    return object_.at(key);
  }

  ManifestFieldReader child(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_object()) fail(key, "expected an object, found " + value.dump());
    return ManifestFieldReader(value, manifest_, prefix_ + key + ".");
  }

  std::string text(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_string() || value.get<std::string>().empty()) {
      fail(key, "expected a non-empty string, found " + value.dump());
    }
    return value.get<std::string>();
  }

  // An integer in [minimum, kLargestSize]; `expected` describes the range for the message.
  int64_t integer(const std::string& key, int64_t minimum, const std::string& expected) const {
    const auto& value = get(key);
    // Unsigned first: a value above INT64_MAX would wrap as int64_t.
    const bool in_range = value.is_number_integer() &&
                          (!value.is_number_unsigned() || value.get<uint64_t>() <= uint64_t(kLargestSize)) &&
                          value.get<int64_t>() >= minimum && value.get<int64_t>() <= kLargestSize;
    if (!in_range) fail(key, "expected " + expected + ", found " + value.dump());
    return value.get<int64_t>();
  }

  int positive_int(const std::string& key) const {
    return static_cast<int>(integer(key, 1, "a positive integer"));
  }

  double positive_number(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_number() || !(value.get<double>() > 0) || !std::isfinite(value.get<double>())) {
      fail(key, "expected a positive number, found " + value.dump());
    }
    return value.get<double>();
  }

  bool boolean(const std::string& key) const {
    const auto& value = get(key);
    if (!value.is_boolean()) fail(key, "expected true or false, found " + value.dump());
    return value.get<bool>();
  }

  std::array<float, 3> three_floats(const std::string& key, bool positive) const {
    const auto& value = get(key);
    const std::string expected = positive ? "3 positive numbers" : "3 numbers";
    if (!value.is_array() || value.size() != 3) fail(key, "expected " + expected + ", found " + value.dump());
    std::array<float, 3> result{};
    for (size_t i = 0; i < 3; ++i) {
      const bool ok = value[i].is_number() && std::isfinite(value[i].get<double>()) &&
                      (!positive || value[i].get<double>() > 0);
      if (!ok) fail(key, "expected " + expected + ", found " + value.dump());
      result[i] = value[i].get<float>();
    }
    return result;
  }

  // A file named by the manifest: a relative name that stays inside the bundle
  // directory (a manifest must not reach elsewhere) and exists there.
  std::filesystem::path file(const std::string& key, const std::filesystem::path& dir) const {
    return checked_file(key, text(key), dir);
  }

  std::filesystem::path checked_file(const std::string& key, const std::string& name,
                                     const std::filesystem::path& dir) const {
    const auto relative = std::filesystem::path(name).lexically_normal();
    if (relative.is_absolute() || relative.empty() || *relative.begin() == "..") {
      fail(key, "expected a file name inside the bundle directory, found \"" + name + "\"");
    }
    const auto path = dir / name;
    if (const auto problem = file_problem(path)) {
      fail(key, "file " + path.string() + (problem->empty() ? " does not exist" : " cannot be read (" + *problem + ")"));
    }
    return path;
  }

 private:
  const nlohmann::json& object_;
  std::string manifest_;
  std::string prefix_;
};

nlohmann::json parse_json_file(const std::filesystem::path& path) {
  if (const auto problem = file_problem(path)) {
    throw BundleError(path.string() + ": " + (problem->empty() ? "missing" : "cannot be read (" + *problem + ")") +
                      " (a model bundle is a directory holding vqclip.json; give one with --models DIR or "
                      "$VQCLIP_MODELS)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BundleError(path.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return parse_bounded_json(text.str());
  } catch (const JsonTooDeep& e) {
    throw BundleError(path.string() + ": not a manifest: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    // parse_error, or out_of_range for a number too large; what() is
    // "[json.exception.parse_error.101] parse error at line L, column C: ..."
    std::string detail = e.what();
    if (const auto tag_end = detail.find("] "); detail.rfind("[json.", 0) == 0 && tag_end != std::string::npos) {
      detail.erase(0, tag_end + 2);
    }
    throw BundleError(path.string() + ": not valid JSON: " + detail);
  }
}

TokenizerSpec read_tokenizer(const ManifestFieldReader& t, const std::filesystem::path& dir, int context_length) {
  TokenizerSpec spec;
  spec.type = t.text("type");
  if (spec.type != "clip_bpe" && spec.type != "sentencepiece") {
    t.fail("type", "unknown tokenizer type \"" + spec.type + "\" (expected clip_bpe or sentencepiece)");
  }
  spec.file = t.file("file", dir);
  spec.bos_id = t.integer("bos_id", 0, "a non-negative integer");
  spec.eos_id = t.integer("eos_id", 0, "a non-negative integer");
  spec.pad_id = t.integer("pad_id", 0, "a non-negative integer");
  spec.lowercase = t.boolean("lowercase");
  spec.context_length = context_length;
  return spec;
}

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string lowercase(std::string text) {
  for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

// "files": {name: sha256}. Every file another field names must be listed, so
// that a passed integrity check covers everything that gets loaded.
void read_file_hashes(const ManifestFieldReader& top, Manifest& m,
                      const std::vector<std::pair<std::string, std::filesystem::path>>& used_files) {
  const auto& files = top.get("files");
  if (!files.is_object()) top.fail("files", "expected an object {\"file name\": \"sha256\"}, found " + files.dump());
  std::map<std::string, std::string> listed;  // normalised name -> name as written
  for (const auto& [name, hash] : files.items()) {
    const std::string field = "files." + name;
    const std::string digest = hash.is_string() ? lowercase(hash.get<std::string>()) : "";
    if (!is_sha256_hex(digest)) top.fail(field, "expected 64 hex digits (sha256), found " + hash.dump());
    top.checked_file(field, name, m.dir);
    m.file_hashes[name] = digest;
    listed[std::filesystem::path(name).lexically_normal().generic_string()] = name;
  }
  for (const auto& [field, path] : used_files) {
    const auto name = path.lexically_relative(m.dir).lexically_normal().generic_string();
    if (listed.count(name) == 0) {
      top.fail("files", "no sha256 for " + name + " (named by " + field + "); every file the bundle uses must be listed");
    }
  }
}

}  // namespace

std::string no_vqgan_message(const Manifest& manifest) {
  return (manifest.dir / "vqclip.json").string() +
         ": this bundle has no VQGAN (a CLIP-only bundle): the vqgan drawer needs one; the pixels, pixel-art and "
         "vector drawers need only the CLIP";
}

std::map<std::string, std::string> clip_file_hashes(const Manifest& manifest) {
  std::map<std::string, std::string> hashes;
  for (const auto* file : {&manifest.clip.text_encoder, &manifest.clip.image_encoder, &manifest.clip.tokenizer.file}) {
    const auto name = file->lexically_relative(manifest.dir).lexically_normal().generic_string();
    for (const auto& [listed, hash] : manifest.file_hashes) {
      if (std::filesystem::path(listed).lexically_normal().generic_string() == name) hashes[listed] = hash;
    }
  }
  return hashes;
}

Manifest read_manifest(const std::filesystem::path& bundle_dir) {
  const auto path = bundle_dir / "vqclip.json";
  Manifest m;
  m.dir = bundle_dir;
  m.raw = parse_json_file(path);
  if (!m.raw.is_object()) throw BundleError(path.string() + ": expected a JSON object at the top level");
  const ManifestFieldReader top(m.raw, path.string(), "");

  if (const auto format = top.text("format"); format != "vqclip-bundle") {
    top.fail("format", "expected \"vqclip-bundle\", found \"" + format + "\"");
  }
  const auto& version = top.get("version");
  if (!version.is_number_integer()) top.fail("version", "expected the integer 1 or 2, found " + version.dump());
  if (version.is_number_unsigned() ? version.get<uint64_t>() > uint64_t(kSupportedVersion)
                                   : version.get<int64_t>() > kSupportedVersion) {
    top.fail("version", "bundle version " + version.dump() + " is newer than this vqclip supports (" +
                            std::to_string(kSupportedVersion) + "); update vqclip");
  }
  if (version.get<int64_t>() < 1) top.fail("version", "expected 1 or 2, found " + version.dump());
  const bool vqgan_optional = version.get<int64_t>() >= 2;
  m.name = top.text("name");

  const auto& size = top.get("default_size");
  const auto positive_size = [](const nlohmann::json& v) {
    return v.is_number_integer() && v.get<int64_t>() > 0 && v.get<int64_t>() <= kLargestSize;
  };
  if (!size.is_array() || size.size() != 2 || !positive_size(size[0]) || !positive_size(size[1])) {
    top.fail("default_size", "expected [width, height] as positive integers, found " + size.dump());
  }
  m.default_width = size[0].get<int>();
  m.default_height = size[1].get<int>();

  const auto clip = top.child("clip");
  m.clip.text_encoder = clip.file("text_encoder", bundle_dir);
  m.clip.image_encoder = clip.file("image_encoder", bundle_dir);
  m.clip.input_resolution = clip.positive_int("input_resolution");
  m.clip.context_length = static_cast<int>(clip.integer("context_length", 2, "an integer >= 2 (bos and eos)"));
  m.clip.embed_dim = clip.positive_int("embed_dim");
  m.clip.mean = clip.three_floats("mean", /*positive=*/false);
  m.clip.std = clip.three_floats("std", /*positive=*/true);
  m.clip.logit_scale = clip.positive_number("logit_scale");
  m.clip.tokenizer = read_tokenizer(clip.child("tokenizer"), bundle_dir, m.clip.context_length);

  std::vector<std::pair<std::string, std::filesystem::path>> used_files{
      {"clip.text_encoder", m.clip.text_encoder},
      {"clip.image_encoder", m.clip.image_encoder},
      {"clip.tokenizer.file", m.clip.tokenizer.file}};
  if (!vqgan_optional || top.has("vqgan")) {
    const auto section = top.child("vqgan");
    auto& vqgan = m.vqgan.emplace();
    vqgan.decoder = section.file("decoder", bundle_dir);
    if (section.has("encoder")) vqgan.encoder = section.file("encoder", bundle_dir);
    vqgan.downsample_factor = section.positive_int("downsample_factor");
    vqgan.embed_dim = section.positive_int("embed_dim");
    vqgan.n_embed = section.positive_int("n_embed");
    used_files.emplace_back("vqgan.decoder", vqgan.decoder);
    if (vqgan.encoder) used_files.emplace_back("vqgan.encoder", *vqgan.encoder);
  }
  read_file_hashes(top, m, used_files);
  return m;
}

}  // namespace vqclip
