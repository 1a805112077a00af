#include "bloom/sha256_blocks.hpp"

#include <cpuid.h>
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace trend::bloom {
namespace {

alignas(16) constexpr std::uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// The padded block of prefix + key (both fit: the caller checked).
void PadBlock(std::string_view prefix, std::string_view key, unsigned char* block) {
  std::memset(block, 0, 64);
  std::memcpy(block, prefix.data(), prefix.size());
  std::memcpy(block + prefix.size(), key.data(), key.size());
  const std::size_t length = prefix.size() + key.size();
  block[length] = 0x80;
  const std::uint64_t bits = 8 * static_cast<std::uint64_t>(length);
  for (int i = 0; i < 8; ++i) block[63 - i] = static_cast<unsigned char>(bits >> (8 * i));
}

// Compresses Lanes independent blocks from the initial state, step by step in lockstep so the
// lanes' instruction chains interleave; writes each digest (big-endian words).
template <int Lanes>
__attribute__((target("sha,sse4.1"))) void CompressFromInitial(const unsigned char* const* blocks,
                                                               unsigned char* const* digests) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  // The state as the SHA instructions want it: ABEF and CDGH.
  const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kInitialState[0]));
  const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kInitialState[4]));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  const __m128i abef0 = _mm_alignr_epi8(cdab, efgh, 8);
  const __m128i cdgh0 = _mm_blend_epi16(efgh, cdab, 0xF0);

  __m128i abef[Lanes];
  __m128i cdgh[Lanes];
  __m128i words[Lanes][4];  // the schedule's last 16 words, 4 per register
  for (int l = 0; l < Lanes; ++l) {
    abef[l] = abef0;
    cdgh[l] = cdgh0;
    for (int w = 0; w < 4; ++w) {
      words[l][w] = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[l] + 16 * w)), byte_swap);
    }
  }
  for (int group = 0; group < 16; ++group) {  // 4 rounds each
    const __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(&kRoundConstants[4 * group]));
    for (int l = 0; l < Lanes; ++l) {
      __m128i* w = words[l];
      if (group >= 4) {  // words 4g .. 4g+3 from the four registers before them
        const __m128i next = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(w[0], w[1]), _mm_alignr_epi8(w[3], w[2], 4)), w[3]);
        w[0] = w[1];
        w[1] = w[2];
        w[2] = w[3];
        w[3] = next;
      }
      const __m128i current = group >= 4 ? w[3] : w[group];
      __m128i message = _mm_add_epi32(current, k);
      cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], message);
      message = _mm_shuffle_epi32(message, 0x0E);
      abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], message);
    }
  }
  for (int l = 0; l < Lanes; ++l) {
    // Add the initial state, then back from ABEF/CDGH to A..H, big-endian.
    const __m128i s0 = _mm_add_epi32(abef[l], abef0);
    const __m128i s1 = _mm_add_epi32(cdgh[l], cdgh0);
    const __m128i feba = _mm_shuffle_epi32(s0, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(s1, 0xB1);
    const __m128i abcd = _mm_blend_epi16(feba, dchg, 0xF0);
    const __m128i efgh_out = _mm_alignr_epi8(dchg, feba, 8);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(digests[l]), _mm_shuffle_epi8(abcd, byte_swap));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(digests[l] + 16),
                     _mm_shuffle_epi8(efgh_out, byte_swap));
  }
}

}  // namespace

bool HasSha256Extensions() {
  // CPUID: SSE4.1 is leaf 1 ECX bit 19, SHA leaf 7 EBX bit 29 (clang's __builtin_cpu_supports
  // knows no "sha").
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & (1u << 19)) == 0) return false;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
    return (ebx & (1u << 29)) != 0;
  }();
  return has;
}

void Sha256OneBlockPair(std::string_view prefix, std::string_view key_a, std::string_view key_b,
                        unsigned char* digest_a, unsigned char* digest_b) {
  alignas(16) unsigned char block_a[64];
  alignas(16) unsigned char block_b[64];
  PadBlock(prefix, key_a, block_a);
  PadBlock(prefix, key_b, block_b);
  const unsigned char* const blocks[2] = {block_a, block_b};
  unsigned char* const digests[2] = {digest_a, digest_b};
  CompressFromInitial<2>(blocks, digests);
}

}  // namespace trend::bloom
