// Remembered sha256 digests of bundle files: used only while the file's
// identity is unchanged, never for a file that changed just before hashing.
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "model/remembered_hashes.hpp"
#include "model/sha256.hpp"
#include "test_env.hpp"
#include "vqclip/bundle.hpp"

namespace vqclip {
namespace {

using std::chrono::system_clock;

const std::string kMadeUpDigest(64, 'a');

void write_text(const std::filesystem::path& file, const std::string& text) { std::ofstream(file) << text; }

std::string digest_of(const std::string& text) { return sha256_hex(text.data(), text.size()); }

// A moment `seconds` after the file's last status change.
system_clock::time_point after_change(const FileIdentity& identity, int seconds) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
             std::chrono::nanoseconds(identity.changed_ns))) +
         std::chrono::seconds(seconds);
}

// A file just written in a fresh scratch folder, with its identity.
struct WrittenFile {
  std::filesystem::path dir;
  std::filesystem::path path;
  FileIdentity identity;
};

WrittenFile written_file(const std::string& test_name, const std::string& text = "weights") {
  const auto dir = test::scratch_dir(test_name);
  const auto path = dir / "weights.pt";
  write_text(path, text);
  const auto identity = identity_of(path);
  if (!identity) throw std::runtime_error("cannot stat " + path.string());
  return {dir, path, *identity};
}

TEST(RememberedHashes, ADigestIsFoundOnlyForTheIdentityItWasTakenWith) {
  const auto [dir, file, identity] = written_file("remembered_identity");
  const RememberedHashes records(dir / "records");
  records.remember(file, identity, kMadeUpDigest, after_change(identity, 3));
  EXPECT_EQ(records.find(file, identity), kMadeUpDigest);
  EXPECT_EQ(records.find(dir / "." / "weights.pt", identity), kMadeUpDigest) << "the same file by another spelling";

  for (auto changed : {&FileIdentity::size, &FileIdentity::inode, &FileIdentity::device}) {
    auto other = identity;
    other.*changed += 1;
    EXPECT_FALSE(records.find(file, other));
  }
  for (auto changed : {&FileIdentity::modified_ns, &FileIdentity::changed_ns}) {
    auto other = identity;
    other.*changed += 1;
    EXPECT_FALSE(records.find(file, other));
  }
  write_text(dir / "other.pt", "weights");
  EXPECT_FALSE(records.find(dir / "other.pt", identity)) << "a record belongs to one path";
}

TEST(RememberedHashes, AFileChangedWithinTheSettleTimeIsNotRemembered) {
  const auto [dir, file, identity] = written_file("remembered_settle");
  const RememberedHashes records(dir / "records");
  records.remember(file, identity, kMadeUpDigest, after_change(identity, 1));
  EXPECT_FALSE(records.find(file, identity));
  records.remember(file, identity, kMadeUpDigest, after_change(identity, 3));
  EXPECT_EQ(records.find(file, identity), kMadeUpDigest);
}

TEST(RememberedHashes, RewritingAFileInPlaceWithItsSizeAndTimesChangesItsIdentity) {
  const auto [dir, file, before] = written_file("remembered_rewrite");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the kernel clock's coarse tick
  write_text(file, "WEIGHTS");
  const timespec times[2] = {{0, UTIME_OMIT}, {before.modified_ns / 1000000000, before.modified_ns % 1000000000}};
  ASSERT_EQ(utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  const auto after = identity_of(file);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size, before.size);
  EXPECT_EQ(after->modified_ns, before.modified_ns);
  EXPECT_NE(*after, before) << "the status-change time gives the rewrite away";
}

TEST(RememberedHashes, BundleChecksUseTheRememberedDigestUntilTheFileChanges) {
  const auto [dir, file, identity] = written_file("remembered_sha256_file");
  const test::EnvironmentRestorer restore("VQCLIP_CACHE_DIR");
  setenv("VQCLIP_CACHE_DIR", (dir / "cache").c_str(), 1);
  EXPECT_EQ(sha256_file_remembered(file), digest_of("weights")) << "just written: hashed, not remembered";

  // A record planted as an earlier check would have left it: the file is not read.
  RememberedHashes(dir / "cache" / "bundle-hashes").remember(file, identity, kMadeUpDigest, after_change(identity, 3));
  EXPECT_EQ(sha256_file_remembered(file), kMadeUpDigest);

  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::ofstream(file, std::ios::app) << "!";
  EXPECT_EQ(sha256_file_remembered(file), digest_of("weights!"));
}

TEST(RememberedHashes, AnUnwritableCacheDirectoryOnlyMeansHashingEveryTime) {
  const auto [dir, file, identity] = written_file("remembered_no_cache");
  write_text(dir / "not-a-directory", "");
  const RememberedHashes records(dir / "not-a-directory" / "bundle-hashes");
  EXPECT_NO_THROW(records.remember(file, identity, kMadeUpDigest, after_change(identity, 3)));
  EXPECT_FALSE(records.find(file, identity));

  const test::EnvironmentRestorer restore("VQCLIP_CACHE_DIR");
  setenv("VQCLIP_CACHE_DIR", (dir / "not-a-directory").c_str(), 1);
  EXPECT_EQ(sha256_file_remembered(file), digest_of("weights"));
}

}  // namespace
}  // namespace vqclip
