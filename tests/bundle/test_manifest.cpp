// vqclip.json: the fields read match the file; every contract violation is a
// BundleError naming the field with expected vs found; our SHA-256 matches the
// standard vectors and the exporter's hashlib digests.
#include <cctype>

#include "broken_bundle.hpp"

namespace vqclip {
namespace {

using test::BrokenBundleCase;
using test::edit_manifest;

TEST(Manifest, FieldsAreReadAsWritten) {
  const auto dir = test::vit_bundle();
  const auto json = test::read_json(dir / "vqclip.json");
  const auto m = read_manifest(dir);
  const auto& clip = json.at("clip");
  const auto& vqgan = json.at("vqgan");

  EXPECT_EQ(m.name, json.at("name"));
  EXPECT_EQ(m.default_width, json.at("default_size")[0]);
  EXPECT_EQ(m.default_height, json.at("default_size")[1]);
  EXPECT_EQ(m.clip.text_encoder, dir / clip.at("text_encoder").get<std::string>());
  EXPECT_EQ(m.clip.image_encoder, dir / clip.at("image_encoder").get<std::string>());
  EXPECT_EQ(m.clip.input_resolution, clip.at("input_resolution"));
  EXPECT_EQ(m.clip.context_length, clip.at("context_length"));
  EXPECT_EQ(m.clip.embed_dim, clip.at("embed_dim"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(m.clip.mean[i], clip.at("mean")[i].get<float>());
    EXPECT_FLOAT_EQ(m.clip.std[i], clip.at("std")[i].get<float>());
  }
  EXPECT_DOUBLE_EQ(m.clip.logit_scale, clip.at("logit_scale").get<double>());

  const auto& tokenizer = clip.at("tokenizer");
  EXPECT_EQ(m.clip.tokenizer.type, tokenizer.at("type"));
  EXPECT_EQ(m.clip.tokenizer.file, dir / tokenizer.at("file").get<std::string>());
  EXPECT_EQ(m.clip.tokenizer.bos_id, tokenizer.at("bos_id"));
  EXPECT_EQ(m.clip.tokenizer.eos_id, tokenizer.at("eos_id"));
  EXPECT_EQ(m.clip.tokenizer.pad_id, tokenizer.at("pad_id"));
  EXPECT_EQ(m.clip.tokenizer.lowercase, tokenizer.at("lowercase"));
  EXPECT_EQ(m.clip.tokenizer.context_length, m.clip.context_length);

  ASSERT_TRUE(m.vqgan.has_value());
  EXPECT_EQ(m.vqgan->decoder, dir / vqgan.at("decoder").get<std::string>());
  ASSERT_TRUE(m.vqgan->encoder.has_value());
  EXPECT_EQ(*m.vqgan->encoder, dir / vqgan.at("encoder").get<std::string>());
  EXPECT_EQ(m.vqgan->downsample_factor, vqgan.at("downsample_factor"));
  EXPECT_EQ(m.vqgan->embed_dim, vqgan.at("embed_dim"));
  EXPECT_EQ(m.vqgan->n_embed, vqgan.at("n_embed"));

  EXPECT_EQ(nlohmann::json(m.file_hashes), json.at("files"));
  EXPECT_EQ(m.raw, json);
}

TEST(Manifest, EncoderIsOptional) {
  const auto dir = test::copy_bundle(test::vit_bundle(), "manifest-no-encoder");
  edit_manifest(dir, [](auto& j) {
    j["vqgan"].erase("encoder");
    j["files"].erase("vqgan_encoder.pt");
  });
  EXPECT_FALSE(read_manifest(dir).vqgan->encoder.has_value());
}

TEST(Manifest, AVersion2BundleMayLeaveTheVqganOut) {
  const auto dir = test::copy_bundle(test::vit_bundle(), "manifest-clip-only");
  edit_manifest(dir, [](auto& j) {
    j["version"] = 2;
    j.erase("vqgan");
    j["files"].erase("vqgan_decoder.pt");
    j["files"].erase("vqgan_encoder.pt");
  });
  std::filesystem::remove(dir / "vqgan_decoder.pt");
  std::filesystem::remove(dir / "vqgan_encoder.pt");
  const auto m = read_manifest(dir);
  EXPECT_FALSE(m.vqgan.has_value());
  EXPECT_EQ(m.file_hashes.size(), 3u);
}

TEST(Manifest, UppercaseDigestsAreAccepted) {
  const auto dir = test::copy_bundle(test::vit_bundle(), "manifest-uppercase-digest");
  std::string digest;
  edit_manifest(dir, [&digest](auto& j) {
    digest = j["files"]["clip_text.pt"];
    std::string upper = digest;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    j["files"]["clip_text.pt"] = upper;
  });
  EXPECT_EQ(read_manifest(dir).file_hashes.at("clip_text.pt"), digest);
}

void set(const std::filesystem::path& dir, const nlohmann::json::json_pointer& field, const nlohmann::json& value) {
  edit_manifest(dir, [&](auto& j) { j[field] = value; });
}

std::vector<BrokenBundleCase> manifest_cases() {
  using P = nlohmann::json::json_pointer;
  return {
      {"missing-manifest", [](auto& d) { std::filesystem::remove(d / "vqclip.json"); }, "vqclip.json: missing"},
      {"bad-json", [](auto& d) { std::ofstream(d / "vqclip.json") << "{\"format\": \"vqclip-bundle\",\n \"version\": }"; },
       "vqclip.json: not valid JSON: parse error at line 2, column 13"},
      // Found by fuzz_manifest: nlohmann reports a number too large as out_of_range, not parse_error.
      {"number-overflow", [](auto& d) { std::ofstream(d / "vqclip.json") << "{\"version\": 1e400}"; },
       "vqclip.json: not valid JSON: number overflow"},
      {"not-an-object", [](auto& d) { std::ofstream(d / "vqclip.json") << "[1, 2]"; },
       "expected a JSON object at the top level"},
      {"wrong-format", [](auto& d) { set(d, P("/format"), "other"); },
       "format: expected \"vqclip-bundle\", found \"other\""},
      {"future-version", [](auto& d) { set(d, P("/version"), 3); },
       "version: bundle version 3 is newer than this vqclip supports (2)"},
      {"version-as-text", [](auto& d) { set(d, P("/version"), "1"); },
       "version: expected the integer 1 or 2, found \"1\""},
      {"version-zero", [](auto& d) { set(d, P("/version"), 0); }, "version: expected 1 or 2, found 0"},
      {"version-1-without-vqgan", [](auto& d) { edit_manifest(d, [](auto& j) { j.erase("vqgan"); }); },
       "vqgan: missing required field"},
      {"version-2-half-a-vqgan", [](auto& d) {
         edit_manifest(d, [](auto& j) {
           j["version"] = 2;
           j["vqgan"].erase("n_embed");
         });
       },
       "vqgan.n_embed: missing required field"},
      {"missing-name", [](auto& d) { edit_manifest(d, [](auto& j) { j.erase("name"); }); },
       "name: missing required field"},
      {"bad-default-size", [](auto& d) { set(d, P("/default_size"), {32}); },
       "default_size: expected [width, height] as positive integers, found [32]"},
      {"missing-clip", [](auto& d) { edit_manifest(d, [](auto& j) { j.erase("clip"); }); },
       "clip: missing required field"},
      {"missing-field", [](auto& d) { edit_manifest(d, [](auto& j) { j["clip"].erase("embed_dim"); }); },
       "clip.embed_dim: missing required field"},
      {"wrong-type", [](auto& d) { set(d, P("/clip/embed_dim"), "abc"); },
       "clip.embed_dim: expected a positive integer, found \"abc\""},
      {"negative-size", [](auto& d) { set(d, P("/vqgan/n_embed"), -5); },
       "vqgan.n_embed: expected a positive integer, found -5"},
      {"fractional-size", [](auto& d) { set(d, P("/vqgan/downsample_factor"), 4.5); },
       "vqgan.downsample_factor: expected a positive integer, found 4.5"},
      {"huge-size", [](auto& d) { set(d, P("/clip/input_resolution"), uint64_t{1} << 63); },
       "clip.input_resolution: expected a positive integer, found 9223372036854775808"},
      {"context-too-short", [](auto& d) { set(d, P("/clip/context_length"), 1); },
       "clip.context_length: expected an integer >= 2 (bos and eos), found 1"},
      {"mean-too-short", [](auto& d) { set(d, P("/clip/mean"), {0.5, 0.5}); }, "clip.mean: expected 3 numbers"},
      {"zero-std", [](auto& d) { set(d, P("/clip/std"), {0.25, 0.0, 0.25}); },
       "clip.std: expected 3 positive numbers, found [0.25,0.0,0.25]"},
      {"negative-logit-scale", [](auto& d) { set(d, P("/clip/logit_scale"), -1); },
       "clip.logit_scale: expected a positive number, found -1"},
      {"unknown-tokenizer", [](auto& d) { set(d, P("/clip/tokenizer/type"), "wordpiece"); },
       "clip.tokenizer.type: unknown tokenizer type \"wordpiece\" (expected clip_bpe or sentencepiece)"},
      {"negative-token-id", [](auto& d) { set(d, P("/clip/tokenizer/bos_id"), -1); },
       "clip.tokenizer.bos_id: expected a non-negative integer, found -1"},
      {"lowercase-as-text", [](auto& d) { set(d, P("/clip/tokenizer/lowercase"), "yes"); },
       "clip.tokenizer.lowercase: expected true or false, found \"yes\""},
      {"missing-file", [](auto& d) { std::filesystem::remove(d / "clip_image.pt"); },
       "clip.image_encoder: file {dir}/clip_image.pt does not exist"},
      {"path-outside-bundle", [](auto& d) { set(d, P("/vqgan/decoder"), "../vqgan_decoder.pt"); },
       "vqgan.decoder: expected a file name inside the bundle directory, found \"../vqgan_decoder.pt\""},
      {"absolute-path", [](auto& d) { set(d, P("/clip/text_encoder"), (d / "clip_text.pt").string()); },
       "clip.text_encoder: expected a file name inside the bundle directory"},
      {"missing-files", [](auto& d) { edit_manifest(d, [](auto& j) { j.erase("files"); }); },
       "files: missing required field"},
      {"file-without-digest", [](auto& d) { edit_manifest(d, [](auto& j) { j["files"].erase("vqgan_decoder.pt"); }); },
       "files: no sha256 for vqgan_decoder.pt (named by vqgan.decoder)"},
      {"bad-digest", [](auto& d) { set(d, P("/files/clip_text.pt"), "xyz"); },
       "files.clip_text.pt: expected 64 hex digits (sha256), found \"xyz\""},
      {"listed-file-absent", [](auto& d) { set(d, P("/files/extra.bin"), std::string(64, '0')); },
       "files.extra.bin: file {dir}/extra.bin does not exist"},
  };
}

class BrokenManifests : public ::testing::TestWithParam<BrokenBundleCase> {};

TEST_P(BrokenManifests, BundleErrorNamingTheFieldAndExit3) { test::expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, BrokenManifests, ::testing::ValuesIn(manifest_cases()), test::case_name);

std::string sha256_of(const std::string& content, const std::string& name) {
  const auto path = test::scratch_dir("sha256-" + name) / "data";
  std::ofstream(path, std::ios::binary) << content;
  return sha256_file(path);
}

TEST(Sha256, StandardVectors) {
  // FIPS 180-4 examples; 56 bytes makes the length spill into a second block.
  EXPECT_EQ(sha256_of("", "empty"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "two-blocks"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Longer than the 1 MiB read buffer.
  EXPECT_EQ(sha256_of(std::string(1000000, 'a'), "million"),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, AgreesWithTheExportersDigests) {
  const auto m = read_manifest(test::vit_bundle());
  ASSERT_FALSE(m.file_hashes.empty());
  for (const auto& [name, digest] : m.file_hashes) EXPECT_EQ(sha256_file(m.dir / name), digest) << name;
}

TEST(Sha256, UnreadableFileIsABundleError) {
  const auto missing = test::scratch_dir("sha256-missing") / "absent.pt";
  EXPECT_THROW(sha256_file(missing), BundleError);
}

}  // namespace
}  // namespace vqclip
