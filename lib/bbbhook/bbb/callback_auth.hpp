#pragma once
// Authenticity of BBB webhook callbacks (docs: bbb-webhooks.md §3.2–§3.4).
//
//   bearer        Authorization: Bearer <sharedSecret>            (BBB's packaged default)
//   checksum      ALG(callbackURL + rawBody + secret)              (bbb-webhooks v3.4.0+)
//   checksum_v2   sha1(callbackURL + JSON{event,timestamp,domain} + secret)   (v2.x, opt-in)
//   checksum_v3_constant  ALG(callbackURL + "{}" + secret)          (v3.0–3.3.1 bug, opt-in)
//
// ALG is told by the hex length: 40 sha1, 64 sha256, 96 sha384, 128 sha512.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "bbbhook/util/hash.hpp"

namespace bbbhook::bbb {

enum class AuthMode { any, bearer, checksum };
std::optional<AuthMode> auth_mode_from_name(std::string_view name);
std::string_view auth_mode_name(AuthMode mode);

// How a request proved itself; stored in each journal record.
enum class AuthMethod : uint8_t { none = 0, bearer = 1, checksum = 2, checksum_v2 = 3, checksum_v3_constant = 4 };
std::string_view auth_method_name(AuthMethod method);

struct SourceAuth {
    std::string secret;
    std::string callback_url; // exactly as registered; empty = checksums cannot be verified
    AuthMode mode = AuthMode::any;
    bool legacy_v2 = false;
    bool legacy_v3_constant = false;
};

// What the request carries. Views into the request; nothing is copied.
struct Credentials {
    std::optional<std::string_view> checksum; // the last checksum= query parameter
    std::optional<std::string_view> bearer;   // the token after "Bearer "
};

struct AuthOk {
    AuthMethod method = AuthMethod::none;
    std::optional<util::HashAlg> alg; // for checksum methods
};

// Why authentication failed, in words safe to log (never the secret or the checksum itself).
struct AuthFailure {
    std::string_view kind; // metric label: no_credentials, bearer_mismatch, checksum_mismatch, …
    std::string reason;
};

std::expected<AuthOk, AuthFailure> verify_callback(const SourceAuth& source, std::string_view raw_body,
                                                   const Credentials& credentials);

// The request target split for verification and journaling.
struct CallbackTarget {
    std::string_view path;        // before '?', raw (not percent-decoded)
    std::string without_checksum; // the target with its last checksum= parameter removed
    std::optional<std::string_view> checksum;
};
CallbackTarget split_callback_target(std::string_view target);

// "Bearer <token>" (scheme case-insensitive) -> token.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

// The checksums a BBB server computes; used to verify and to generate test traffic.
std::string checksum_v34(util::HashAlg alg, std::string_view callback_url, std::string_view body,
                         std::string_view secret);
std::string checksum_v3_constant(util::HashAlg alg, std::string_view callback_url, std::string_view secret);
// v2 hashed JSON.stringify({event, timestamp, domain}) with the form's decoded values;
// nullopt when the body lacks those fields or the timestamp is not an integer.
std::optional<std::string> checksum_v2(util::HashAlg alg, std::string_view callback_url, std::string_view body,
                                       std::string_view secret);

} // namespace bbbhook::bbb
