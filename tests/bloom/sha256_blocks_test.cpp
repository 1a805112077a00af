// The SHA-extension digests against OpenSSL's SHA-256, at every message length one block holds.
#include "bloom/sha256_blocks.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <string>

namespace trend::bloom {
namespace {

std::string OpenSslSha256(const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EXPECT_EQ(EVP_Digest(message.data(), message.size(), out, &length, EVP_sha256(), nullptr), 1);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Bytes(std::size_t n, std::uint64_t seed) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(seed >> 56);
  }
  return s;
}

TEST(Sha256Blocks, EqualOpenSslAtEveryOneBlockLength) {
  if (!HasSha256Extensions()) GTEST_SKIP() << "this CPU has no SHA extensions";
  for (std::size_t prefix_size : {0u, 20u, 32u}) {
    const std::string prefix = Bytes(prefix_size, prefix_size + 1);
    for (std::size_t n = 0; prefix_size + n <= kSha256OneBlockMessage; ++n) {
      const std::string a = Bytes(n, 7 * n + 3);
      const std::string b = Bytes(kSha256OneBlockMessage - prefix_size - n, n);
      unsigned char pair_a[32];
      unsigned char pair_b[32];
      Sha256OneBlockPair(prefix, a, b, pair_a, pair_b);
      const auto hex = [](const unsigned char* d) {
        return std::string(reinterpret_cast<const char*>(d), 32);
      };
      ASSERT_EQ(hex(pair_a), OpenSslSha256(prefix + a)) << prefix_size << " + " << n;
      ASSERT_EQ(hex(pair_b), OpenSslSha256(prefix + b)) << prefix_size << " + " << b.size();
    }
  }
}

}  // namespace
}  // namespace trend::bloom
