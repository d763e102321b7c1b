// Perceptor ensembles: the tiny bundle's CLIP (a 32-pixel ViT) and the random
// rn-gumbel test bundle's (a 64-pixel ResNet with its own normalisation)
// judging one picture. The loss is the weighted sum of what each alone would
// give on the same views; the record names every perceptor.
#include <cmath>

#include "broken_bundle.hpp"
#include "tiny_models.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/record.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_loop.hpp"
#include "vqclip/render_ops.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

std::filesystem::path resnet_bundle() { return test::test_bundles() / "rn-gumbel"; }

class PerceptorEnsemble : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.extra = {{resnet_bundle(), 1.0}};
    load_perceptors(models(), settings_);
  }
  Models& models() { return test::tiny_models(); }
  ClipModel& tiny() { return models().require_clip(); }
  ClipModel& resnet() { return models().perceptors.at(resnet_bundle()).clip; }

  // The prompts as `clip` embeds them: one phase of two weighted texts.
  static std::vector<TargetPhase> phases(ClipModel& clip) {
    const auto text = embed_texts(clip, {"a red circle", "a blue background"});
    return {{Target{"a red circle", text[0], 1.0}, Target{"a blue background", text[1], 0.5}}};
  }

  static LoopSettings settings(int batch = 0) {
    LoopSettings loop;
    loop.steps = 3;
    loop.cutouts.cutn = 8;
    loop.cutouts.batch = batch;
    loop.drawer.kind = DrawerKind::kPixels;
    return loop;
  }

  // The first step's loss of a loop over `perceptors` on the same 48x48 start
  // picture; `skip_cutouts_at`: resolutions whose cutouts are drawn (and
  // dropped) first, as a perceptor before them in an ensemble would.
  double first_loss(std::vector<Perceptor> perceptors, int batch = 0, const std::vector<int>& skip_cutouts_at = {}) {
    auto start = make_random_generator(11, torch::kCPU);
    auto drawer = make_drawer(models(), settings().drawer, 48, 48, DrawerStart{}, start);
    auto generator = make_random_generator(5, torch::kCPU);
    for (const int resolution : skip_cutouts_at) {
      make_cutouts(torch::zeros({1, 3, 48, 48}), resolution, settings().cutouts, generator);
    }
    RenderLoop loop(std::move(perceptors), std::move(drawer), settings(batch), generator);
    return loop.step().loss;
  }

  PerceptorSettings settings_;
};

TEST_F(PerceptorEnsemble, TheLossIsTheWeightedSumOfEachClipsLossOnItsOwnViews) {
  ASSERT_NE(tiny().spec.input_resolution, resnet().spec.input_resolution) << "the test wants two resolutions";
  const double tiny_alone = first_loss({Perceptor{&tiny(), 1.0, phases(tiny())}});
  const double resnet_alone =
      first_loss({Perceptor{&resnet(), 1.0, phases(resnet())}}, 0, {tiny().spec.input_resolution});
  const double ensemble =
      first_loss({Perceptor{&tiny(), 0.7, phases(tiny())}, Perceptor{&resnet(), 0.4, phases(resnet())}});
  const double expected = 0.7 * tiny_alone + 0.4 * resnet_alone;
  EXPECT_NEAR(ensemble, expected, 1e-6 * std::abs(expected)) << tiny_alone << " and " << resnet_alone;
  EXPECT_GT(std::abs(tiny_alone - resnet_alone), 1e-3) << "two CLIPs that judge alike prove little";

  // In micro-batches of 3 views, the same sum up to float summation order.
  const double batched =
      first_loss({Perceptor{&tiny(), 0.7, phases(tiny())}, Perceptor{&resnet(), 0.4, phases(resnet())}}, 3);
  EXPECT_NEAR(batched, expected, 1e-5 * std::abs(expected));
}

TEST_F(PerceptorEnsemble, ARenderRecordsEveryPerceptorAndReproducesItsPicture) {
  GenerationParams params;
  params.prompts = {"a red circle on a blue background"};
  params.steps = 3;
  params.width = params.height = 32;
  params.seed = 4;
  params.cutouts.cutn = 4;
  params.drawer.kind = DrawerKind::kPixels;
  params.perceptors.clip_weight = 0.5;
  params.perceptors.extra = {{resnet_bundle(), 2.0}};
  const auto first = render(models(), params);
  const auto again = render(models(), params);
  EXPECT_TRUE(torch::equal(first.picture, again.picture)) << "a seed reproduces an ensemble's picture";
  const auto& record = first.record;
  ASSERT_TRUE(record.contains("perceptors")) << record.dump();
  const auto& perceptor = record["perceptors"][0];
  EXPECT_EQ(perceptor.at("bundle"), resnet_bundle().string());
  EXPECT_EQ(perceptor.at("weight"), 2.0);
  EXPECT_EQ(perceptor.at("name"), models().perceptors.at(resnet_bundle()).manifest.name);
  EXPECT_EQ(perceptor.at("files").size(), 3u) << "text and image encoders and the tokenizer: " << perceptor.dump();
  EXPECT_EQ(perceptor.at("similarity").size(), 1u);
  EXPECT_EQ(record.at("generation").at("clip_weight"), 0.5);
  EXPECT_NE(parameters_text(record).find(", Perceptors: tiny-shapes 0.5, "), std::string::npos) << parameters_text(record);

  // Without the bundle's own CLIP judging, the picture differs; the record
  // still holds its similarity.
  params.perceptors.clip_weight = 0;
  const auto others_only = render(models(), params);
  EXPECT_FALSE(torch::equal(first.picture, others_only.picture));
  EXPECT_EQ(others_only.record.at("similarity").size(), 1u);

  // Without perceptors a render is what it was before ensembles.
  params.perceptors = {};
  const auto plain = render(models(), params);
  EXPECT_FALSE(plain.record.contains("perceptors"));
  EXPECT_EQ(parameters_text(plain.record).find("Perceptors"), std::string::npos);
}

TEST_F(PerceptorEnsemble, AMissingBundleIsABundleErrorNamingIt) {
  PerceptorSettings missing;
  missing.extra = {{test::scratch_dir("no-perceptor") / "nothing-here", 1.0}};
  try {
    load_perceptors(models(), missing);
    FAIL() << "a perceptor without a bundle loaded";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find("perceptor " + missing.extra[0].bundle.string() + ": "), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(judging_clips(models(), missing), BundleError) << "not loaded";
}

}  // namespace
}  // namespace vqclip
