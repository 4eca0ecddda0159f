#pragma once
// Digests (OpenSSL libcrypto), lowercase hex, and constant-time comparison.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX, kept out of this header

namespace bbbhook::util {

enum class HashAlg { sha1, sha256, sha384, sha512 };

std::string_view hash_alg_name(HashAlg alg);
std::optional<HashAlg> hash_alg_from_name(std::string_view name);
// BBB tells the algorithm only by the hex length: 40 sha1, 64 sha256, 96 sha384, 128 sha512.
std::optional<HashAlg> hash_alg_from_hex_length(size_t hex_length);

// Incremental digest. Usage: Hasher h(HashAlg::sha1); h.update(a); h.update(b); h.hex().
// Throws std::bad_alloc / std::runtime_error only if libcrypto itself fails (never on input).
class Hasher {
public:
    explicit Hasher(HashAlg alg);
    ~Hasher();
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    Hasher& update(std::string_view bytes);
    // Finishes the digest; the Hasher cannot be updated afterwards.
    std::string digest();
    std::string hex() { return to_hex(digest()); }

    static std::string to_hex(std::string_view bytes);

private:
    evp_md_ctx_st* m_ctx = nullptr; // borrowed from a per-thread pool, returned on destruction
};

std::string hex_digest(HashAlg alg, std::string_view bytes);

// Compares two strings in time that depends only on their lengths' digests, not their content
// (both sides are hashed with SHA-256 first, so even the length does not leak through timing).
bool constant_time_equal(std::string_view a, std::string_view b);
// The same for strings whose length is public (e.g. hex digests): time depends on the length only.
bool constant_time_equal_same_length(std::string_view a, std::string_view b);

} // namespace bbbhook::util
