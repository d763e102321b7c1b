// score / classify / search on the random test bundle: the plumbing (the
// tiny bundle's accuracy is measured by scripts/zero_shot_eval.py).
#include <stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "vqclip/clip_tools.hpp"

namespace vqclip {
namespace {

std::filesystem::path tools_bundle() { return test::test_bundles() / "vit-vqgan"; }

void write_noise_png(const std::filesystem::path& path, int seed) {
  std::vector<uint8_t> pixels(24 * 24 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * (seed + 3) * 2654435761u) >> 13);
  stbi_write_png(path.c_str(), 24, 24, 3, pixels.data(), 24 * 3);
}

Models models_for_tools() {
  LoadOptions options;
  options.parts = ModelParts::clip_only();
  return load_models(tools_bundle(), options);
}

TEST(ScoreCommand, MatrixAgreesWithADirectComputation) {
  const auto dir = test::scratch_dir("score");
  write_noise_png(dir / "a.png", 1);
  write_noise_png(dir / "b.png", 2);
  const auto result = test::run_cli({"score", (dir / "a.png").string(), (dir / "b.png").string(), "-p", "a red circle",
                                     "-p", "a dog", "--json", "--models", tools_bundle().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto cosine = nlohmann::json::parse(result.out).at("cosine");
  ASSERT_EQ(cosine.size(), 2u);
  ASSERT_EQ(cosine[0].size(), 2u);

  auto models = models_for_tools();
  auto& clip = models.require_clip();
  const auto images = embed_image_files(clip, {dir / "a.png", dir / "b.png"});
  const auto texts = embed_texts_normalised(clip, {"a red circle", "a dog"});
  const auto expected = images.matmul(texts.t());
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(cosine[i][j].get<double>(), expected[i][j].item<double>(), 1e-5);
  }
}

TEST(ScoreCommand, ImagesWithImagesAndTextsWithTexts) {
  const auto dir = test::scratch_dir("score-alike");
  write_noise_png(dir / "a.png", 1);
  write_noise_png(dir / "b.png", 2);
  auto models = models_for_tools();
  auto& clip = models.require_clip();
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "score");
    args.insert(args.end(), {"--json", "--models", tools_bundle().string()});
    const auto result = test::run_cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  };

  const auto images = run({(dir / "a.png").string(), (dir / "b.png").string()});
  EXPECT_FALSE(images.contains("texts"));
  const auto image_embeddings = embed_image_files(clip, {dir / "a.png", dir / "b.png"});
  const auto image_cosine = image_embeddings.matmul(image_embeddings.t());
  const auto texts = run({"-p", "a red circle", "-p", "a blue square", "-p", "a red circle"});
  EXPECT_FALSE(texts.contains("images"));
  const auto text_embeddings = embed_texts_normalised(clip, {"a red circle", "a blue square", "a red circle"});
  const auto text_cosine = text_embeddings.matmul(text_embeddings.t());
  for (const auto& [json, expected] : {std::pair{images, image_cosine}, std::pair{texts, text_cosine}}) {
    const auto& cosine = json.at("cosine");
    ASSERT_EQ(cosine.size(), static_cast<size_t>(expected.size(0)));
    for (int64_t i = 0; i < expected.size(0); ++i) {
      EXPECT_NEAR(cosine[i][i].get<double>(), 1.0, 1e-5) << "a thing is its own nearest";
      for (int64_t j = 0; j < expected.size(1); ++j) {
        EXPECT_NEAR(cosine[i][j].get<double>(), expected[i][j].item<double>(), 1e-5);
      }
    }
  }
  EXPECT_NEAR(texts.at("cosine")[0][2].get<double>(), 1.0, 1e-6) << "the same text twice";

  const auto nothing = test::run_cli({"score", "--models", tools_bundle().string()});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("score needs images, texts (-p), or both"), std::string::npos) << nothing.err;
}

TEST(ClassifyCommand, ProbabilitiesSumToOneBestFirst) {
  const auto dir = test::scratch_dir("classify");
  write_noise_png(dir / "a.png", 3);
  const auto result = test::run_cli({"classify", (dir / "a.png").string(), "--labels", "cat|dog|circle|square",
                                     "--json", "--models", tools_bundle().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto labels = nlohmann::json::parse(result.out)[0].at("labels");
  ASSERT_EQ(labels.size(), 4u);
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    total += labels[i].at("probability").get<double>();
    if (i > 0) {
      EXPECT_GE(labels[i - 1].at("probability").get<double>(), labels[i].at("probability").get<double>());
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-5);

  const auto top = test::run_cli({"classify", (dir / "a.png").string(), "--labels", "cat|dog|circle", "--top", "1",
                                  "--json", "--models", tools_bundle().string()});
  EXPECT_EQ(nlohmann::json::parse(top.out)[0].at("labels").size(), 1u);

  std::ofstream(dir / "notes.txt") << "not an image";
  const auto bad = test::run_cli({"classify", (dir / "notes.txt").string(), "--labels", "cat|dog", "--models",
                                  tools_bundle().string()});
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_NE(bad.err.find("notes.txt"), std::string::npos) << bad.err;

  const auto empty_label = test::run_cli({"classify", (dir / "a.png").string(), "--labels", "cat|dog|", "--models",
                                          tools_bundle().string()});
  EXPECT_EQ(empty_label.exit_code, 2);
  EXPECT_NE(empty_label.err.find("--labels"), std::string::npos) << empty_label.err;
}

// CLIP's prompt ensembling: each caption normalised, averaged over the
// templates, normalised again; classify's probabilities come from those.
TEST(ClassifyCommand, TemplatesAreAveragedPerLabel) {
  auto models = models_for_tools();
  auto& clip = models.require_clip();
  const std::vector<std::string> labels{"red", "blue", "cross"};
  const std::vector<std::string> templates{"a {} circle", "a picture of {}", "{} on a white background"};
  const auto averaged = embed_labels(clip, labels, templates);
  ASSERT_EQ(averaged.size(0), 3);
  torch::Tensor expected[3];
  for (size_t l = 0; l < labels.size(); ++l) {
    auto sum = torch::zeros({averaged.size(1)});
    for (const auto& caption_template : templates) {
      auto caption = caption_template;
      caption.replace(caption.find("{}"), 2, labels[l]);
      sum += embed_texts_normalised(clip, {caption})[0];
    }
    expected[l] = sum / sum.norm();
    EXPECT_TRUE(torch::allclose(averaged[static_cast<int64_t>(l)], expected[l], 1e-5, 1e-6)) << labels[l];
  }
  EXPECT_FALSE(torch::allclose(averaged[0], embed_texts_normalised(clip, {"a red circle"})[0], 1e-3, 1e-3))
      << "three templates, not the first alone";

  const auto dir = test::scratch_dir("classify-templates");
  write_noise_png(dir / "a.png", 5);
  std::ofstream(dir / "templates.txt") << "# colours and shapes\na {} circle\n\na picture of {}\n"
                                       << "{} on a white background\n";
  const auto image = embed_image_files(clip, {dir / "a.png"})[0];
  const auto probabilities =
      torch::softmax(clip.spec.logit_scale * torch::stack({image.dot(expected[0]), image.dot(expected[1]),
                                                           image.dot(expected[2])}), 0);
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--template", templates[0], "--template", templates[1], "--template", templates[2]},
        std::vector<std::string>{"--templates-file", (dir / "templates.txt").string()}}) {
    std::vector<std::string> args{"classify", (dir / "a.png").string(), "--labels", "red|blue|cross", "--json",
                                  "--models", tools_bundle().string()};
    args.insert(args.end(), how.begin(), how.end());
    const auto result = test::run_cli(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (const auto& entry : nlohmann::json::parse(result.out)[0].at("labels")) {
      const auto l = static_cast<int64_t>(std::find(labels.begin(), labels.end(), entry.at("label")) - labels.begin());
      EXPECT_NEAR(entry.at("probability").get<double>(), probabilities[l].item<double>(), 1e-5) << how[0];
    }
  }
  const auto no_slot = test::run_cli({"classify", (dir / "a.png").string(), "--labels", "red|blue", "--template",
                                      "a {} circle", "--template", "a circle", "--models", tools_bundle().string()});
  EXPECT_EQ(no_slot.exit_code, 2);
  EXPECT_NE(no_slot.err.find("--template 'a circle': needs {} for the label"), std::string::npos) << no_slot.err;
}

// Every image ranked by one text, the index updated first.
SearchResult search_text(Models& models, const std::filesystem::path& dir, const std::string& text) {
  SearchOptions options;
  options.top_k = 0;
  return search_images(models, dir, {QueryTerm{1.0, text, {}}}, options);
}

TEST(Search, IndexMakesTheSecondSearchEmbedNothingAndFollowsChanges) {
  const auto dir = test::scratch_dir("search");
  for (int i = 0; i < 200; ++i) write_noise_png(dir / ("img" + std::to_string(i) + ".png"), i);
  std::ofstream(dir / "broken.png") << "not a png";
  auto models = models_for_tools();
  auto& clip = models.require_clip();

  const auto start = std::chrono::steady_clock::now();
  const auto first = search_text(models, dir, "a red circle");
  const auto middle = std::chrono::steady_clock::now();
  const auto second = search_text(models, dir, "a red circle");
  const auto end = std::chrono::steady_clock::now();
  std::printf("[ figures ] first search %.3f s, second %.3f s\n",
              std::chrono::duration<double>(middle - start).count(), std::chrono::duration<double>(end - middle).count());

  EXPECT_EQ(first.update.embedded, 200u);
  EXPECT_EQ(first.update.skipped, 1u);
  EXPECT_EQ(second.update.embedded, 0u);
  EXPECT_EQ(second.update.cached, 200u);
  ASSERT_EQ(second.hits.size(), 200u);
  for (size_t i = 1; i < second.hits.size(); ++i) EXPECT_GE(second.hits[i - 1].score, second.hits[i].score);
  EXPECT_EQ(first.hits.front().path, second.hits.front().path);

  // Scores are the cosine of the file's embedding with the query's.
  const auto best = second.hits.front();
  const double direct = torch::dot(embed_image_files(clip, {dir / best.path})[0],
                                   embed_texts_normalised(clip, {"a red circle"})[0]).item<double>();
  EXPECT_NEAR(best.score, direct, 1e-5);

  std::filesystem::remove(dir / "img0.png");
  write_noise_png(dir / "img1.png", 999);
  std::filesystem::last_write_time(dir / "img1.png", std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  const auto third = search_text(models, dir, "a red circle");
  EXPECT_EQ(third.update.embedded, 1u) << "the changed file is embedded again";
  EXPECT_EQ(third.update.removed, 1u);
  EXPECT_EQ(third.hits.size(), 199u);
  for (const auto& hit : third.hits) EXPECT_NE(hit.path, "img0.png") << "a deleted file disappears";
}

TEST(SearchCommand, RanksWithTopAndRecursive) {
  const auto dir = test::scratch_dir("search-cli");
  std::filesystem::create_directories(dir / "sub");
  write_noise_png(dir / "a.png", 1);
  write_noise_png(dir / "sub" / "b.png", 2);
  const auto flat = test::run_cli({"search", dir.string(), "-p", "a cat", "--json", "--models", tools_bundle().string()});
  ASSERT_EQ(flat.exit_code, 0) << flat.err;
  EXPECT_EQ(nlohmann::json::parse(flat.out).at("results").size(), 1u);
  const auto deep = test::run_cli({"search", dir.string(), "-p", "a cat", "--recursive", "--top", "5", "--json",
                                   "--models", tools_bundle().string()});
  const auto ranked = nlohmann::json::parse(deep.out).at("results");
  EXPECT_EQ(ranked.size(), 2u);

  const auto search = [&](std::vector<std::string> options) {
    std::vector<std::string> args{"search", dir.string(), "-p", "a cat", "--recursive", "--models",
                                  tools_bundle().string()};
    args.insert(args.end(), options.begin(), options.end());
    return test::run_cli(args);
  };
  const auto paths = search({"--paths-only"});
  ASSERT_EQ(paths.exit_code, 0) << paths.err;
  EXPECT_EQ(paths.out, (dir / ranked[0].at("path").get<std::string>()).string() + "\n" +
                           (dir / ranked[1].at("path").get<std::string>()).string() + "\n")
      << "one path a line, best first";
  // A threshold between the two scores keeps the better one only.
  const double between = (ranked[0].at("score").get<double>() + ranked[1].at("score").get<double>()) / 2;
  const auto above = search({"--paths-only", "--threshold", std::to_string(between)});
  EXPECT_EQ(above.out, (dir / ranked[0].at("path").get<std::string>()).string() + "\n");
  EXPECT_EQ(search({"--paths-only", "--threshold", "-1"}).out, paths.out);
  EXPECT_EQ(search({"--threshold", "2"}).exit_code, 2);
  EXPECT_EQ(search({"--paths-only", "--json"}).exit_code, 2);
}

}  // namespace
}  // namespace vqclip
