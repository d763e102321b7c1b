// The command line's allocator policy: a large freed tensor stays in the
// process for the next step (not unmapped, so not faulted in again), and
// return_free_memory gives it back when the process goes idle.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fstream>

#include "vqclip/runtime.hpp"

namespace vqclip {
namespace {

// Resident memory of this process, in bytes (/proc/self/statm's second field).
int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(MemoryAllocator, ALargeFreedBufferStaysUntilReturned) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator, whose policy this is (the Release run checks it)";
#endif
  tune_memory_allocator();
  return_free_memory();
  constexpr int64_t kBytes = int64_t{256} << 20;  // larger than glibc's largest mmap threshold
  const int64_t before = resident_bytes();
  {
    auto buffer = torch::ones({kBytes / 4});  // written: its pages are resident
    ASSERT_GT(resident_bytes() - before, kBytes * 9 / 10);
  }
  EXPECT_GT(resident_bytes() - before, kBytes * 9 / 10) << "freed, but kept for the next step";
  {
    // One that fits in the kept block (glibc's aligned allocation asks for a
    // little more than the size, so not one of exactly the same size).
    const int64_t kept = resident_bytes();
    auto again = torch::ones({kBytes / 8});
    EXPECT_LT(resident_bytes() - kept, kBytes / 10) << "a later allocation reuses the kept pages";
  }
  return_free_memory();
  EXPECT_LT(resident_bytes() - before, kBytes / 10) << "given back";
}

}  // namespace
}  // namespace vqclip
