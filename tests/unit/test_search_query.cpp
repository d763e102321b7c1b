// The search query language: a table of queries and the terms they mean, the
// errors of malformed ones, and the combined embedding against a hand
// computation with the tiny bundle's CLIP.
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "test_env.hpp"
#include "tiny_models.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

struct QueryCase {
  std::vector<std::string> arguments;
  std::vector<std::string> terms;  // describe() of each
};

TEST(SearchQuery, ParsesTheTable) {
  const std::vector<QueryCase> table{
      {{"a red circle"}, {"1:\"a red circle\""}},
      {{R"("a red circle" + pic.png - 0.5:"blue")"}, {"1:\"a red circle\"", "1:pic.png", "-0.5:\"blue\""}},
      {{"red", "circle"}, {"1:\"red circle\""}},               // the shell's words join
      {{"a red circle", "+", "pic.png"}, {"1:\"a red circle\"", "1:pic.png"}},
      {{"a red circle", "-", "2:blue"}, {"1:\"a red circle\"", "-2:\"blue\""}},
      {{"2:red - 3:PIC.JPG"}, {"2:\"red\"", "-3:PIC.JPG"}},   // extensions in any case
      {{"- blue"}, {"-1:\"blue\""}},                            // subtracting alone
      {{"red-orange circle"}, {"1:\"red-orange circle\""}},     // a hyphen is no operator
      {{"+1 circles"}, {"1:\"+1 circles\""}},
      {{"\"my pictures/a b.webp\" + .5:\"x\""}, {"1:my pictures/a b.webp", "0.5:\"x\""}},
      {{"\"a + b\""}, {"1:\"a + b\""}},                          // operators inside quotes are text
  };
  for (const auto& row : table) {
    std::vector<std::string> described;
    for (const auto& term : parse_search_query(row.arguments)) described.push_back(describe(term));
    EXPECT_EQ(described, row.terms) << row.arguments.front();
  }
}

TEST(SearchQuery, MalformedQueriesAreUsageErrorsSayingWhy) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> table{
      {{}, "empty"},
      {{"   "}, "empty"},
      {{"a +"}, "ends with an operator"},
      {{"a + - b"}, "two operators in a row"},
      {{R"("a" "b")"}, "'b' needs + or - before it"},
      {{"a", "\"b\""}, "'b' follows 'a' without + or -"},
      {{"\"unclosed"}, "unclosed quote"},
      {{"0:red"}, "weight of 'red' must be positive"},
      {{"3:"}, "an empty term"},
  };
  for (const auto& [arguments, message] : table) {
    try {
      parse_search_query(arguments);
      ADD_FAILURE() << "accepted: " << (arguments.empty() ? "(nothing)" : arguments.front());
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

torch::Tensor unit(const torch::Tensor& v) { return v / v.norm(); }

TEST(SearchQuery, TheEmbeddingIsTheNormalisedWeightedSumOfUnitEmbeddings) {
  auto& clip = test::tiny_models().require_clip();
  const auto picture = test::scratch_dir("search-query") / "pic.png";
  std::vector<uint8_t> pixels(24 * 24 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 3 == 0 ? 230 : 20);  // red
  stbi_write_png(picture.c_str(), 24, 24, 3, pixels.data(), 24 * 3);

  const auto query = parse_search_query({"\"a red circle\" + " + picture.string() + " - 0.5:\"blue\""});
  const auto circle = unit(embed_texts_normalised(clip, {"a red circle"})[0]);
  const auto image = unit(embed_image_files(clip, {picture})[0]);
  const auto blue = unit(embed_texts_normalised(clip, {"blue"})[0]);
  const auto expected = unit(circle + image - 0.5 * blue);
  const auto got = embed_query(clip, query);
  EXPECT_NEAR(got.norm().item<double>(), 1.0, 1e-6);
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-6);
  // Not the plain sum: the weight and the sign matter.
  EXPECT_GT((got - unit(circle + image + blue)).abs().max().item<double>(), 1e-3);

  EXPECT_THROW(embed_query(clip, parse_search_query({"red - red"})), UsageError) << "terms that cancel out";
  try {
    embed_query(clip, parse_search_query({"missing.png"}));
    ADD_FAILURE() << "a missing image was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.png"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vqclip
