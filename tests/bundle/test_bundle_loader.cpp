// Loading: modules frozen in eval mode, the codebook taken from the decoder,
// hashes checked unless disabled, shapes probed; every broken module file is a
// BundleError (exit 3) naming the file. Also where the bundle is looked for.
#include "broken_bundle.hpp"

namespace vqclip {
namespace {

using test::BrokenBundleCase;
using test::edit_manifest;

TEST(BundleLoading, ModulesAreFrozenInEvalModeAndTheCodebookIsTheDecoders) {
  const auto models = load_models(test::vit_bundle(), LoadOptions{});
  const auto& clip = models.require_clip();
  const auto& vqgan = models.require_vqgan();
  ASSERT_TRUE(vqgan.encoder.has_value());
  for (const auto& module : {clip.text_encoder, clip.image_encoder, vqgan.decoder, *vqgan.encoder}) {
    EXPECT_FALSE(module.is_training());
    size_t parameters = 0;
    for (const auto& parameter : module.parameters()) {
      EXPECT_FALSE(parameter.requires_grad());
      ++parameters;
    }
    EXPECT_GT(parameters, 0u);
  }
  const auto& m = models.manifest;
  EXPECT_EQ(vqgan.codebook.sizes().vec(), (std::vector<int64_t>{m.vqgan->n_embed, m.vqgan->embed_dim}));
  EXPECT_EQ(vqgan.codebook.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(vqgan.codebook, vqgan.decoder.attr("codebook").toTensor()));
  ASSERT_NE(clip.tokenizer, nullptr);
  EXPECT_EQ(clip.tokenizer->tokenize("a red circle").ids.size(), static_cast<size_t>(m.clip.context_length));
}

// The modules load on parallel threads when the process may use several (the
// tests run with OMP_NUM_THREADS=1, so elsewhere they load in turn).
TEST(BundleLoading, OnSeveralThreadsTheModulesLoadInParallelAlikeAndTheFirstErrorWins) {
  struct RestoreThreads {
    int threads = at::get_num_threads();
    ~RestoreThreads() { at::set_num_threads(threads); }
  } restore;
  const auto image_features = [](int threads) {
    at::set_num_threads(threads);
    auto models = load_models(test::vit_bundle(), LoadOptions{});
    at::set_num_threads(1);
    auto& clip = models.require_clip();
    const int64_t r = clip.spec.input_resolution;
    torch::NoGradGuard no_grad;
    const auto images = torch::linspace(-1, 1, 3 * r * r).view({1, 3, r, r});
    return std::make_pair(clip.image_encoder.forward({images}).toTensor(), models.require_vqgan().codebook);
  };
  const auto [parallel_features, parallel_codebook] = image_features(2);
  const auto [serial_features, serial_codebook] = image_features(1);
  EXPECT_TRUE(torch::equal(parallel_features, serial_features));
  EXPECT_TRUE(torch::equal(parallel_codebook, serial_codebook));

  at::set_num_threads(2);
  LoadOptions no_verify;
  no_verify.verify_hashes = false;
  const auto first_error = [&no_verify](const std::string& name, std::vector<const char*> broken) -> std::string {
    const auto dir = test::copy_bundle(test::vit_bundle(), name);
    for (const char* file : broken) std::ofstream(dir / file) << "no";
    try {
      load_models(dir, no_verify);
    } catch (const BundleError& e) {
      return e.what();
    }
    return "loaded";
  };
  EXPECT_NE(first_error("parallel-all-broken", {"clip_text.pt", "clip_image.pt", "vqgan_decoder.pt"})
                .find("clip_text.pt: not a loadable TorchScript module"),
            std::string::npos);
  EXPECT_NE(first_error("parallel-two-broken", {"clip_image.pt", "vqgan_decoder.pt"})
                .find("clip_image.pt: not a loadable TorchScript module"),
            std::string::npos);
  EXPECT_NE(first_error("parallel-decoder-broken", {"vqgan_decoder.pt"})
                .find("vqgan_decoder.pt: not a loadable TorchScript module"),
            std::string::npos);
}

TEST(BundleLoading, EncoderOnlyWhenAskedAndPresent) {
  LoadOptions options;
  options.parts = ModelParts::for_render(/*starts_from_picture=*/false);
  EXPECT_FALSE(load_models(test::vit_bundle(), options).require_vqgan().encoder.has_value());

  const auto dir = test::copy_bundle(test::vit_bundle(), "loader-no-encoder");
  edit_manifest(dir, [](auto& j) {
    j["vqgan"].erase("encoder");
    j["files"].erase("vqgan_encoder.pt");
  });
  EXPECT_FALSE(load_models(dir, LoadOptions{}).require_vqgan().encoder.has_value());
}

TEST(BundleLoading, HashMismatchNamesBothDigestsAndNoVerifySkipsIt) {
  const auto dir = test::copy_bundle(test::vit_bundle(), "loader-wrong-digest");
  const auto actual = sha256_file(dir / "clip_text.pt");
  edit_manifest(dir, [](auto& j) { j["files"]["clip_text.pt"] = std::string(64, '0'); });
  try {
    load_models(dir, LoadOptions{});
    FAIL() << "loaded despite a wrong digest";
  } catch (const BundleError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find((dir / "clip_text.pt").string() + ": sha256 mismatch"), std::string::npos) << message;
    EXPECT_NE(message.find("expects 000000000000..."), std::string::npos) << message;
    EXPECT_NE(message.find("the file has " + actual.substr(0, 12) + "..."), std::string::npos) << message;
  }
  LoadOptions no_verify;
  no_verify.verify_hashes = false;
  EXPECT_EQ(load_models(dir, no_verify).manifest.name, "test-vit-vqgan");
}

std::vector<BrokenBundleCase> loader_cases() {
  using P = nlohmann::json::json_pointer;
  const auto set = [](const std::filesystem::path& dir, const std::string& field, const nlohmann::json& value) {
    edit_manifest(dir, [&](auto& j) { j[P(field)] = value; });
  };
  return {
      {"hash-mismatch", [](auto& d) { std::ofstream(d / "clip_text.pt", std::ios::app) << "x"; },
       "{dir}/clip_text.pt: sha256 mismatch (vqclip.json files.clip_text.pt expects "},
      {"truncated-module",
       [](auto& d) { std::filesystem::resize_file(d / "vqgan_decoder.pt", std::filesystem::file_size(d / "vqgan_decoder.pt") / 2); },
       "{dir}/vqgan_decoder.pt: not a loadable TorchScript module (", false},
      {"not-a-module", [](auto& d) { std::ofstream(d / "clip_image.pt") << "not a zip archive\n"; },
       "{dir}/clip_image.pt: not a loadable TorchScript module (", false},
      // The modules load on parallel threads; the error is still the first in the old order.
      {"every-module-unloadable",
       [](auto& d) {
         for (const char* file : {"clip_text.pt", "clip_image.pt", "vqgan_decoder.pt"}) std::ofstream(d / file) << "no";
       },
       "{dir}/clip_text.pt: not a loadable TorchScript module (", false},
      {"image-encoder-and-decoder-unloadable",
       [](auto& d) {
         for (const char* file : {"clip_image.pt", "vqgan_decoder.pt"}) std::ofstream(d / file) << "no";
       },
       "{dir}/clip_image.pt: not a loadable TorchScript module (", false},
      {"corrupt-tokenizer", [](auto& d) { std::ofstream(d / "bpe_test_vocab.txt.gz") << "\x1f\x8b garbage"; },
       "{dir}/bpe_test_vocab.txt.gz: ", false},
      {"wrong-embed-dim", [set](auto& d) { set(d, "/clip/embed_dim", 48); },
       "{dir}/clip_text.pt: text encoder on input [2, 16] gave shape [2, 32], expected [2, 48] (clip.embed_dim"},
      {"wrong-resolution", [set](auto& d) { set(d, "/clip/input_resolution", 48); },
       "{dir}/clip_image.pt: image encoder on input [1, 3, 48, 48] failed ("},
      {"wrong-downsample-factor", [set](auto& d) { set(d, "/vqgan/downsample_factor", 8); },
       "{dir}/vqgan_decoder.pt: decoder on input [1, 16, 2, 3] gave shape [1, 3, 8, 12], expected [1, 3, 16, 24]"},
      {"wrong-codebook-size", [set](auto& d) { set(d, "/vqgan/n_embed", 32); },
       "{dir}/vqgan_decoder.pt: buffer codebook has shape [64, 16], expected [vqgan.n_embed, vqgan.embed_dim] = "
       "[32, 16]"},
      {"decoder-without-codebook", [set](auto& d) { set(d, "/vqgan/decoder", "vqgan_encoder.pt"); },
       "{dir}/vqgan_encoder.pt: no buffer named codebook"},
      {"encoder-is-a-decoder", [set](auto& d) { set(d, "/vqgan/encoder", "vqgan_decoder.pt"); },
       "{dir}/vqgan_decoder.pt: encoder on input [1, 3, 8, 8] failed ("},
  };
}

class BrokenBundles : public ::testing::TestWithParam<BrokenBundleCase> {};

TEST_P(BrokenBundles, BundleErrorNamingTheFileAndExit3) { test::expect_rejected(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, BrokenBundles, ::testing::ValuesIn(loader_cases()), test::case_name);

TEST(BundleResolution, OptionBeatsEnvironment) {
  const test::EnvironmentRestorer restore("VQCLIP_MODELS");
  setenv("VQCLIP_MODELS", "/from/env", 1);
  EXPECT_EQ(resolve_bundle_dir(std::filesystem::path("/some/dir")), std::filesystem::path("/some/dir"));
  EXPECT_EQ(resolve_bundle_dir(std::nullopt), std::filesystem::path("/from/env"));
}

// An install tree in a scratch directory: PREFIX/bin/vqclip finds
// PREFIX/share/vqclip/models/tiny-shapes through /proc/self/exe.
TEST(BundleResolution, InstalledBundleNextToTheExecutable) {
  const test::EnvironmentRestorer restore("VQCLIP_MODELS");
  unsetenv("VQCLIP_MODELS");
  const auto prefix = test::scratch_dir("resolution-install");
  std::filesystem::create_directories(prefix / "bin");
  std::filesystem::copy_file(test::exe(), prefix / "bin" / "vqclip");
  const auto installed = prefix / "share" / "vqclip" / "models" / "tiny-shapes";
  std::filesystem::create_directories(installed.parent_path());
  std::filesystem::copy(test::vit_bundle(), installed, std::filesystem::copy_options::recursive);

  const auto directory_reported = [&](const std::vector<std::string>& args, const std::vector<std::string>& env) {
    test::CliResult result;
    const auto saved_exe = test::exe();
    setenv("VQCLIP_EXE", (prefix / "bin" / "vqclip").c_str(), 1);
    result = test::run_cli(args, env);
    setenv("VQCLIP_EXE", saved_exe.c_str(), 1);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.exit_code == 0 ? nlohmann::json::parse(result.out).at("directory").get<std::string>() : "";
  };
  EXPECT_EQ(directory_reported({"info", "--json"}, {}), installed.lexically_normal().string());
  const auto elsewhere = test::vit_bundle().string();
  EXPECT_EQ(directory_reported({"info", "--json"}, {"VQCLIP_MODELS=" + elsewhere}), elsewhere);
  EXPECT_EQ(directory_reported({"info", "--json", "--models", elsewhere}, {"VQCLIP_MODELS=/nowhere"}), elsewhere);
}

// Neither option, variable nor install: the source tree's bundle if it has
// one, else an error listing every place looked at.
TEST(BundleResolution, SourceTreeLastThenAnErrorListingThePlaces) {
  const test::EnvironmentRestorer restore("VQCLIP_MODELS");
  unsetenv("VQCLIP_MODELS");
  const auto source_bundle = test::source_dir() / "models" / "tiny-shapes";
  if (std::filesystem::is_regular_file(source_bundle / "vqclip.json")) {
    EXPECT_EQ(resolve_bundle_dir(std::nullopt), source_bundle.lexically_normal());
    return;
  }
  try {
    resolve_bundle_dir(std::nullopt);
    FAIL() << "resolved a bundle that does not exist";
  } catch (const BundleError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--models, $VQCLIP_MODELS"), std::string::npos) << message;
    EXPECT_NE(message.find(source_bundle.lexically_normal().string()), std::string::npos) << message;
    EXPECT_NE(message.find("share/vqclip/models/tiny-shapes"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace vqclip
