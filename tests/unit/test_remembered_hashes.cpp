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

// VQCLIP_CACHE_DIR pointed somewhere for one test, then as it was.
class CacheDirFor {
 public:
  explicit CacheDirFor(const std::filesystem::path& dir) {
    if (const char* value = std::getenv("VQCLIP_CACHE_DIR")) previous_ = value;
    setenv("VQCLIP_CACHE_DIR", dir.c_str(), 1);
  }
  ~CacheDirFor() {
    if (previous_) {
      setenv("VQCLIP_CACHE_DIR", previous_->c_str(), 1);
    } else {
      unsetenv("VQCLIP_CACHE_DIR");
    }
  }

 private:
  std::optional<std::string> previous_;
};

TEST(RememberedHashes, ADigestIsFoundOnlyForTheIdentityItWasTakenWith) {
  const auto dir = test::scratch_dir("remembered_identity");
  const auto file = dir / "weights.pt";
  write_text(file, "weights");
  const auto identity = identity_of(file);
  ASSERT_TRUE(identity);
  const RememberedHashes records(dir / "records");
  records.remember(file, *identity, kMadeUpDigest, after_change(*identity, 3));
  EXPECT_EQ(records.find(file, *identity), kMadeUpDigest);
  EXPECT_EQ(records.find(dir / "." / "weights.pt", *identity), kMadeUpDigest) << "the same file by another spelling";

  for (auto changed : {&FileIdentity::size, &FileIdentity::inode, &FileIdentity::device}) {
    auto other = *identity;
    other.*changed += 1;
    EXPECT_FALSE(records.find(file, other));
  }
  for (auto changed : {&FileIdentity::modified_ns, &FileIdentity::changed_ns}) {
    auto other = *identity;
    other.*changed += 1;
    EXPECT_FALSE(records.find(file, other));
  }
  write_text(dir / "other.pt", "weights");
  EXPECT_FALSE(records.find(dir / "other.pt", *identity)) << "a record belongs to one path";
}

TEST(RememberedHashes, AFileChangedWithinTheSettleTimeIsNotRemembered) {
  const auto dir = test::scratch_dir("remembered_settle");
  const auto file = dir / "weights.pt";
  write_text(file, "weights");
  const auto identity = identity_of(file);
  ASSERT_TRUE(identity);
  const RememberedHashes records(dir / "records");
  records.remember(file, *identity, kMadeUpDigest, after_change(*identity, 1));
  EXPECT_FALSE(records.find(file, *identity));
  records.remember(file, *identity, kMadeUpDigest, after_change(*identity, 3));
  EXPECT_EQ(records.find(file, *identity), kMadeUpDigest);
}

TEST(RememberedHashes, RewritingAFileInPlaceWithItsSizeAndTimesChangesItsIdentity) {
  const auto dir = test::scratch_dir("remembered_rewrite");
  const auto file = dir / "weights.pt";
  write_text(file, "weights");
  const auto before = identity_of(file);
  ASSERT_TRUE(before);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the kernel clock's coarse tick
  write_text(file, "WEIGHTS");
  const timespec times[2] = {{0, UTIME_OMIT}, {before->modified_ns / 1000000000, before->modified_ns % 1000000000}};
  ASSERT_EQ(utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  const auto after = identity_of(file);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size, before->size);
  EXPECT_EQ(after->modified_ns, before->modified_ns);
  EXPECT_NE(*after, *before) << "the status-change time gives the rewrite away";
}

TEST(RememberedHashes, BundleChecksUseTheRememberedDigestUntilTheFileChanges) {
  const auto dir = test::scratch_dir("remembered_sha256_file");
  const CacheDirFor cache(dir / "cache");
  const auto file = dir / "weights.pt";
  write_text(file, "weights");
  EXPECT_EQ(sha256_file_remembered(file), digest_of("weights")) << "just written: hashed, not remembered";

  // A record planted as an earlier check would have left it: the file is not read.
  const auto identity = identity_of(file);
  ASSERT_TRUE(identity);
  RememberedHashes(dir / "cache" / "bundle-hashes").remember(file, *identity, kMadeUpDigest, after_change(*identity, 3));
  EXPECT_EQ(sha256_file_remembered(file), kMadeUpDigest);

  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::ofstream(file, std::ios::app) << "!";
  EXPECT_EQ(sha256_file_remembered(file), digest_of("weights!"));
}

TEST(RememberedHashes, AnUnwritableCacheDirectoryOnlyMeansHashingEveryTime) {
  const auto dir = test::scratch_dir("remembered_no_cache");
  write_text(dir / "not-a-directory", "");
  const auto file = dir / "weights.pt";
  write_text(file, "weights");
  const auto identity = identity_of(file);
  ASSERT_TRUE(identity);
  const RememberedHashes records(dir / "not-a-directory" / "bundle-hashes");
  EXPECT_NO_THROW(records.remember(file, *identity, kMadeUpDigest, after_change(*identity, 3)));
  EXPECT_FALSE(records.find(file, *identity));

  const CacheDirFor cache(dir / "not-a-directory");
  EXPECT_EQ(sha256_file_remembered(file), digest_of("weights"));
}

}  // namespace
}  // namespace vqclip
