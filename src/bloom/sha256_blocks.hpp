// SHA-256 of messages that fit one block (55 bytes at most), with x86's SHA extensions, two
// messages at a time (one at a time, OpenSSL is as fast). pybloom-live's filters hash every key
// with SHA-256 when their bits need 161 to 256 of them (a 1% filter of 200k keys), and one digest
// is a chain of 32 dependent instructions: two independent chains interleaved run in little more
// than the time of one. Used only where the CPU has the extensions (HasSha256Extensions); OpenSSL
// does the rest. The digests are SHA-256's, bit for bit, on every machine
// (tests/bloom/sha256_blocks_test).
#pragma once

#include <string_view>

namespace trend::bloom {

inline constexpr std::size_t kSha256OneBlockMessage = 55;

bool HasSha256Extensions();

// digest_a = SHA-256(prefix + key_a), digest_b = SHA-256(prefix + key_b); each message at most
// kSha256OneBlockMessage bytes. Only when HasSha256Extensions().
void Sha256OneBlockPair(std::string_view prefix, std::string_view key_a, std::string_view key_b,
                        unsigned char* digest_a, unsigned char* digest_b);

}  // namespace trend::bloom
