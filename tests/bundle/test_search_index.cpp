// The search index: how embeddings are stored, migrated from the old JSON
// index, keyed by the CLIP alone, scoped, and what happens to files that are
// not an index, damaged entries and indexes of a newer schema.
#include <stb_image_write.h>

#include <chrono>
#include <cmath>
#include <set>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tools/float_codec.hpp"
#include "tools/image_index.hpp"
#include "tools/sqlite_db.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

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

SearchResult search_all(Models& models, const std::filesystem::path& dir, SearchOptions options = {}) {
  options.top_k = 0;
  return search_images(models, dir, {QueryTerm{1.0, "a square", {}}}, options);
}

int64_t mtime_ns(const std::filesystem::path& path) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::filesystem::last_write_time(path).time_since_epoch())
      .count();
}

// The JSON index earlier versions wrote: keyed by the bundle's name and every file's hash.
void write_old_index(Models& models, const std::filesystem::path& dir, const std::string& fingerprint) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".png") continue;
    const auto embedding = embed_image_files(models.require_clip(), {entry.path()})[0].contiguous();
    files[entry.path().filename().string()] = {
        {"size", std::filesystem::file_size(entry.path())},
        {"mtime_ns", mtime_ns(entry.path())},
        {"embedding", floats_to_base64(embedding.data_ptr<float>(), static_cast<size_t>(embedding.numel()))}};
  }
  const nlohmann::json index{{"format", "vqclip-search-index"}, {"version", 1}, {"bundle", fingerprint}, {"files", files}};
  std::ofstream(dir / kOldSearchIndexName) << index.dump();
}

std::string old_fingerprint(const Manifest& manifest) {
  std::string fingerprint = manifest.name;
  for (const auto& [file, hash] : manifest.file_hashes) fingerprint += "|" + file + ":" + hash;
  return fingerprint;
}

void expect_same_hits(const SearchResult& a, const SearchResult& b) {
  ASSERT_EQ(a.hits.size(), b.hits.size());
  for (size_t i = 0; i < a.hits.size(); ++i) {
    EXPECT_EQ(a.hits[i].path, b.hits[i].path);
    EXPECT_NEAR(a.hits[i].score, b.hits[i].score, 1e-6) << a.hits[i].path;  // batches of other sizes: last bits differ
  }
}

TEST(SearchIndex, AnOldJsonIndexOfThisBundleIsMigratedThenRemoved) {
  auto models = search_models();
  const auto fresh = search_all(models, folder_of_three("search-fresh"));
  const auto dir = folder_of_three("search-migrate");
  write_old_index(models, dir, old_fingerprint(models.manifest));
  const auto migrated = search_all(models, dir);
  EXPECT_EQ(migrated.update.migrated, 3u);
  EXPECT_EQ(migrated.update.embedded, 0u);
  EXPECT_EQ(migrated.update.cached, 3u);
  EXPECT_FALSE(std::filesystem::exists(dir / kOldSearchIndexName));
  expect_same_hits(migrated, fresh);
}

TEST(SearchIndex, AnOldJsonIndexOfAnotherBundleIsRebuiltAndRemoved) {
  auto models = search_models();
  const auto dir = folder_of_three("search-migrate-other");
  write_old_index(models, dir, old_fingerprint(models.manifest) + "-other");
  const auto result = search_all(models, dir);
  EXPECT_EQ(result.update.migrated, 0u);
  EXPECT_EQ(result.update.embedded, 3u);
  EXPECT_FALSE(std::filesystem::exists(dir / kOldSearchIndexName));
}

TEST(SearchIndex, FilesThatAreNotOurIndexAreRefusedNamingThem) {
  auto models = search_models();
  const auto dir = folder_of_three("search-not-ours");
  const auto expect_refused = [&](const std::string& part) {
    try {
      search_all(models, dir);
      ADD_FAILURE() << "expected an InputError with " << part;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find((dir / kSearchIndexName).string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  std::ofstream(dir / kSearchIndexName) << "not a database, but long enough to look at its header: " << std::string(200, 'x');
  expect_refused("not a database");
  std::filesystem::remove(dir / kSearchIndexName);
  {
    SqliteDb other(dir / kSearchIndexName, SqliteDb::Mode::kReadWriteCreate, 1000);
    other.exec("CREATE TABLE notes(text TEXT)");
  }
  expect_refused("not a vqclip index");
  std::filesystem::remove(dir / kSearchIndexName);
  search_all(models, dir);
  {
    SqliteDb newer(dir / kSearchIndexName, SqliteDb::Mode::kReadWriteCreate, 1000);
    newer.exec("PRAGMA user_version=" + std::to_string(kImageIndexSchema + 1));
  }
  expect_refused("made by a newer vqclip");
}

TEST(SearchIndex, AnEntryWithAWrongSizedEmbeddingIsEmbeddedAgain) {
  auto models = search_models();
  const auto dir = folder_of_three("search-bad-entry");
  const auto first = search_all(models, dir);
  {
    SqliteDb db(dir / kSearchIndexName, SqliteDb::Mode::kReadWriteCreate, 1000);
    db.exec("UPDATE images SET embedding = x'0000803f' WHERE path = 'p1.png'");
  }
  SearchOptions top_two;
  top_two.top_k = 2;
  const auto again = search_images(models, dir, {QueryTerm{1.0, "a square", {}}}, top_two);
  EXPECT_EQ(again.update.embedded, 1u);
  EXPECT_EQ(again.update.cached, 2u);
  EXPECT_EQ(again.hits.size(), 2u) << "top K";
  expect_same_hits(search_all(models, dir), first);
}

TEST(SearchIndex, IsKeyedByTheClipAloneAndKeepsEachClipsEntries) {
  auto models = search_models();
  const auto dir = folder_of_three("search-clip-key");
  EXPECT_EQ(search_all(models, dir).update.embedded, 3u);
  const auto original = models.manifest.file_hashes;
  const auto clip_files = clip_file_hashes(models.manifest);
  for (auto& [file, hash] : models.manifest.file_hashes) {
    if (!clip_files.count(file)) hash = std::string(64, '0');  // another VQGAN
  }
  EXPECT_EQ(search_all(models, dir).update.cached, 3u) << "a VQGAN of its own does not matter";
  models.manifest.file_hashes[clip_files.begin()->first] = std::string(64, '1');  // another CLIP
  EXPECT_EQ(search_all(models, dir).update.embedded, 3u);
  models.manifest.file_hashes = original;
  EXPECT_EQ(search_all(models, dir).update.cached, 3u) << "the first CLIP's entries are still there";
  SqliteDb db(dir / kSearchIndexName, SqliteDb::Mode::kReadOnly, 1000);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM clips"), 2);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM images"), 6);
}

TEST(SearchIndex, WithoutRecursiveSubfolderEntriesStayButAreNotSearched) {
  auto models = search_models();
  const auto dir = folder_of_three("search-scope");
  std::filesystem::create_directories(dir / "sub");
  write_stripes_png(dir / "sub" / "deep.png", 7);
  SearchOptions recursive;
  recursive.index.recursive = true;
  EXPECT_EQ(search_all(models, dir, recursive).update.embedded, 4u);
  const auto flat = search_all(models, dir);
  EXPECT_EQ(flat.update.removed, 0u);
  EXPECT_EQ(flat.hits.size(), 3u);
  const auto deep = search_all(models, dir, recursive);
  EXPECT_EQ(deep.update.cached, 4u);
  EXPECT_EQ(deep.hits.size(), 4u);
}

TEST(SearchIndex, IndexOnlySearchesTheIndexWithoutLookingAtTheFolder) {
  auto models = search_models();
  const auto dir = folder_of_three("search-index-only");
  SearchOptions index_only;
  index_only.index_only = true;
  EXPECT_THROW(search_all(models, dir, index_only), InputError) << "no index yet";
  EXPECT_EQ(update_index(models, dir, {}).embedded, 3u);
  std::filesystem::remove(dir / "p0.png");
  write_stripes_png(dir / "new.png", 9);
  const auto result = search_all(models, dir, index_only);
  EXPECT_EQ(result.searched, 3u);
  EXPECT_EQ(result.update.embedded + result.update.cached + result.update.removed, 0u);
  std::set<std::string> paths;
  for (const auto& hit : result.hits) paths.insert(hit.path.generic_string());
  EXPECT_EQ(paths, (std::set<std::string>{"p0.png", "p1.png", "p2.png"}));
  const auto updated = update_index(models, dir, {});
  EXPECT_EQ(updated.embedded, 1u);
  EXPECT_EQ(updated.removed, 1u);
}

TEST(SearchIndex, AnIndexFileElsewhereLeavesTheFolderUntouched) {
  auto models = search_models();
  const auto dir = folder_of_three("search-elsewhere");
  SearchOptions options;
  options.index.index_file = test::scratch_dir("search-elsewhere-index") / "pictures.sqlite";
  EXPECT_EQ(search_all(models, dir, options).update.embedded, 3u);
  EXPECT_EQ(search_all(models, dir, options).update.cached, 3u);
  EXPECT_FALSE(std::filesystem::exists(dir / kSearchIndexName));
  EXPECT_TRUE(std::filesystem::exists(options.index.index_file));
}

TEST(SearchIndex, ThresholdKeepsTheHitsAtLeastThatSimilar) {
  auto models = search_models();
  const auto dir = folder_of_three("search-threshold");
  const auto all = search_all(models, dir);
  ASSERT_EQ(all.hits.size(), 3u);
  SearchOptions options;
  options.threshold = all.hits[1].score;
  const auto kept = search_all(models, dir, options);
  ASSERT_EQ(kept.hits.size(), 2u);
  EXPECT_EQ(kept.hits[1].path, all.hits[1].path);
}

TEST(SearchIndex, EmptyFolderGivesNoHits) {
  auto models = search_models();
  const auto dir = test::scratch_dir("search-empty");
  std::ofstream(dir / "readme.txt") << "not an image extension";
  const auto result = search_all(models, dir);
  EXPECT_TRUE(result.hits.empty());
  EXPECT_EQ(result.update.skipped, 0u);
  EXPECT_EQ(result.searched, 0u);
}

}  // namespace
}  // namespace vqclip
