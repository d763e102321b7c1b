// The optimisation loop through the library, on the shipped tiny bundle.
#include "test_env.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_loop.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

Models tiny_models() {
  LoadOptions options;
  options.verify_hashes = false;
  options.parts = ModelParts::for_render(false);
  return load_models(test::source_dir() / "models" / "tiny-shapes", options);
}

at::Generator seeded(uint64_t seed) { return make_random_generator(seed, torch::kCPU); }

LoopSettings quick_settings(int steps) {
  LoopSettings settings;
  settings.steps = steps;
  settings.cutouts.cutn = 8;
  settings.cutouts.augments = parse_augments("affine,noise");
  return settings;
}

TEST(RenderLoop, LossFallsOverThirtySteps) {
  auto models = tiny_models();
  auto& clip = models.require_clip();
  auto& vqgan = models.require_vqgan();
  auto generator = seeded(0);
  const auto text = embed_texts(clip, {"a red circle on a blue background"});
  const int grid = models.manifest.default_height / vqgan.spec.downsample_factor;
  RenderLoop loop(clip, vqgan, quick_settings(30), random_codebook_latent(vqgan.codebook, grid, grid, generator),
                  {{Target{"prompt", text[0], 1.0}}}, generator);
  std::vector<double> losses;
  for (int i = 0; i < 30; ++i) losses.push_back(loop.step().loss);
  const double first = (losses[0] + losses[1] + losses[2] + losses[3] + losses[4]) / 5;
  const double last = (losses[25] + losses[26] + losses[27] + losses[28] + losses[29]) / 5;
  EXPECT_LT(last, first * 0.9) << "first five " << first << ", last five " << last;
  EXPECT_EQ(loop.steps_done(), 30);
}

TEST(RenderLoop, StoryPhasesSplitTheStepsEvenly) {
  auto models = tiny_models();
  auto& clip = models.require_clip();
  auto& vqgan = models.require_vqgan();
  auto generator = seeded(1);
  const auto text = embed_texts(clip, {"a", "b", "c"});
  std::vector<TargetPhase> phases;
  for (int i = 0; i < 3; ++i) phases.push_back({Target{"t", text[i], 1.0}});
  auto settings = quick_settings(10);
  RenderLoop loop(clip, vqgan, settings, random_codebook_latent(vqgan.codebook, 2, 2, generator), phases, generator);
  const std::vector<int> expected{0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
  for (int step = 0; step < 10; ++step) EXPECT_EQ(loop.phase_at(step), expected[step]) << step;

  settings.change_prompt_every = 3;
  RenderLoop every_three(clip, vqgan, settings, random_codebook_latent(vqgan.codebook, 2, 2, generator), phases,
                         generator);
  EXPECT_EQ(every_three.phase_at(2), 0);
  EXPECT_EQ(every_three.phase_at(3), 1);
  EXPECT_EQ(every_three.phase_at(9), 2) << "the last phase holds after the story ends";
}

TEST(RenderLoop, NonFiniteLossLeavesTheLatentUntouched) {
  auto models = tiny_models();
  auto& vqgan = models.require_vqgan();
  auto generator = seeded(2);
  const auto nan_target = torch::full({models.manifest.clip.embed_dim}, std::nan(""));
  RenderLoop loop(models.require_clip(), vqgan, quick_settings(5), random_codebook_latent(vqgan.codebook, 2, 2, generator),
                  {{Target{"nan", nan_target, 1.0}}}, generator);
  const auto before = loop.render();
  const auto result = loop.step();
  EXPECT_FALSE(result.finite);
  EXPECT_EQ(loop.steps_done(), 0);
  EXPECT_TRUE(torch::equal(before, loop.render()));
}

TEST(RenderLoop, LatentStaysWithinTheCodebookRange) {
  auto models = tiny_models();
  auto& clip = models.require_clip();
  auto& vqgan = models.require_vqgan();
  auto generator = seeded(3);
  const auto text = embed_texts(clip, {"a green cross"});
  auto settings = quick_settings(5);
  settings.optimiser.lr = 5.0;  // large steps would leave the range without the clamp
  RenderLoop loop(clip, vqgan, settings, random_codebook_latent(vqgan.codebook, 2, 2, generator),
                  {{Target{"t", text[0], 1.0}}}, generator);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop.step().finite);
  const auto z = loop.latent().detach();
  const auto low = std::get<0>(vqgan.codebook.min(0)).view({1, -1, 1, 1});
  const auto high = std::get<0>(vqgan.codebook.max(0)).view({1, -1, 1, 1});
  EXPECT_TRUE((z >= low).all().item<bool>());
  EXPECT_TRUE((z <= high).all().item<bool>());
}

}  // namespace
}  // namespace vqclip
