#include "bbbhook/util/hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdexcept>

namespace bbbhook::util {

namespace {
const EVP_MD* md_of(HashAlg alg) {
    switch (alg) {
    case HashAlg::sha1: return EVP_sha1();
    case HashAlg::sha256: return EVP_sha256();
    case HashAlg::sha384: return EVP_sha384();
    case HashAlg::sha512: return EVP_sha512();
    }
    return EVP_sha256();
}
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
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

struct Hasher::Impl {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx{EVP_MD_CTX_new()};
};

Hasher::Hasher(HashAlg alg) : m_impl(std::make_unique<Impl>()) {
    if (!m_impl->ctx || EVP_DigestInit_ex(m_impl->ctx.get(), md_of(alg), nullptr) != 1)
        throw std::runtime_error("libcrypto: EVP_DigestInit_ex failed");
}

Hasher::~Hasher() = default;

Hasher& Hasher::update(std::string_view bytes) {
    if (EVP_DigestUpdate(m_impl->ctx.get(), bytes.data(), bytes.size()) != 1)
        throw std::runtime_error("libcrypto: EVP_DigestUpdate failed");
    return *this;
}

std::string Hasher::digest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(m_impl->ctx.get(), out, &len) != 1)
        throw std::runtime_error("libcrypto: EVP_DigestFinal_ex failed");
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

bool constant_time_equal(std::string_view a, std::string_view b) {
    std::string da = Hasher(HashAlg::sha256).update(a).digest();
    std::string db = Hasher(HashAlg::sha256).update(b).digest();
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

} // namespace bbbhook::util
