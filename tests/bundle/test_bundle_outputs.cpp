// Modules loaded by load_models reproduce the eager PyTorch outputs stored in
// each test bundle's expected.pt (scripts/make_test_bundles.py), for both
// model families: ViT CLIP + VQModel and ModifiedResNet CLIP + GumbelVQ.
#include <map>

#include "test_env.hpp"
#include "vqclip/models.hpp"

namespace vqclip {
namespace {

constexpr double kTolerance = 1e-4;

std::map<std::string, torch::Tensor> expected_outputs(const std::filesystem::path& bundle_dir) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& buffer : torch::jit::load((bundle_dir / "expected.pt").string()).named_buffers()) {
    tensors[buffer.name] = buffer.value;
  }
  return tensors;
}

class BundleOutputs : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto dir = test::test_bundles() / GetParam();
    models_ = load_models(dir, LoadOptions{});
    expected_ = expected_outputs(dir);
  }

  const torch::Tensor& expected(const std::string& name) {
    const auto found = expected_.find(name);
    if (found == expected_.end()) throw std::runtime_error("expected.pt has no buffer " + name);
    return found->second;
  }

  // Runs `module` on the buffer `input` and compares with the buffer `output`.
  void expect_matches(torch::jit::Module& module, const std::string& input, const std::string& output) {
    torch::NoGradGuard no_grad;
    const auto got = module.forward({expected(input)}).toTensor();
    const auto& want = expected(output);
    ASSERT_EQ(got.sizes(), want.sizes()) << output;
    EXPECT_LE((got - want).abs().max().item<double>(), kTolerance) << output;
  }

  Models models_;
  std::map<std::string, torch::Tensor> expected_;
};

TEST_P(BundleOutputs, TextEncoder) { expect_matches(models_.require_clip().text_encoder, "tokens", "text_embedding"); }

TEST_P(BundleOutputs, ImageEncoder) { expect_matches(models_.require_clip().image_encoder, "images", "image_embedding"); }

TEST_P(BundleOutputs, DecoderOnEveryGrid) {
  for (const std::string grid : {"4x4", "5x7", "8x8"}) expect_matches(models_.require_vqgan().decoder, "z_" + grid, "decoded_" + grid);
}

TEST_P(BundleOutputs, Encoder) {
  ASSERT_TRUE(models_.require_vqgan().encoder.has_value());
  expect_matches(*models_.require_vqgan().encoder, "encoder_input", "encoder_z");
}

// The latents in expected.pt are codebook vectors: the codebook read from the
// decoder is the one the reference drew them from.
TEST_P(BundleOutputs, LatentsAreCodebookVectors) {
  const auto& z = expected("z_5x7");
  const auto vectors = z.permute({0, 2, 3, 1}).reshape({-1, z.size(1)});
  // Exact differences: cdist's matrix-product shortcut is only accurate to ~1e-3 here.
  const auto distances = (vectors.unsqueeze(1) - models_.require_vqgan().codebook.unsqueeze(0)).norm(2, -1);
  EXPECT_LE(std::get<0>(distances.min(1)).max().item<double>(), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Bundles, BundleOutputs, ::testing::Values("vit-vqgan", "rn-gumbel"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace vqclip
