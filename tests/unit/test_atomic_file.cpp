// Atomic writes: the target holds either the old or the new bytes, and no
// temporary file survives, whether the write succeeds or fails.
#include <fstream>

#include "cli_runner.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFile, CreatesParentsReplacesAndLeavesNoTemporary) {
  const auto dir = test::scratch_dir("atomic");
  write_file_atomically(dir / "sub" / "f.txt", "one");
  write_file_atomically(dir / "sub" / "f.txt", "two");
  EXPECT_EQ(test::slurp(dir / "sub" / "f.txt"), "two");
  EXPECT_EQ(names_in(dir / "sub"), std::vector<std::string>{"f.txt"});
}

TEST(AtomicFile, ParentIsAFileGivesOutputErrorNamingThePath) {
  const auto dir = test::scratch_dir("atomic-parent-file");
  std::ofstream(dir / "file") << "x";
  try {
    write_file_atomically(dir / "file" / "f.txt", "data");
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("file/f.txt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"file"});
}

TEST(AtomicFile, FailedRenameRemovesTheTemporaryAndKeepsTheTarget) {
  // The temporary is written, then rename() onto a non-empty directory fails.
  const auto dir = test::scratch_dir("atomic-rename");
  std::filesystem::create_directories(dir / "target" / "inside");
  try {
    write_file_atomically(dir / "target", "data");
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("target"), std::string::npos) << e.what();
  }
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"target"});
  EXPECT_TRUE(std::filesystem::is_directory(dir / "target" / "inside"));
}

TEST(CheckWritable, RefusesUnwritablePlacesAndRemovesItsProbe) {
  const auto dir = test::scratch_dir("check-writable");
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(check_writable(dir / "file" / "f.png"), OutputError) << "parent is a regular file";
  EXPECT_THROW(check_writable(dir), OutputError) << "a directory is not a writable file";
  EXPECT_NO_THROW(check_writable(dir / "new" / "f.png"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "new")) << "the parent is created";
  EXPECT_TRUE(names_in(dir / "new").empty()) << "the probe is removed";
}

}  // namespace
}  // namespace vqclip
