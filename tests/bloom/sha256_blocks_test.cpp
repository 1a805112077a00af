// The SHA-extension digests against OpenSSL's SHA-256, at every message length one block holds.
#include "bloom/sha256_blocks.hpp"

#include <string>

#include "digest_test_support.hpp"

namespace trend::bloom {
namespace {

TEST(Sha256Blocks, EqualOpenSslAtEveryOneBlockLength) {
  if (!HasSha256Extensions()) GTEST_SKIP() << "this CPU has no SHA extensions";
  for (std::size_t prefix_size : {0u, 20u, 32u}) {
    const std::string prefix = PseudoRandomBytes(prefix_size, prefix_size + 1);
    for (std::size_t n = 0; prefix_size + n <= kSha256OneBlockMessage; ++n) {
      const std::string a = PseudoRandomBytes(n, 7 * n + 3);
      const std::string b = PseudoRandomBytes(kSha256OneBlockMessage - prefix_size - n, n);
      unsigned char pair_a[32];
      unsigned char pair_b[32];
      Sha256OneBlockPair(prefix, a, b, pair_a, pair_b);
      const auto hex = [](const unsigned char* d) {
        return std::string(reinterpret_cast<const char*>(d), 32);
      };
      ASSERT_EQ(hex(pair_a), OpenSslDigest(EVP_sha256(), prefix + a)) << prefix_size << " + " << n;
      ASSERT_EQ(hex(pair_b), OpenSslDigest(EVP_sha256(), prefix + b))
          << prefix_size << " + " << b.size();
    }
  }
}

}  // namespace
}  // namespace trend::bloom
