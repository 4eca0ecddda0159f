#include "bbbhook/util/hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdexcept>
#include <vector>

namespace bbbhook::util {

namespace {
// OpenSSL 3 looks digests up by name on every implicit use (EVP_sha1() in DigestInit): fetch
// each once instead. Fetched digests live for the process.
const EVP_MD* md_of(HashAlg alg) {
    static const EVP_MD* const mds[] = {
        EVP_MD_fetch(nullptr, "SHA1", nullptr), EVP_MD_fetch(nullptr, "SHA256", nullptr),
        EVP_MD_fetch(nullptr, "SHA384", nullptr), EVP_MD_fetch(nullptr, "SHA512", nullptr)};
    return mds[static_cast<size_t>(alg)];
}

// Digest contexts are reused per thread rather than allocated per hash.
struct CtxPool {
    std::vector<EVP_MD_CTX*> free;
    ~CtxPool() {
        for (auto* c : free)
            EVP_MD_CTX_free(c);
    }
};
thread_local CtxPool t_ctx_pool;
} // namespace

std::string_view hash_alg_name(HashAlg alg) {
    switch (alg) {
    case HashAlg::sha1: return "sha1";
    case HashAlg::sha256: return "sha256";
    case HashAlg::sha384: return "sha384";
    case HashAlg::sha512: return "sha512";
    }
    return "?";
}

std::optional<HashAlg> hash_alg_from_name(std::string_view name) {
    if (name == "sha1") return HashAlg::sha1;
    if (name == "sha256") return HashAlg::sha256;
    if (name == "sha384") return HashAlg::sha384;
    if (name == "sha512") return HashAlg::sha512;
    return std::nullopt;
}

std::optional<HashAlg> hash_alg_from_hex_length(size_t n) {
    switch (n) {
    case 40: return HashAlg::sha1;
    case 64: return HashAlg::sha256;
    case 96: return HashAlg::sha384;
    case 128: return HashAlg::sha512;
    default: return std::nullopt;
    }
}

Hasher::Hasher(HashAlg alg) {
    if (!t_ctx_pool.free.empty()) {
        m_ctx = t_ctx_pool.free.back();
        t_ctx_pool.free.pop_back();
    } else {
        m_ctx = EVP_MD_CTX_new();
    }
    if (!m_ctx || EVP_DigestInit_ex2(m_ctx, md_of(alg), nullptr) != 1)
        throw std::runtime_error("libcrypto: EVP_DigestInit_ex2 failed");
}

Hasher::~Hasher() {
    if (m_ctx) t_ctx_pool.free.push_back(m_ctx);
}

Hasher& Hasher::update(std::string_view bytes) {
    if (EVP_DigestUpdate(m_ctx, bytes.data(), bytes.size()) != 1)
        throw std::runtime_error("libcrypto: EVP_DigestUpdate failed");
    return *this;
}

std::string Hasher::digest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(m_ctx, out, &len) != 1) throw std::runtime_error("libcrypto: EVP_DigestFinal_ex failed");
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Hasher::to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        out[2 * i] = digits[b >> 4];
        out[2 * i + 1] = digits[b & 0xf];
    }
    return out;
}

std::string hex_digest(HashAlg alg, std::string_view bytes) {
    return Hasher(alg).update(bytes).hex();
}

bool constant_time_equal_same_length(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    std::string da = Hasher(HashAlg::sha256).update(a).digest();
    std::string db = Hasher(HashAlg::sha256).update(b).digest();
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

} // namespace bbbhook::util
