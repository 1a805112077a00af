// The eight-lane digests against OpenSSL's SHA-384 and SHA-512, at every message length one
// block holds, with every lane a different length.
#include "bloom/sha512_lanes.hpp"

#include <string>

#include "digest_test_support.hpp"

namespace trend::bloom {
namespace {

void ExpectEqualOpenSsl(Sha512Variant variant, const EVP_MD* md, std::size_t digest_bytes) {
  for (std::size_t prefix_size : {0u, 48u, 64u}) {
    const std::string prefix = PseudoRandomBytes(prefix_size, prefix_size + 1);
    for (std::size_t n = 0; prefix_size + n <= kSha512OneBlockMessage; ++n) {
      std::string keys[kSha512Lanes];
      std::string_view views[kSha512Lanes];
      unsigned char digests[kSha512Lanes][64];
      unsigned char* outs[kSha512Lanes];
      for (std::size_t lane = 0; lane < kSha512Lanes; ++lane) {
        // Lane 0 has length n, the others lengths spread over what still fits.
        const std::size_t room = kSha512OneBlockMessage - prefix_size;
        keys[lane] = PseudoRandomBytes((n + 13 * lane) % (room + 1), 31 * n + lane);
        views[lane] = keys[lane];
        outs[lane] = digests[lane];
      }
      Sha512OneBlockLanes(variant, prefix, views, outs);
      for (std::size_t lane = 0; lane < kSha512Lanes; ++lane) {
        ASSERT_EQ(std::string(reinterpret_cast<const char*>(digests[lane]), digest_bytes),
                  OpenSslDigest(md, prefix + keys[lane]))
            << prefix_size << " + " << keys[lane].size() << " in lane " << lane;
      }
    }
  }
}

TEST(Sha512Lanes, Sha384EqualsOpenSslAtEveryOneBlockLength) {
  if (!HasAvx512Lanes()) GTEST_SKIP() << "this CPU has no AVX-512";
  ExpectEqualOpenSsl(Sha512Variant::kSha384, EVP_sha384(), 48);
}

TEST(Sha512Lanes, Sha512EqualsOpenSslAtEveryOneBlockLength) {
  if (!HasAvx512Lanes()) GTEST_SKIP() << "this CPU has no AVX-512";
  ExpectEqualOpenSsl(Sha512Variant::kSha512, EVP_sha512(), 64);
}

}  // namespace
}  // namespace trend::bloom
