// The search index file: how embeddings are stored, and what happens when the
// index is damaged or was made by another bundle.
#include <stb_image_write.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tools/float_codec.hpp"
#include "vqclip/clip_tools.hpp"

namespace vqclip {
namespace {

TEST(FloatCodec, RoundTripsExactBitsForEveryPaddingLength) {
  const std::vector<float> samples{0.0f, -0.0f, 1.0f / 3.0f, -1e-38f, 3.4e38f, std::numeric_limits<float>::infinity(),
                                   std::numeric_limits<float>::denorm_min()};
  for (size_t count = 0; count <= samples.size(); ++count) {
    const auto text = floats_to_base64(samples.data(), count);
    EXPECT_EQ(text.size() % 4, 0u);
    const auto back = floats_from_base64(text);
    ASSERT_TRUE(back) << text;
    ASSERT_EQ(back->size(), count);
    EXPECT_EQ(std::memcmp(back->data(), samples.data(), count * sizeof(float)), 0) << text;
  }
  // Little-endian float32 bytes of 1.0f are 00 00 80 3F.
  const float one = 1.0f;
  EXPECT_EQ(floats_to_base64(&one, 1), "AACAPw==");
}

TEST(FloatCodec, RejectsTextThatIsNotWholeFloats) {
  EXPECT_FALSE(floats_from_base64("AACAPw="));    // length not a multiple of 4
  EXPECT_FALSE(floats_from_base64("AACA"));       // 3 bytes
  EXPECT_FALSE(floats_from_base64("AA*APw=="));   // not base64
  EXPECT_FALSE(floats_from_base64("AA=APw=="));   // padding inside
}

void write_stripes_png(const std::filesystem::path& path, int seed) {
  std::vector<uint8_t> pixels(16 * 16 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7 + static_cast<size_t>(seed) * 131) % 251);
  stbi_write_png(path.c_str(), 16, 16, 3, pixels.data(), 16 * 3);
}

Models search_models() {
  LoadOptions options;
  options.parts = ModelParts::clip_only();
  return load_models(test::test_bundles() / "vit-vqgan", options);
}

std::filesystem::path folder_of_three(const std::string& name) {
  const auto dir = test::scratch_dir(name);
  for (int i = 0; i < 3; ++i) write_stripes_png(dir / ("p" + std::to_string(i) + ".png"), i);
  return dir;
}

TEST(SearchIndex, DamagedIndexIsRebuilt) {
  auto models = search_models();
  const auto dir = folder_of_three("search-damaged");
  const auto first = search_images(models, dir, "a square", false, 0);
  std::ofstream(dir / kSearchIndexName) << "{ not json";
  const auto again = search_images(models, dir, "a square", false, 0);
  EXPECT_EQ(again.embedded, 3u);
  ASSERT_EQ(again.hits.size(), first.hits.size());
  for (size_t i = 0; i < again.hits.size(); ++i) {
    EXPECT_EQ(again.hits[i].path, first.hits[i].path);
    EXPECT_NEAR(again.hits[i].score, first.hits[i].score, 1e-6);
  }
  EXPECT_EQ(search_images(models, dir, "a square", false, 0).embedded, 0u) << "the rebuilt index is saved";
}

TEST(SearchIndex, IndexOfAnotherBundleIsNotUsed) {
  auto models = search_models();
  const auto dir = folder_of_three("search-other-bundle");
  search_images(models, dir, "a square", false, 0);
  auto index = nlohmann::json::parse(test::slurp(dir / kSearchIndexName));
  index["bundle"] = index["bundle"].get<std::string>() + "-other";
  std::ofstream(dir / kSearchIndexName) << index.dump();
  EXPECT_EQ(search_images(models, dir, "a square", false, 0).embedded, 3u);
}

TEST(SearchIndex, EntryWithAWrongSizedEmbeddingIsEmbeddedAgain) {
  auto models = search_models();
  const auto dir = folder_of_three("search-bad-entry");
  search_images(models, dir, "a square", false, 0);
  auto index = nlohmann::json::parse(test::slurp(dir / kSearchIndexName));
  const float one = 1.0f;
  index["files"]["p1.png"]["embedding"] = floats_to_base64(&one, 1);
  std::ofstream(dir / kSearchIndexName) << index.dump();
  const auto result = search_images(models, dir, "a square", false, 2);
  EXPECT_EQ(result.embedded, 1u);
  EXPECT_EQ(result.cached, 2u);
  EXPECT_EQ(result.hits.size(), 2u) << "top K";
}

TEST(SearchIndex, EmptyFolderGivesNoHitsAndNoIndex) {
  auto models = search_models();
  const auto dir = test::scratch_dir("search-empty");
  std::ofstream(dir / "readme.txt") << "not an image extension";
  const auto result = search_images(models, dir, "a square", false, 0);
  EXPECT_TRUE(result.hits.empty());
  EXPECT_EQ(result.skipped, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir / kSearchIndexName));
}

}  // namespace
}  // namespace vqclip
