// The optimisation loop through the library, on the shipped tiny bundle.
#include "test_env.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/generator.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

Bundle tiny_bundle() {
  LoadOptions options;
  options.verify_hashes = false;
  return load_bundle(test::source_dir() / "models" / "tiny-shapes", options);
}

LoopSettings quick_settings(int steps) {
  LoopSettings settings;
  settings.steps = steps;
  settings.cutouts.cutn = 8;
  settings.cutouts.augments = parse_augments("affine,noise");
  return settings;
}

TEST(Generator, LossFallsOverThirtySteps) {
  torch::manual_seed(0);
  auto bundle = tiny_bundle();
  const auto text = embed_texts(bundle, {"a red circle on a blue background"});
  const int grid = bundle.manifest.default_height / bundle.manifest.vqgan.downsample_factor;
  Generator generator(bundle, quick_settings(30), random_codebook_latent(bundle.codebook, grid, grid),
                      {{Target{"prompt", text[0], 1.0}}});
  std::vector<double> losses;
  for (int i = 0; i < 30; ++i) losses.push_back(generator.step().loss);
  const double first = (losses[0] + losses[1] + losses[2] + losses[3] + losses[4]) / 5;
  const double last = (losses[25] + losses[26] + losses[27] + losses[28] + losses[29]) / 5;
  EXPECT_LT(last, first * 0.9) << "first five " << first << ", last five " << last;
  EXPECT_EQ(generator.steps_done(), 30);
}

TEST(Generator, StoryPhasesSplitTheStepsEvenly) {
  auto bundle = tiny_bundle();
  const auto text = embed_texts(bundle, {"a", "b", "c"});
  std::vector<TargetPhase> phases;
  for (int i = 0; i < 3; ++i) phases.push_back({Target{"t", text[i], 1.0}});
  auto settings = quick_settings(10);
  Generator generator(bundle, settings, random_codebook_latent(bundle.codebook, 2, 2), phases);
  const std::vector<int> expected{0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
  for (int step = 0; step < 10; ++step) EXPECT_EQ(generator.phase_at(step), expected[step]) << step;

  settings.change_prompt_every = 3;
  Generator every_three(bundle, settings, random_codebook_latent(bundle.codebook, 2, 2), phases);
  EXPECT_EQ(every_three.phase_at(2), 0);
  EXPECT_EQ(every_three.phase_at(3), 1);
  EXPECT_EQ(every_three.phase_at(9), 2) << "the last phase holds after the story ends";
}

TEST(Generator, NonFiniteLossLeavesTheLatentUntouched) {
  auto bundle = tiny_bundle();
  const auto nan_target = torch::full({bundle.manifest.clip.embed_dim}, std::nan(""));
  Generator generator(bundle, quick_settings(5), random_codebook_latent(bundle.codebook, 2, 2),
                      {{Target{"nan", nan_target, 1.0}}});
  const auto before = generator.render();
  const auto result = generator.step();
  EXPECT_FALSE(result.finite);
  EXPECT_EQ(generator.steps_done(), 0);
  EXPECT_TRUE(torch::equal(before, generator.render()));
}

TEST(Generator, LatentStaysWithinTheCodebookRange) {
  torch::manual_seed(1);
  auto bundle = tiny_bundle();
  const auto text = embed_texts(bundle, {"a green cross"});
  auto settings = quick_settings(5);
  settings.lr = 5.0;  // large steps would leave the range without the clamp
  Generator generator(bundle, settings, random_codebook_latent(bundle.codebook, 2, 2), {{Target{"t", text[0], 1.0}}});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(generator.step().finite);
  const auto z = generator.latent().detach();
  const auto low = std::get<0>(bundle.codebook.min(0)).view({1, -1, 1, 1});
  const auto high = std::get<0>(bundle.codebook.max(0)).view({1, -1, 1, 1});
  EXPECT_TRUE((z >= low).all().item<bool>());
  EXPECT_TRUE((z <= high).all().item<bool>());
}

}  // namespace
}  // namespace vqclip
