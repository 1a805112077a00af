// Shared by the SHA tests: OpenSSL's digest of a message, to compare ours with, and
// reproducible pseudo-random bytes.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <string>

namespace trend::bloom {

inline std::string OpenSslDigest(const EVP_MD* md, const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EXPECT_EQ(EVP_Digest(message.data(), message.size(), out, &length, md, nullptr), 1);
  return std::string(reinterpret_cast<const char*>(out), length);
}

inline std::string PseudoRandomBytes(std::size_t n, std::uint64_t seed) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(seed >> 56);
  }
  return s;
}

}  // namespace trend::bloom
