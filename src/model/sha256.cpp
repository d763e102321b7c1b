// SHA-256 (FIPS 180-4), for the bundle's integrity check without OpenSSL.
#include "model/sha256.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define VQCLIP_SHA_NI 1
#endif

#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

alignas(16) constexpr std::array<uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

using State = std::array<uint32_t, 8>;
using BlockFunction = void (*)(State& state, const uint8_t* blocks, size_t count);

uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void portable_blocks(State& state, const uint8_t* blocks, size_t count) {
  for (; count > 0; --count, blocks += 64) {
    std::array<uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      w[i] = uint32_t(blocks[4 * i]) << 24 | uint32_t(blocks[4 * i + 1]) << 16 | uint32_t(blocks[4 * i + 2]) << 8 |
             uint32_t(blocks[4 * i + 3]);
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    auto [a, b, c, d, e, f, g, h] = state;
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    const State add{a, b, c, d, e, f, g, h};
    for (int i = 0; i < 8; ++i) state[i] += add[i];
  }
}

#ifdef VQCLIP_SHA_NI
// The SHA extensions keep the state as two registers, ABEF and CDGH (most
// significant dword first), and run two rounds per sha256rnds2.
__attribute__((target("sha,sse4.1"))) void hardware_blocks(State& state, const uint8_t* blocks, size_t count) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  // Reversed, so that A is the most significant dword: high to low A B C D, and E F G H.
  const __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&state[0])), 0x1B);
  const __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&state[4])), 0x1B);
  __m128i abef = _mm_unpackhi_epi64(efgh, abcd);  // high to low: A B E F
  __m128i cdgh = _mm_unpacklo_epi64(efgh, abcd);  // C D G H
  for (; count > 0; --count, blocks += 64) {
    const __m128i abef_before = abef, cdgh_before = cdgh;
    __m128i w[4];  // the last four groups of four message words
    for (int group = 0; group < 16; ++group) {
      __m128i words;
      if (group < 4) {
        words = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * group)), byte_swap);
      } else {
        // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time.
        const __m128i& w16 = w[group % 4];
        const __m128i& w12 = w[(group + 1) % 4];
        const __m128i& w8 = w[(group + 2) % 4];
        const __m128i& w4 = w[(group + 3) % 4];
        words = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w16, w12), _mm_alignr_epi8(w4, w8, 4)), w4);
      }
      w[group % 4] = words;
      __m128i sum = _mm_add_epi32(words, _mm_load_si128(reinterpret_cast<const __m128i*>(&kRound[4 * group])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, sum);
      sum = _mm_shuffle_epi32(sum, 0x0E);  // the upper two words for the next two rounds
      abef = _mm_sha256rnds2_epu32(abef, cdgh, sum);
    }
    abef = _mm_add_epi32(abef, abef_before);
    cdgh = _mm_add_epi32(cdgh, cdgh_before);
  }
  // Back to memory order: the dword pairs swapped.
  const __m128i b_a_d_c = _mm_unpackhi_epi64(abef, cdgh);  // dwords, low to high: B A D C
  const __m128i f_e_h_g = _mm_unpacklo_epi64(abef, cdgh);  // F E H G
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[0]), _mm_shuffle_epi32(b_a_d_c, 0xB1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[4]), _mm_shuffle_epi32(f_e_h_g, 0xB1));
}
#endif

bool cpu_has_sha_extensions() {
#ifdef VQCLIP_SHA_NI
  // cpuid directly: clang's __builtin_cpu_supports knows no "sha".
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool sse41 = c & (1u << 19);
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = b & (1u << 29);
  return sse41 && sha;
#else
  return false;
#endif
}

BlockFunction block_function(Sha256Engine engine) {
#ifdef VQCLIP_SHA_NI
  if (engine == Sha256Engine::kHardware && cpu_has_sha_extensions()) return hardware_blocks;
#endif
  (void)engine;
  return portable_blocks;
}

class Sha256 {
 public:
  explicit Sha256(Sha256Engine engine) : blocks_(block_function(engine)) {}

  void update(const uint8_t* data, size_t size) {
    length_ += size;
    if (used_ > 0) {
      const size_t take = std::min(size, block_.size() - used_);
      std::memcpy(block_.data() + used_, data, take);
      used_ += take;
      data += take;
      size -= take;
      if (used_ < block_.size()) return;
      blocks_(state_, block_.data(), 1);
      used_ = 0;
    }
    const size_t whole = size / 64;
    blocks_(state_, data, whole);  // straight from the caller's buffer
    std::memcpy(block_.data(), data + whole * 64, size - whole * 64);
    used_ = size - whole * 64;
  }

  std::string hex() {
    const uint64_t bits = length_ * 8;
    std::array<uint8_t, 72> tail{};  // 0x80, zeros to 56 mod 64, the length
    tail[0] = 0x80;
    const size_t padding = (used_ < 56 ? 56 : 120) - used_;
    for (int i = 0; i < 8; ++i) tail[padding + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(tail.data(), padding + 8);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (const uint32_t word : state_) {
      for (int shift = 28; shift >= 0; shift -= 4) out += digits[(word >> shift) & 0xf];
    }
    return out;
  }

 private:
  BlockFunction blocks_;
  State state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<uint8_t, 64> block_{};
  size_t used_ = 0;
  uint64_t length_ = 0;
};

}  // namespace

bool sha256_hardware_available() { return cpu_has_sha_extensions(); }

std::string sha256_hex(const void* data, size_t size, Sha256Engine engine) {
  Sha256 hash(engine);
  hash.update(static_cast<const uint8_t*>(data), size);
  return hash.hex();
}

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BundleError(path.string() + ": cannot read for the integrity check");
  Sha256 hash(Sha256Engine::kHardware);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(reinterpret_cast<const uint8_t*>(buffer.data()), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw BundleError(path.string() + ": read error during the integrity check");
  return hash.hex();
}

}  // namespace vqclip
