#include "bbbhook/bbb/callback_auth.hpp"

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bbbhook/util/form.hpp"
#include "bbbhook/util/text.hpp"

namespace bbbhook::bbb {

std::optional<AuthMode> auth_mode_from_name(std::string_view name) {
    if (name == "any") return AuthMode::any;
    if (name == "bearer") return AuthMode::bearer;
    if (name == "checksum") return AuthMode::checksum;
    return std::nullopt;
}

std::string_view auth_mode_name(AuthMode mode) {
    switch (mode) {
    case AuthMode::any: return "any";
    case AuthMode::bearer: return "bearer";
    case AuthMode::checksum: return "checksum";
    }
    return "?";
}

std::string_view auth_method_name(AuthMethod method) {
    switch (method) {
    case AuthMethod::none: return "none";
    case AuthMethod::bearer: return "bearer";
    case AuthMethod::checksum: return "checksum";
    case AuthMethod::checksum_v2: return "checksum-v2";
    case AuthMethod::checksum_v3_constant: return "checksum-v3-constant";
    }
    return "?";
}

std::string checksum_v34(util::HashAlg alg, std::string_view url, std::string_view body, std::string_view secret) {
    return util::Hasher(alg).update(url).update(body).update(secret).hex();
}

std::string checksum_v3_constant(util::HashAlg alg, std::string_view url, std::string_view secret) {
    return util::Hasher(alg).update(url).update("{}").update(secret).hex();
}

std::optional<std::string> checksum_v2(util::HashAlg alg, std::string_view url, std::string_view body,
                                       std::string_view secret) {
    auto fields = util::parse_form(body);
    if (!fields) return std::nullopt;
    const std::string* event = util::form_value(*fields, "event");
    const std::string* timestamp = util::form_value(*fields, "timestamp");
    const std::string* domain = util::form_value(*fields, "domain");
    if (!event || !timestamp || !domain) return std::nullopt;
    long long ts = 0;
    auto [p, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), ts);
    if (ec != std::errc() || p != timestamp->data() + timestamp->size()) return std::nullopt;
    // JSON.stringify({event, timestamp, domain}): insertion order, timestamp as a number.
    nlohmann::ordered_json j;
    j["event"] = *event;
    j["timestamp"] = ts;
    j["domain"] = *domain;
    std::string json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return util::Hasher(alg).update(url).update(json).update(secret).hex();
}

std::optional<std::string_view> bearer_token(std::string_view header) {
    header = util::trim(header);
    if (!util::istarts_with(header, "bearer ")) return std::nullopt;
    return util::trim(header.substr(7));
}

CallbackTarget split_callback_target(std::string_view target) {
    CallbackTarget out;
    size_t q = target.find('?');
    out.path = target.substr(0, q);
    if (q == std::string_view::npos) {
        out.without_checksum = std::string(target);
        return out;
    }
    // Find the last parameter named checksum (bbb-webhooks appends it last).
    std::string_view query = target.substr(q + 1);
    size_t best_begin = std::string_view::npos, best_end = 0;
    size_t pos = 0;
    while (pos <= query.size()) {
        size_t end = query.find('&', pos);
        if (end == std::string_view::npos) end = query.size();
        std::string_view param = query.substr(pos, end - pos);
        if (param.starts_with("checksum=")) {
            best_begin = pos;
            best_end = end;
            out.checksum = param.substr(9);
        }
        pos = end + 1;
    }
    if (best_begin == std::string_view::npos) {
        out.without_checksum = std::string(target);
        return out;
    }
    std::string rest(query.substr(0, best_begin));
    if (best_end < query.size())
        rest += query.substr(best_end + 1);
    else if (!rest.empty())
        rest.pop_back(); // drop the '&' that preceded the removed parameter
    out.without_checksum = std::string(out.path);
    if (!rest.empty()) out.without_checksum += "?" + rest;
    return out;
}

namespace {

bool hex_equal(std::string_view expected_lower_hex, std::string_view given) {
    std::string lowered(given);
    for (char& c : lowered)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    // The length is public (it names the algorithm); the content is compared in constant time.
    return util::constant_time_equal_same_length(expected_lower_hex, lowered);
}

std::expected<AuthOk, AuthFailure> verify_checksum(const SourceAuth& s, std::string_view body, std::string_view given) {
    auto alg = util::hash_alg_from_hex_length(given.size());
    if (!alg)
        return std::unexpected(
            AuthFailure{"checksum_length",
                        fmt::format("checksum has {} characters; expected 40, 64, 96 or 128 hex", given.size())});
    if (s.callback_url.empty())
        return std::unexpected(
            AuthFailure{"no_callback_url", "checksum present but no callback_url is configured for this source"});
    if (hex_equal(checksum_v34(*alg, s.callback_url, body, s.secret), given)) return AuthOk{AuthMethod::checksum, alg};
    if (s.legacy_v3_constant && hex_equal(checksum_v3_constant(*alg, s.callback_url, s.secret), given))
        return AuthOk{AuthMethod::checksum_v3_constant, alg};
    if (s.legacy_v2) {
        auto v2 = checksum_v2(*alg, s.callback_url, body, s.secret);
        if (v2 && hex_equal(*v2, given)) return AuthOk{AuthMethod::checksum_v2, alg};
    }
    return std::unexpected(
        AuthFailure{"checksum_mismatch",
                    fmt::format("{} checksum mismatch (wrong secret, wrong callback_url, or a body altered in transit)",
                                util::hash_alg_name(*alg))});
}

} // namespace

std::expected<AuthOk, AuthFailure> verify_callback(const SourceAuth& s, std::string_view body, const Credentials& c) {
    bool bearer_allowed = s.mode != AuthMode::checksum;
    bool checksum_allowed = s.mode != AuthMode::bearer;
    std::optional<AuthFailure> first_failure;
    if (c.bearer) {
        if (!bearer_allowed)
            first_failure =
                AuthFailure{"mode", "bearer token sent but this source accepts only checksums (auth = checksum)"};
        else if (util::constant_time_equal(*c.bearer, s.secret))
            return AuthOk{AuthMethod::bearer, std::nullopt};
        else
            first_failure = AuthFailure{"bearer_mismatch", "bearer token does not match the shared secret"};
    }
    if (c.checksum) {
        if (!checksum_allowed)
            return std::unexpected(first_failure.value_or(
                AuthFailure{"mode", "checksum sent but this source accepts only bearer tokens (auth = bearer)"}));
        auto r = verify_checksum(s, body, *c.checksum);
        if (r) return r;
        return std::unexpected(first_failure.value_or(r.error()));
    }
    if (first_failure) return std::unexpected(*first_failure);
    return std::unexpected(AuthFailure{
        "no_credentials", "no credentials: neither an Authorization: Bearer header nor a checksum parameter"});
}

} // namespace bbbhook::bbb
