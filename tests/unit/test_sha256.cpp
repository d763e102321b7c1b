// SHA-256 against FIPS 180-4's examples, and the hardware engine against the
// portable one on every length around the block and padding boundaries.
#include <random>
#include <string>
#include <vector>

#include "model/sha256.hpp"
#include "test_env.hpp"

namespace vqclip {
namespace {

TEST(Sha256, KnownDigests) {
  for (const auto engine : {Sha256Engine::kPortable, Sha256Engine::kHardware}) {
    EXPECT_EQ(sha256_hex("", 0, engine), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc", 3, engine), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size(), engine),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1'000'000, 'a');
    EXPECT_EQ(sha256_hex(million.data(), million.size(), engine),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(Sha256, HardwareEngineAgreesWithThePortableOne) {
  if (!sha256_hardware_available()) GTEST_SKIP() << "this CPU has no SHA extensions: both engines are the portable one";
  std::mt19937 random(20261201);
  std::vector<unsigned char> data(4096 + 200);
  for (auto& byte : data) byte = static_cast<unsigned char>(random());
  for (size_t size = 0; size <= 300; ++size) {
    EXPECT_EQ(sha256_hex(data.data(), size, Sha256Engine::kHardware),
              sha256_hex(data.data(), size, Sha256Engine::kPortable))
        << size << " bytes";
  }
  EXPECT_EQ(sha256_hex(data.data(), data.size(), Sha256Engine::kHardware),
            sha256_hex(data.data(), data.size(), Sha256Engine::kPortable));
}

}  // namespace
}  // namespace vqclip
