#pragma once
// The bbb-webhooks hooks API without the network (docs: bbb-webhooks.md §2): building the signed
// GET URL of hooks/create|list|destroy, and turning every answer body into a typed result.
//
//   GET <api base>/hooks/create?callbackURL=…&meetingID=…&checksum=<hex ALG(call + query + secret)>
//
// The checksum covers the query string exactly as sent (§2.2), so encoding and hashing happen
// here, once, on the same bytes. No function here puts the secret or a checksum into a message.
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bbbhook/util/error.hpp"
#include "bbbhook/util/hash.hpp"

namespace bbbhook::hooks {

// ---------------------------------------------------------------------------------------------
// Requests

enum class Call { create, list, destroy };
// "hooks/create", "hooks/list", "hooks/destroy": the method part of the checksum (§2.2).
std::string_view call_name(Call call);

// One query parameter, not encoded. Order is kept: the checksum covers the order sent.
struct Param {
    std::string name;  // callbackURL, meetingID, eventID, getRaw, hookID
    std::string value; // raw text; percent-encoded by build_request
};

struct Server {
    std::string api_base; // "https://bbb.example.org/bigbluebutton/api", trailing '/' optional
    std::string secret;   // BBB's shared secret (bbb-conf --secret)
    util::HashAlg alg = util::HashAlg::sha1;
};

struct Request {
    std::string url;          // the full GET URL, checksum included: never log it
    std::string redacted_url; // the same with "checksum=REDACTED": safe for logs and messages
};

// Percent-encodes one name or value: RFC 3986 unreserved bytes (A-Z a-z 0-9 - . _ ~) stay, every
// other byte becomes %XX (uppercase hex; a space is %20, never '+'). For the captured values this
// is byte for byte what the fixtures sent (JavaScript's encodeURIComponent also leaves !'()* alone;
// bbb-webhooks decodes either, and hashes whatever was sent).
std::string percent_encode(std::string_view s);

// "name=value&name=value" with both sides percent-encoded, in the given order; "" for no params.
std::string encode_query(std::span<const Param> params);

// lowercase_hex(ALG(method + query + secret)), method as in call_name (§2.2). query is the encoded
// query string without '?' and without the checksum parameter.
std::string api_checksum(util::HashAlg alg, std::string_view method, std::string_view query, std::string_view secret);

// The API base normalized: surrounding whitespace and trailing '/' removed; a base whose path ends
// in "/bigbluebutton" (the URL bbb-conf --secret prints) gets "/api" appended.
// Fails with ExitCode::config if it is not an http:// or https:// URL with a host, or if it has a
// query ('?') or fragment ('#').
Result<std::string> normalize_api_base(std::string_view api_base);

// Builds <base>/<call>?<encoded params>&checksum=<hex>. Fails with ExitCode::config on a bad
// api_base (as normalize_api_base) or an empty secret, and with ExitCode::internal on a parameter
// with an empty name or named "checksum" (the server cuts such a parameter out before hashing).
Result<Request> build_request(const Server& server, Call call, std::span<const Param> params);

// Replaces the value of every "checksum=" in `text` (up to '&', '#', a quote, '<', '>' or white
// space) with "REDACTED": for logs and messages that quote a URL or a server's page.
std::string redact_checksum(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Responses. Every answer of the API is HTTP 200 with <response><returncode>…; failures are
// <returncode>FAILED</returncode> plus <messageKey> (stable) and <message> (free text). Switch on
// the kind, never on the message text.

enum class ReturnCode { success, failed };

struct Reply {
    ReturnCode returncode = ReturnCode::success;
    std::string message_key; // "" when absent; "duplicateWarning" on a repeated create
    std::string message;     // the server's text, as sent ("" when absent)
};

struct CreateResult {
    Reply reply;
    std::string hook_id;                // "" only for a duplicateWarning that names no hook
    bool already_registered = false;    // messageKey duplicateWarning: the stored hook is unchanged
    std::optional<bool> permanent_hook; // <permanentHook>; absent on duplicateWarning
    std::optional<bool> raw_data;       // <rawData> (getRaw); absent on duplicateWarning
};

struct HookInfo {
    std::string hook_id;
    std::string callback_url;              // decoded, exactly as registered (and as hashed in callbacks)
    std::optional<std::string> meeting_id; // external meeting id of a meeting-scoped hook
    std::optional<std::string> event_id;   // the eventID filter as stored: lowercase, comma list
    std::optional<bool> permanent_hook;
    std::optional<bool> raw_data;
};

struct ListResult {
    Reply reply;
    std::vector<HookInfo> hooks; // in the server's order (§2.4: registration order, or by hookID)
};

struct DestroyResult {
    Reply reply;
    bool removed = false;
};

// Why a call failed. One kind per class of failure; exit_code() gives the CLI's exit code.
enum class ApiErrorKind {
    checksum,       // FAILED checksumError: wrong secret, algorithm not enabled on the server, or no
                    // checksum sent → ExitCode::config
    missing_param,  // FAILED missingParam* (missingParamCallbackURL, missingParamHookID) → usage
    hook_not_found, // FAILED destroyMissingHook: unknown hookID, or a permanent hook (§2.6) → data
    server_error,   // FAILED createHookError / listHookError / destroyHookError (storage, or the
                    // v3.5.0 list-by-meeting bug, §2.6) → temp_fail
    failed_other,   // FAILED with any other or no messageKey → unavailable
    html_page,      // an HTML page instead of XML: HTTP 500 for a checksum of invalid length, 404 for
                    // a wrong path or method → protocol
    not_xml,        // an empty body or anything that is not well-formed XML → protocol
    bad_response,   // well-formed XML but not a hooks API answer (no <response>, unknown returncode,
                    // a SUCCESS without its required fields) → protocol
    // The transport (hooks/client.hpp): no answer at all, or not the API's.
    dns,              // the API host name does not resolve → no_host
    connect,          // connection refused or unreachable → unavailable
    tls,              // TLS handshake or certificate verification failed → protocol
    timeout,          // no answer in time → temp_fail
    transport,        // any other transport failure (reset, empty reply) → unavailable
    http_unavailable, // HTTP 502/503/504: the proxy is up, bbb-webhooks is not → temp_fail
    http_status,      // another non-200 status without an HTML page → protocol
    bad_request,      // the request cannot be built (bad API URL, empty secret) → config
};
std::string_view api_error_kind_name(ApiErrorKind kind); // "checksum", "html-page", …
ExitCode exit_code(ApiErrorKind kind);
// Worth another attempt after a pause: connect, timeout, transport, http_unavailable, server_error.
bool is_transient(ApiErrorKind kind);

struct ApiError {
    ApiErrorKind kind = ApiErrorKind::bad_response;
    std::string message;        // one line for "bbbhook: error: …"; no secret, no checksum
    std::optional<Reply> reply; // the FAILED reply, when the body was a hooks API answer
};

template <class T> using ApiResult = std::expected<T, ApiError>;

// ApiError → the project's Error (exit_code(kind) and the message), for value_or_throw & co.
Error to_error(const ApiError& e);

// Parse one answer body (the HTTP body only; the status is not needed: HTML bodies tell
// themselves apart). A FAILED answer is an ApiError whose `reply` holds messageKey and message.
// duplicateWarning on create is a success (already_registered = true).
ApiResult<CreateResult> parse_create_response(std::string_view body);
ApiResult<ListResult> parse_list_response(std::string_view body);
ApiResult<DestroyResult> parse_destroy_response(std::string_view body);

// ---------------------------------------------------------------------------------------------
// bbb-conf --secret

struct BbbConfSecret {
    std::string url;      // as printed, e.g. "https://bbb.example.org/bigbluebutton/"
    std::string api_base; // normalize_api_base(url): "https://bbb.example.org/bigbluebutton/api"
    std::string secret;
};

// Reads the "URL: …" and "Secret: …" lines of `bbb-conf --secret`'s output (indented, any other
// lines such as the API-Mate link ignored; the first of each wins). Fails with ExitCode::data if
// either line is missing or empty, or the URL is not an http(s) URL; the message never holds the
// secret.
Result<BbbConfSecret> parse_bbb_conf_secret(std::string_view output);

} // namespace bbbhook::hooks
