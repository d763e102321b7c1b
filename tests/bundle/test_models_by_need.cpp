// Models are loaded by need: the CLIP tools hash, load and probe only the
// CLIP part, so a bundle whose VQGAN files are damaged still scores,
// classifies, searches and tokenizes, while a render refuses it with exit 3.
#include <fstream>

#include <nlohmann/json.hpp>
#include <stb_image_write.h>

#include "broken_bundle.hpp"
#include "vqclip/models.hpp"

namespace vqclip {
namespace {

void corrupt(const std::filesystem::path& file) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a TorchScript archive";
}

std::filesystem::path bundle_with_broken_vqgan(const std::string& name) {
  const auto dir = test::copy_bundle(test::vit_bundle(), name);
  corrupt(dir / "vqgan_decoder.pt");
  corrupt(dir / "vqgan_encoder.pt");
  return dir;
}

std::filesystem::path write_picture(const std::filesystem::path& dir) {
  std::vector<uint8_t> pixels(20 * 20 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 256);
  const auto path = dir / "picture.png";
  stbi_write_png(path.c_str(), 20, 20, 3, pixels.data(), 20 * 3);
  return path;
}

TEST(ModelsByNeed, ClipOnlyLoadsAndVerifiesNoVqganFile) {
  const auto dir = bundle_with_broken_vqgan("by-need-load");
  LoadOptions options;  // hashes checked
  options.parts = ModelParts::clip_only();
  const auto models = load_models(dir, options);
  EXPECT_TRUE(models.clip.has_value());
  EXPECT_FALSE(models.vqgan.has_value());
  EXPECT_THROW(models.require_vqgan(), BundleError);

  options.parts = ModelParts::for_render(false);
  try {
    load_models(dir, options);
    FAIL() << "a render's models loaded with a corrupt decoder";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find("vqgan_decoder.pt: sha256 mismatch"), std::string::npos) << e.what();
  }
}

TEST(ModelsByNeed, ScoreWorksOnABundleWhoseVqganFilesAreCorrupt) {
  const auto dir = bundle_with_broken_vqgan("by-need-score");
  const auto picture = write_picture(dir);
  const std::vector<std::string> score{"score", picture.string(), "-p", "a red circle", "--json"};
  auto on = [&](const std::filesystem::path& bundle) {
    auto args = score;
    args.insert(args.end(), {"--models", bundle.string()});
    return test::run_cli(args);
  };
  const auto broken = on(dir);
  ASSERT_EQ(broken.exit_code, 0) << broken.err;
  const auto intact = on(test::vit_bundle());
  ASSERT_EQ(intact.exit_code, 0) << intact.err;
  EXPECT_EQ(nlohmann::json::parse(broken.out).at("cosine"), nlohmann::json::parse(intact.out).at("cosine"));

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"classify", picture.string(), "--labels", "cat|dog"},
        std::vector<std::string>{"search", dir.string(), "-p", "a cat"},
        std::vector<std::string>{"tokenize", "a red circle"}}) {
    auto with_bundle = args;
    with_bundle.insert(with_bundle.end(), {"--models", dir.string()});
    const auto result = test::run_cli(with_bundle);
    EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
  }

  const auto render = test::run_cli({"-p", "a red circle", "--steps", "1", "--models", dir.string(), "-o",
                                     (dir / "out.png").string()});
  EXPECT_EQ(render.exit_code, 3) << render.err;
  EXPECT_NE(render.err.find("vqgan_decoder.pt"), std::string::npos) << render.err;
}

TEST(ModelsByNeed, TokenizeChecksOnlyTheTokenizer) {
  const auto dir = test::copy_bundle(test::vit_bundle(), "by-need-tokenize");
  corrupt(dir / "clip_text.pt");
  corrupt(dir / "clip_image.pt");
  const auto ok = test::run_cli({"tokenize", "--models", dir.string(), "a red circle"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  std::ofstream(dir / "bpe_test_vocab.txt.gz", std::ios::app) << "x";
  const auto bad = test::run_cli({"tokenize", "--models", dir.string(), "a red circle"});
  EXPECT_EQ(bad.exit_code, 3) << bad.err;
  EXPECT_NE(bad.err.find("bpe_test_vocab.txt.gz: sha256 mismatch"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace vqclip
