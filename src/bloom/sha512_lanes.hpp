// SHA-384 and SHA-512 of messages that fit one block (111 bytes at most), eight messages at a
// time in the eight 64-bit lanes of AVX-512 registers. pybloom-live's filters hash every key with
// SHA-384 when their bits need 257 to 384 of them (a 0.1% filter of 200k keys), SHA-512 above
// that, and OpenSSL hashes one message at a time: a block's 80 rounds are one chain of dependent
// instructions, so eight chains side by side cost little more than one. Used only where the CPU
// has AVX-512 F and BW (HasAvx512Lanes); OpenSSL does the rest. The digests are SHA-384's and
// SHA-512's, bit for bit, on every machine (tests/bloom/sha512_lanes_test).
#pragma once

#include <cstddef>
#include <string_view>

namespace trend::bloom {

inline constexpr std::size_t kSha512OneBlockMessage = 111;
inline constexpr std::size_t kSha512Lanes = 8;

enum class Sha512Variant { kSha384, kSha512 };

bool HasAvx512Lanes();

// digests[i] = SHA-384 or SHA-512 of (prefix + keys[i]) for the 8 keys; each message at most
// kSha512OneBlockMessage bytes; each digest has room for 48 (SHA-384) or 64 bytes. Only when
// HasAvx512Lanes().
void Sha512OneBlockLanes(Sha512Variant variant, std::string_view prefix,
                         const std::string_view* keys, unsigned char* const* digests);

}  // namespace trend::bloom
