// Bundle loading: outputs equal the Python eager reference; every broken
// bundle is a BundleError (exit 3) naming the file and the problem.
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::filesystem::path reference_bundle() { return test::test_bundles() / "vit-vqgan"; }

std::map<std::string, torch::Tensor> expected_outputs() {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& buffer : torch::jit::load((reference_bundle() / "expected.pt").string()).named_buffers()) {
    tensors[buffer.name] = buffer.value;
  }
  return tensors;
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

TEST(BundleOutputs, MatchThePythonEagerReference) {
  auto bundle = load_bundle(reference_bundle(), LoadOptions{});
  auto expected = expected_outputs();
  torch::NoGradGuard no_grad;
  EXPECT_LE(max_difference(bundle.text_encoder.forward({expected["tokens"]}).toTensor(), expected["text_embedding"]),
            1e-4);
  EXPECT_LE(max_difference(bundle.image_encoder.forward({expected["images"]}).toTensor(), expected["image_embedding"]),
            1e-4);
  for (const char* grid : {"4x4", "5x7", "8x8"}) {
    const auto decoded = bundle.decoder.forward({expected[std::string("z_") + grid]}).toTensor();
    EXPECT_LE(max_difference(decoded, expected[std::string("decoded_") + grid]), 1e-4) << grid;
  }
  ASSERT_TRUE(bundle.encoder.has_value());
  EXPECT_LE(max_difference(bundle.encoder->forward({expected["encoder_input"]}).toTensor(), expected["encoder_z"]),
            1e-4);
}

TEST(BundleLoading, ModulesAreFrozenAndTheCodebookIsRead) {
  const auto bundle = load_bundle(reference_bundle(), LoadOptions{});
  for (const auto& module : {bundle.text_encoder, bundle.image_encoder, bundle.decoder}) {
    for (const auto& parameter : module.parameters()) EXPECT_FALSE(parameter.requires_grad());
  }
  EXPECT_EQ(bundle.codebook.sizes().vec(), (std::vector<int64_t>{64, 16}));
  EXPECT_EQ(bundle.manifest.name, "test-vit-vqgan");
}

// A copy of the reference bundle with one thing broken.
struct BrokenCase {
  std::string name;
  std::function<void(const std::filesystem::path&)> breaks;
  std::string expected_words;
};

nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(std::ifstream(path)); }
void write_json(const std::filesystem::path& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }
void edit_manifest(const std::filesystem::path& dir, const std::function<void(nlohmann::json&)>& edit) {
  auto j = read_json(dir / "vqclip.json");
  edit(j);
  write_json(dir / "vqclip.json", j);
}

std::vector<BrokenCase> broken_cases() {
  return {
      {"missing-manifest", [](auto& d) { std::filesystem::remove(d / "vqclip.json"); }, "vqclip.json: missing"},
      {"bad-json", [](auto& d) { std::ofstream(d / "vqclip.json") << "{\"format\": "; }, "not valid JSON"},
      {"missing-field", [](auto& d) { edit_manifest(d, [](auto& j) { j["clip"].erase("embed_dim"); }); },
       "clip.embed_dim: missing required field"},
      {"wrong-type", [](auto& d) { edit_manifest(d, [](auto& j) { j["clip"]["embed_dim"] = "abc"; }); },
       "clip.embed_dim: expected a positive integer, found \"abc\""},
      {"future-version", [](auto& d) { edit_manifest(d, [](auto& j) { j["version"] = 2; }); },
       "bundle version 2 is newer"},
      {"unknown-tokenizer", [](auto& d) { edit_manifest(d, [](auto& j) { j["clip"]["tokenizer"]["type"] = "wordpiece"; }); },
       "unknown tokenizer type \"wordpiece\""},
      {"missing-file", [](auto& d) { std::filesystem::remove(d / "clip_image.pt"); }, "clip_image.pt does not exist"},
      {"hash-mismatch", [](auto& d) { std::ofstream(d / "clip_text.pt", std::ios::app) << "x"; }, "sha256 mismatch"},
      {"truncated-module",
       [](auto& d) {
         std::filesystem::resize_file(d / "vqgan_decoder.pt", 1000);
         edit_manifest(d, [](auto& j) { j.erase("files"); });
       },
       "vqgan_decoder.pt: not a loadable TorchScript module"},
      {"wrong-embed-dim", [](auto& d) { edit_manifest(d, [](auto& j) { j["clip"]["embed_dim"] = 48; j.erase("files"); }); },
       "text encoder gave shape [2, 32], expected [2, 48]"},
      {"wrong-factor",
       [](auto& d) { edit_manifest(d, [](auto& j) { j["vqgan"]["downsample_factor"] = 8; j.erase("files"); }); },
       "decoder gave shape"},
  };
}

class BrokenBundles : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenBundles, BundleErrorNamingTheProblemAndExit3) {
  const auto& c = GetParam();
  const auto dir = test::scratch_dir("broken-" + c.name);
  std::filesystem::copy(reference_bundle(), dir, std::filesystem::copy_options::recursive);
  c.breaks(dir);
  try {
    load_bundle(dir, LoadOptions{});
    FAIL() << c.name << " loaded";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find(c.expected_words), std::string::npos) << e.what();
  }
  const auto result = test::run_cli({"-p", "x", "--steps", "1", "--models", dir.string(), "-o", (dir / "o.png").string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find(c.expected_words), std::string::npos) << result.err;
}

INSTANTIATE_TEST_SUITE_P(Cases, BrokenBundles, ::testing::ValuesIn(broken_cases()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(InfoCommand, ReportsAnIntegrityMismatchInsteadOfFailing) {
  const auto dir = test::scratch_dir("info-mismatch");
  std::filesystem::copy(reference_bundle(), dir, std::filesystem::copy_options::recursive);
  std::ofstream(dir / "clip_text.pt", std::ios::app) << "x";
  const auto result = test::run_cli({"info", "--json", "--models", dir.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("integrity"), "MISMATCH: clip_text.pt");
}

TEST(InfoCommand, JsonHasManifestParametersAndIntegrity) {
  const auto result = test::run_cli({"info", "--json", "--models", reference_bundle().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto info = nlohmann::json::parse(result.out);
  EXPECT_EQ(info.at("manifest").at("name"), "test-vit-vqgan");
  EXPECT_EQ(info.at("integrity"), "ok");
  EXPECT_GT(info.at("parameters").at("decoder").get<int64_t>(), 0);
  EXPECT_GT(info.at("file_sizes").at("clip_text.pt").get<int64_t>(), 0);
}

TEST(BundleResolution, ExplicitThenEnvironment) {
  EXPECT_EQ(resolve_bundle_dir(std::filesystem::path("/some/dir")), std::filesystem::path("/some/dir"));
  setenv("VQCLIP_MODELS", "/from/env", 1);
  EXPECT_EQ(resolve_bundle_dir(std::nullopt), std::filesystem::path("/from/env"));
  unsetenv("VQCLIP_MODELS");
  // Without either, the tiny bundle of the source tree (this is a build tree).
  EXPECT_EQ(resolve_bundle_dir(std::nullopt).filename(), "tiny-shapes");
}

}  // namespace
}  // namespace vqclip
