// The optimisation loop through the library, on the shipped tiny bundle.
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "test_env.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_loop.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

// The tiny bundle's models, loaded once for the suite, and a generator per test.
class RenderLoopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LoadOptions options;
    options.verify_hashes = false;
    options.parts = ModelParts::for_render(false);
    models_ = new Models(load_models(test::source_dir() / "models" / "tiny-shapes", options));
  }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
  }

  ClipModel& clip() { return models_->require_clip(); }
  VqganModel& vqgan() { return models_->require_vqgan(); }
  const Manifest& manifest() { return models_->manifest; }
  // A latent of random codes on an h x w grid, from the test's generator.
  torch::Tensor latent(int h, int w) { return random_codebook_latent(vqgan().codebook, h, w, generator); }

  at::Generator generator = make_random_generator(0, torch::kCPU);

 private:
  static Models* models_;
};

Models* RenderLoopTest::models_ = nullptr;

LoopSettings quick_settings(int steps) {
  LoopSettings settings;
  settings.steps = steps;
  settings.cutouts.cutn = 8;
  settings.cutouts.augments = parse_augments("affine,noise");
  return settings;
}

TEST_F(RenderLoopTest, LossFallsOverThirtySteps) {
  const auto text = embed_texts(clip(), {"a red circle on a blue background"});
  const int grid = manifest().default_height / vqgan().spec.downsample_factor;
  RenderLoop loop(clip(), vqgan(), quick_settings(30), latent(grid, grid), {{Target{"prompt", text[0], 1.0}}},
                  generator);
  std::vector<double> losses;
  for (int i = 0; i < 30; ++i) losses.push_back(loop.step().loss);
  const double first = (losses[0] + losses[1] + losses[2] + losses[3] + losses[4]) / 5;
  const double last = (losses[25] + losses[26] + losses[27] + losses[28] + losses[29]) / 5;
  EXPECT_LT(last, first * 0.9) << "first five " << first << ", last five " << last;
  EXPECT_EQ(loop.steps_done(), 30);
}

TEST_F(RenderLoopTest, StoryPhasesSplitTheStepsEvenly) {
  const auto text = embed_texts(clip(), {"a", "b", "c"});
  std::vector<TargetPhase> phases;
  for (int i = 0; i < 3; ++i) phases.push_back({Target{"t", text[i], 1.0}});
  auto settings = quick_settings(10);
  RenderLoop loop(clip(), vqgan(), settings, latent(2, 2), phases, generator);
  const std::vector<int> expected{0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
  for (int step = 0; step < 10; ++step) EXPECT_EQ(loop.phase_at(step), expected[step]) << step;

  settings.change_prompt_every = 3;
  RenderLoop every_three(clip(), vqgan(), settings, latent(2, 2), phases, generator);
  EXPECT_EQ(every_three.phase_at(2), 0);
  EXPECT_EQ(every_three.phase_at(3), 1);
  EXPECT_EQ(every_three.phase_at(9), 2) << "the last phase holds after the story ends";
}

TEST_F(RenderLoopTest, NonFiniteLossLeavesTheLatentUntouched) {
  const auto nan_target = torch::full({manifest().clip.embed_dim}, std::nan(""));
  for (const int batch : {0, 3}) {
    auto settings = quick_settings(5);
    settings.cutouts.batch = batch;
    RenderLoop loop(clip(), vqgan(), settings, latent(2, 2), {{Target{"nan", nan_target, 1.0}}}, generator);
    const auto before = loop.render();
    const auto result = loop.step();
    EXPECT_FALSE(result.finite) << "batch " << batch;
    EXPECT_EQ(loop.steps_done(), 0) << "batch " << batch;
    EXPECT_TRUE(torch::equal(before, loop.render())) << "batch " << batch;
  }
}

// The latent's gradient after one step (the loop zeroes it only before the
// next), for each micro-batch size against all views at once.
TEST_F(RenderLoopTest, MicroBatchedGradientsAddUpToTheFullBatchs) {
  const auto text = embed_texts(clip(), {"a red circle on a blue background", "a green cross"});
  const auto z0 = latent(4, 4);
  const auto one_step = [&](int batch) {
    auto settings = quick_settings(1);
    settings.cutouts.batch = batch;
    settings.init_weight = 0.5;
    RenderLoop loop(clip(), vqgan(), settings, z0,
                    {{Target{"a", text[0], 1.0}, Target{"b", text[1], -0.5, -1.0}}},
                    make_random_generator(7, torch::kCPU));
    const auto result = loop.step();
    EXPECT_TRUE(result.finite);
    return std::pair{result.loss, loop.drawer().parameters()[0].grad().clone()};
  };
  const auto [full_loss, full_gradient] = one_step(0);
  const double scale = full_gradient.abs().max().item<double>();
  ASSERT_GT(scale, 0);
  for (const int batch : {1, 3, 5, 7}) {
    const auto [loss, gradient] = one_step(batch);
    EXPECT_NEAR(loss, full_loss, 1e-6 * std::abs(full_loss)) << "batch " << batch;
    // Float summation order only: a few units in the last place of the largest component.
    const double worst = (gradient - full_gradient).abs().max().item<double>();
    EXPECT_LT(worst, 1e-4 * scale) << "batch " << batch << ": largest difference " << worst << " of " << scale;
  }
  EXPECT_TRUE(torch::equal(one_step(8).second, full_gradient)) << "a batch of cutn is all at once, bit for bit";
}

// bf16 autocast (decoder and CLIP, on the CPU's bf16 units) against fp32: the
// same step up to bf16's 8-bit mantissa, measured on the gradient's direction
// and the loss (README, "Devices and precision").
TEST_F(RenderLoopTest, Bf16GradientFollowsTheFp32One) {
  const auto text = embed_texts(clip(), {"a red circle on a blue background"});
  const auto z0 = latent(4, 4);
  const auto one_step = [&](Precision precision) {
    auto settings = quick_settings(1);
    settings.precision = precision;
    RenderLoop loop(clip(), vqgan(), settings, z0, {{Target{"a", text[0], 1.0}}},
                    make_random_generator(7, torch::kCPU));
    const auto result = loop.step();
    EXPECT_TRUE(result.finite);
    return std::pair{result.loss, loop.drawer().parameters()[0].grad().flatten().clone()};
  };
  const auto [fp32_loss, fp32_gradient] = one_step(Precision::kFp32);
  const auto [bf16_loss, bf16_gradient] = one_step(Precision::kBf16);
  const double cosine = torch::cosine_similarity(fp32_gradient, bf16_gradient, 0).item<double>();
  std::printf("bf16 against fp32: loss %.6f / %.6f, gradient cosine %.5f\n", bf16_loss, fp32_loss, cosine);
  EXPECT_FALSE(torch::equal(fp32_gradient, bf16_gradient)) << "bf16 must have run";
  EXPECT_NEAR(bf16_loss, fp32_loss, 0.01 * std::abs(fp32_loss));
  EXPECT_GT(cosine, 0.995);
}

// Loading on the CPU switches off the profiling executor's profiled runs,
// which re-profiled bf16 graphs for several steps (module_loader.cpp).
TEST_F(RenderLoopTest, CpuModulesRunWithoutProfiledRuns) {
  EXPECT_EQ(torch::jit::getNumProfiledRuns().load(), 0u);
}

TEST_F(RenderLoopTest, LatentStaysWithinTheCodebookRange) {
  generator.set_current_seed(1);
  const auto text = embed_texts(clip(), {"a green cross"});
  auto settings = quick_settings(5);
  settings.optimiser.lr = 5.0;  // large steps would leave the range without the clamp
  RenderLoop loop(clip(), vqgan(), settings, latent(2, 2), {{Target{"t", text[0], 1.0}}}, generator);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop.step().finite);
  const auto z = loop.drawer().parameters()[0].detach();
  const auto low = std::get<0>(vqgan().codebook.min(0)).view({1, -1, 1, 1});
  const auto high = std::get<0>(vqgan().codebook.max(0)).view({1, -1, 1, 1});
  EXPECT_TRUE((z >= low).all().item<bool>());
  EXPECT_TRUE((z <= high).all().item<bool>());
}

}  // namespace
}  // namespace vqclip
