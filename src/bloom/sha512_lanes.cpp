#include "bloom/sha512_lanes.hpp"

// GCC 12's AVX-512 intrinsics start some results from a deliberately undefined vector, which its
// own -Wuninitialized then reports (GCC bug 105593): not a fault of this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace trend::bloom {
namespace {

// FIPS 180-4: the first 64 bits of the fractional parts of the cube roots of the first 80
// primes, and of the square roots of the first 8 (SHA-512) and the 9th to 16th (SHA-384).
alignas(64) constexpr std::uint64_t kRoundConstants[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};
constexpr std::uint64_t kSha384Initial[8] = {
    0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
    0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL};
constexpr std::uint64_t kSha512Initial[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

constexpr std::size_t kBlockBytes = 128;

// The padded block of prefix + key (both fit: the caller checked): 0x80, zeros, and the length
// in bits as a big-endian 128-bit number.
void PadBlock(std::string_view prefix, std::string_view key, unsigned char* block) {
  std::memset(block, 0, kBlockBytes);
  std::memcpy(block, prefix.data(), prefix.size());
  std::memcpy(block + prefix.size(), key.data(), key.size());
  const std::size_t length = prefix.size() + key.size();
  block[length] = 0x80;
  const std::uint64_t bits = 8 * static_cast<std::uint64_t>(length);
  for (int i = 0; i < 8; ++i)
    block[kBlockBytes - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
}

__attribute__((target("avx512f,avx512bw"))) inline __m512i Xor3(__m512i a, __m512i b, __m512i c) {
  return _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

// Compresses the 8 blocks (lane l: block l) from `initial`; writes each lane's state words,
// big-endian, `words` of them, to digests[l].
__attribute__((target("avx512f,avx512bw"))) void CompressLanes(
    const unsigned char (*blocks)[kBlockBytes], const std::uint64_t* initial, int words,
    unsigned char* const* digests) {
  // Byte order within each 64-bit word reversed: SHA-512 reads its words big-endian.
  const __m512i byte_swap =
      _mm512_broadcast_i32x4(_mm_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  // Word t of every block: qword t + 16 l of the blocks laid end to end.
  const __m512i lane_offsets = _mm512_set_epi64(112, 96, 80, 64, 48, 32, 16, 0);
  __m512i w[16];
  for (int t = 0; t < 16; ++t) {
    const __m512i gathered =
        _mm512_i64gather_epi64(_mm512_add_epi64(lane_offsets, _mm512_set1_epi64(t)), blocks, 8);
    w[t] = _mm512_shuffle_epi8(gathered, byte_swap);
  }
  __m512i s[8];
  for (int i = 0; i < 8; ++i) s[i] = _mm512_set1_epi64(static_cast<long long>(initial[i]));
  __m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int t = 0; t < 80; ++t) {
    __m512i& word = w[t & 15];
    if (t >= 16) {
      const __m512i w15 = w[(t - 15) & 15];
      const __m512i w2 = w[(t - 2) & 15];
      const __m512i sigma0 =
          Xor3(_mm512_ror_epi64(w15, 1), _mm512_ror_epi64(w15, 8), _mm512_srli_epi64(w15, 7));
      const __m512i sigma1 =
          Xor3(_mm512_ror_epi64(w2, 19), _mm512_ror_epi64(w2, 61), _mm512_srli_epi64(w2, 6));
      word = _mm512_add_epi64(_mm512_add_epi64(word, sigma0),
                              _mm512_add_epi64(w[(t - 7) & 15], sigma1));
    }
    const __m512i big_sigma1 =
        Xor3(_mm512_ror_epi64(e, 14), _mm512_ror_epi64(e, 18), _mm512_ror_epi64(e, 41));
    const __m512i choose = _mm512_ternarylogic_epi64(e, f, g, 0xCA);  // e ? f : g
    const __m512i t1 = _mm512_add_epi64(
        _mm512_add_epi64(h, big_sigma1),
        _mm512_add_epi64(
            choose,
            _mm512_add_epi64(word, _mm512_set1_epi64(static_cast<long long>(kRoundConstants[t])))));
    const __m512i big_sigma0 =
        Xor3(_mm512_ror_epi64(a, 28), _mm512_ror_epi64(a, 34), _mm512_ror_epi64(a, 39));
    const __m512i majority = _mm512_ternarylogic_epi64(a, b, c, 0xE8);
    h = g;
    g = f;
    f = e;
    e = _mm512_add_epi64(d, t1);
    d = c;
    c = b;
    b = a;
    a = _mm512_add_epi64(t1, _mm512_add_epi64(big_sigma0, majority));
  }
  const __m512i state[8] = {a, b, c, d, e, f, g, h};
  alignas(64) std::uint64_t out[8][8];  // out[word][lane], big-endian bytes
  for (int i = 0; i < words; ++i) {
    _mm512_store_si512(out[i], _mm512_shuffle_epi8(_mm512_add_epi64(state[i], s[i]), byte_swap));
  }
  for (std::size_t lane = 0; lane < kSha512Lanes; ++lane) {
    for (int i = 0; i < words; ++i) std::memcpy(digests[lane] + 8 * i, &out[i][lane], 8);
  }
}

}  // namespace

bool HasAvx512Lanes() {
  static const bool has =
      __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0;
  return has;
}

void Sha512OneBlockLanes(Sha512Variant variant, std::string_view prefix,
                         const std::string_view* keys, unsigned char* const* digests) {
  alignas(64) unsigned char blocks[kSha512Lanes][kBlockBytes];
  for (std::size_t lane = 0; lane < kSha512Lanes; ++lane)
    PadBlock(prefix, keys[lane], blocks[lane]);
  if (variant == Sha512Variant::kSha384) {
    CompressLanes(blocks, kSha384Initial, 6, digests);
  } else {
    CompressLanes(blocks, kSha512Initial, 8, digests);
  }
}

}  // namespace trend::bloom
