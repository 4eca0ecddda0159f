#include "bbbhook/hooks/api.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include "bbbhook/util/text.hpp"

namespace bbbhook::hooks {

namespace {

constexpr std::string_view k_redacted = "REDACTED";

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// Quotes untrusted text (a server's message or page) in one of our messages: one line, bounded,
// and with any checksum it might echo cut out.
std::string quote(std::string_view text, size_t max_len = 160) {
    return util::printable(redact_checksum(util::trim(text)), max_len);
}

// The text between <tag> and </tag>, ASCII case-insensitive; "" if absent. Only for the simple
// error pages of Express and nginx, which are not well-formed XML.
std::string_view html_element_text(std::string_view page, std::string_view tag) {
    std::string lower(page);
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    size_t open = lower.find(fmt::format("<{}>", tag));
    if (open == std::string::npos) return {};
    size_t start = open + tag.size() + 2;
    size_t close = lower.find(fmt::format("</{}>", tag), start);
    if (close == std::string::npos) return {};
    return util::trim(page.substr(start, close - start));
}

bool looks_like_html(std::string_view body) {
    if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
    body = util::trim(body);
    return util::istarts_with(body, "<!doctype html") || util::istarts_with(body, "<html");
}

ApiError html_error(std::string_view body) {
    // Express puts its error in <pre>, nginx in <h1>; <title> is the last resort.
    std::string_view what = html_element_text(body, "pre");
    if (what.empty()) what = html_element_text(body, "h1");
    if (what.empty()) what = html_element_text(body, "title");
    std::string shown = what.empty() ? std::string() : fmt::format(" (\"{}\")", quote(what));
    return ApiError{ApiErrorKind::html_page,
                    fmt::format("the server answered an HTML page{}, not the hooks API's XML: bbb-webhooks "
                                "answers so (HTTP 500) to a checksum of invalid length, and a \"Cannot GET\" or "
                                "404 page means a wrong API URL or no bbb-webhooks behind it",
                                shown),
                    std::nullopt};
}

ApiError bad_response(std::string what) {
    return ApiError{ApiErrorKind::bad_response, fmt::format("the server's answer is not a hooks API answer: {}", what),
                    std::nullopt};
}

// A FAILED reply → its error kind, with a message that says what to do about it.
ApiError failed_error(Reply reply) {
    const std::string& key = reply.message_key;
    std::string said = key.empty() ? fmt::format("no messageKey, \"{}\"", quote(reply.message))
                                   : fmt::format("{}: \"{}\"", quote(key, 60), quote(reply.message));
    ApiErrorKind kind = ApiErrorKind::failed_other;
    std::string message;
    if (key == "checksumError") {
        kind = ApiErrorKind::checksum;
        message = fmt::format("the server refused the request's checksum ({}): check the shared secret, and "
                              "that the server accepts the checksum algorithm (bbb-webhooks "
                              "api.supportedChecksumAlgorithms)",
                              said);
    } else if (key.starts_with("missingParam")) {
        kind = ApiErrorKind::missing_param;
        message = fmt::format("the server says a required parameter is missing ({})", said);
    } else if (key == "destroyMissingHook") {
        kind = ApiErrorKind::hook_not_found;
        message = fmt::format("no such hook ({}): the hookID is unknown or names a permanent hook, which "
                              "the API cannot destroy",
                              said);
    } else if (key == "createHookError" || key == "destroyHookError" || key == "listHookError") {
        kind = ApiErrorKind::server_error;
        message = fmt::format("bbb-webhooks failed on its side ({}); see its logs", said);
        // bbb-webhooks v3.5.0 throws while sorting when no hook is scoped to the meeting (§2.6).
        if (key == "listHookError")
            message += "; v3.5.0 also answers this to hooks/list with a meetingID that no hook is scoped to: list "
                       "without meetingID and filter";
    } else {
        message = fmt::format("the server answered FAILED ({})", said);
    }
    return ApiError{kind, std::move(message), std::move(reply)};
}

// Checks the envelope shared by every answer and reads returncode/messageKey/message. On
// success `response` is the <response> element (owned by `doc`).
ApiResult<Reply> parse_envelope(std::string_view body, pugi::xml_document& doc, pugi::xml_node& response) {
    if (util::trim(body).empty())
        return std::unexpected(ApiError{ApiErrorKind::not_xml,
                                        "the server answered an empty body, not the hooks API's XML", std::nullopt});
    if (looks_like_html(body)) return std::unexpected(html_error(body));

    pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed || !doc.document_element()) {
        std::string why =
            parsed ? std::string("no root element") : fmt::format("{} at byte {}", parsed.description(), parsed.offset);
        return std::unexpected(
            ApiError{ApiErrorKind::not_xml,
                     fmt::format("the server's answer is not XML ({}): \"{}\"", why, quote(body, 80)), std::nullopt});
    }

    response = doc.document_element();
    std::string_view root = response.name();
    if (util::iequals(root, "html")) return std::unexpected(html_error(body));
    if (root != "response")
        return std::unexpected(bad_response(fmt::format("its root element is <{}>", quote(root, 40))));

    Reply reply;
    std::string_view returncode = util::trim(response.child("returncode").text().get());
    if (returncode == "SUCCESS")
        reply.returncode = ReturnCode::success;
    else if (returncode == "FAILED")
        reply.returncode = ReturnCode::failed;
    else if (!response.child("returncode"))
        return std::unexpected(bad_response("it has no <returncode>"));
    else
        return std::unexpected(bad_response(fmt::format("its returncode is \"{}\"", quote(returncode, 40))));
    reply.message_key = util::trim(response.child("messageKey").text().get());
    reply.message = response.child("message").text().get();

    if (reply.returncode == ReturnCode::failed) return std::unexpected(failed_error(std::move(reply)));
    return reply;
}

// <name>true|false</name> → the bool; absent → nullopt; anything else → bad_response.
ApiResult<std::optional<bool>> optional_bool(pugi::xml_node parent, const char* name) {
    pugi::xml_node node = parent.child(name);
    if (!node) return std::optional<bool>();
    std::string_view v = util::trim(node.text().get());
    if (v == "true") return std::optional<bool>(true);
    if (v == "false") return std::optional<bool>(false);
    return std::unexpected(bad_response(fmt::format("<{}> is \"{}\", not true or false", name, quote(v, 40))));
}

// A hook's <permanentHook> and <rawData> (each optional), as create and list both report them.
ApiResult<void> read_hook_flags(pugi::xml_node node, std::optional<bool>& permanent_hook,
                                std::optional<bool>& raw_data) {
    auto permanent = optional_bool(node, "permanentHook");
    if (!permanent) return std::unexpected(std::move(permanent.error()));
    auto raw = optional_bool(node, "rawData");
    if (!raw) return std::unexpected(std::move(raw.error()));
    permanent_hook = *permanent;
    raw_data = *raw;
    return {};
}

// The text of a child that must be there and not be empty (CDATA or plain text alike).
ApiResult<std::string> required_text(pugi::xml_node parent, const char* name, std::string_view where) {
    std::string v = parent.child(name).text().get();
    if (v.empty()) return std::unexpected(bad_response(fmt::format("{} has no <{}>", where, name)));
    return v;
}

std::optional<std::string> optional_text(pugi::xml_node parent, const char* name) {
    pugi::xml_node node = parent.child(name);
    if (!node) return std::nullopt;
    return std::string(node.text().get());
}

} // namespace

std::string_view call_name(Call call) {
    switch (call) {
    case Call::create: return "hooks/create";
    case Call::list: return "hooks/list";
    case Call::destroy: return "hooks/destroy";
    }
    return "hooks/unknown";
}

std::string percent_encode(std::string_view s) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 0x0F];
        }
    }
    return out;
}

std::string encode_query(std::span<const Param> params) {
    std::string out;
    for (const Param& p : params) {
        if (!out.empty()) out += '&';
        out += percent_encode(p.name);
        out += '=';
        out += percent_encode(p.value);
    }
    return out;
}

std::string api_checksum(util::HashAlg alg, std::string_view method, std::string_view query, std::string_view secret) {
    util::Hasher h(alg);
    h.update(method).update(query).update(secret);
    return h.hex();
}

Result<std::string> normalize_api_base(std::string_view api_base) {
    std::string_view s = util::trim(api_base);
    auto bad = [&](std::string_view why) {
        return make_error(ExitCode::config,
                          fmt::format("the BBB API URL \"{}\" {}", util::printable(redact_checksum(s), 120), why));
    };
    size_t scheme_len = util::istarts_with(s, "https://") ? 8 : util::istarts_with(s, "http://") ? 7 : 0;
    if (scheme_len == 0) return bad("is not an http:// or https:// URL");
    if (s.find_first_of("?#") != std::string_view::npos) return bad("must not have a query or fragment");
    std::string_view rest = s.substr(scheme_len);
    if (rest.empty() || rest.front() == '/') return bad("has no host");
    if (rest.find_first_of(" \t") != std::string_view::npos) return bad("contains white space");

    while (s.ends_with('/'))
        s.remove_suffix(1);
    std::string base(s);
    // bbb-conf --secret prints ".../bigbluebutton/"; the API lives one level below.
    if (base.ends_with("/bigbluebutton")) base += "/api";
    return base;
}

Result<Request> build_request(const Server& server, Call call, std::span<const Param> params) {
    auto base = normalize_api_base(server.api_base);
    if (!base) return std::unexpected(base.error());
    if (server.secret.empty()) return make_error(ExitCode::config, "the BBB shared secret is empty");
    for (const Param& p : params) {
        if (p.name.empty()) return make_error(ExitCode::internal, "a hooks API parameter has an empty name");
        // The server strips checksum=… from the query before hashing: a second one breaks the hash.
        if (p.name == "checksum")
            return make_error(ExitCode::internal, "\"checksum\" cannot be passed as a hooks API parameter");
    }

    std::string query = encode_query(params);
    std::string method(call_name(call));
    std::string head = fmt::format("{}/{}?{}{}checksum=", *base, method, query, query.empty() ? "" : "&");
    return Request{head + api_checksum(server.alg, method, query, server.secret), head + std::string(k_redacted)};
}

std::string redact_checksum(std::string_view text) {
    static constexpr std::string_view k_key = "checksum=";
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (true) {
        size_t hit = text.find(k_key, pos);
        if (hit == std::string_view::npos) break;
        size_t value = hit + k_key.size();
        size_t end = text.find_first_of("&#\"'<> \t\r\n", value);
        if (end == std::string_view::npos) end = text.size();
        out.append(text.substr(pos, value - pos));
        out.append(k_redacted);
        pos = end;
    }
    out.append(text.substr(pos));
    return out;
}

std::string_view api_error_kind_name(ApiErrorKind kind) {
    switch (kind) {
    case ApiErrorKind::checksum: return "checksum";
    case ApiErrorKind::missing_param: return "missing-param";
    case ApiErrorKind::hook_not_found: return "hook-not-found";
    case ApiErrorKind::server_error: return "server-error";
    case ApiErrorKind::failed_other: return "failed-other";
    case ApiErrorKind::html_page: return "html-page";
    case ApiErrorKind::not_xml: return "not-xml";
    case ApiErrorKind::bad_response: return "bad-response";
    case ApiErrorKind::dns: return "dns";
    case ApiErrorKind::connect: return "connect";
    case ApiErrorKind::tls: return "tls";
    case ApiErrorKind::timeout: return "timeout";
    case ApiErrorKind::transport: return "transport";
    case ApiErrorKind::http_unavailable: return "http-unavailable";
    case ApiErrorKind::http_status: return "http-status";
    case ApiErrorKind::bad_request: return "bad-request";
    }
    return "unknown";
}

ExitCode exit_code(ApiErrorKind kind) {
    switch (kind) {
    case ApiErrorKind::checksum: return ExitCode::config;
    case ApiErrorKind::missing_param: return ExitCode::usage;
    case ApiErrorKind::hook_not_found: return ExitCode::data;
    case ApiErrorKind::server_error: return ExitCode::temp_fail;
    case ApiErrorKind::failed_other: return ExitCode::unavailable;
    case ApiErrorKind::html_page:
    case ApiErrorKind::not_xml:
    case ApiErrorKind::bad_response: return ExitCode::protocol;
    case ApiErrorKind::dns: return ExitCode::no_host;
    case ApiErrorKind::connect: return ExitCode::unavailable;
    case ApiErrorKind::tls: return ExitCode::protocol;
    case ApiErrorKind::timeout: return ExitCode::temp_fail;
    case ApiErrorKind::transport: return ExitCode::unavailable;
    case ApiErrorKind::http_unavailable: return ExitCode::temp_fail;
    case ApiErrorKind::http_status: return ExitCode::protocol;
    case ApiErrorKind::bad_request: return ExitCode::config;
    }
    return ExitCode::internal;
}

bool is_transient(ApiErrorKind kind) {
    switch (kind) {
    case ApiErrorKind::connect:
    case ApiErrorKind::timeout:
    case ApiErrorKind::transport:
    case ApiErrorKind::http_unavailable:
    case ApiErrorKind::server_error: return true;
    default: return false;
    }
}

Error to_error(const ApiError& e) {
    return Error{exit_code(e.kind), e.message};
}

ApiResult<CreateResult> parse_create_response(std::string_view body) {
    pugi::xml_document doc;
    pugi::xml_node response;
    auto reply = parse_envelope(body, doc, response);
    if (!reply) return std::unexpected(std::move(reply.error()));

    CreateResult r;
    r.reply = std::move(*reply);
    // The same callbackURL again: the stored hook, unchanged, whatever the new parameters (§2.3).
    r.already_registered = r.reply.message_key == "duplicateWarning";
    r.hook_id = response.child("hookID").text().get();
    if (r.hook_id.empty() && !r.already_registered) return std::unexpected(bad_response("SUCCESS has no <hookID>"));
    if (auto flags = read_hook_flags(response, r.permanent_hook, r.raw_data); !flags)
        return std::unexpected(std::move(flags.error()));
    return r;
}

ApiResult<ListResult> parse_list_response(std::string_view body) {
    pugi::xml_document doc;
    pugi::xml_node response;
    auto reply = parse_envelope(body, doc, response);
    if (!reply) return std::unexpected(std::move(reply.error()));

    ListResult r;
    r.reply = std::move(*reply);
    pugi::xml_node hooks = response.child("hooks");
    if (!hooks) return std::unexpected(bad_response("SUCCESS has no <hooks>"));
    for (pugi::xml_node node : hooks.children()) {
        if (node.type() != pugi::node_element) continue;
        if (std::string_view(node.name()) != "hook")
            return std::unexpected(bad_response(fmt::format("<hooks> holds a <{}>", quote(node.name(), 40))));
        std::string where = fmt::format("hook {} of the list", r.hooks.size() + 1);
        HookInfo h;
        auto id = required_text(node, "hookID", where);
        if (!id) return std::unexpected(std::move(id.error()));
        auto url = required_text(node, "callbackURL", where);
        if (!url) return std::unexpected(std::move(url.error()));
        h.hook_id = std::move(*id);
        h.callback_url = std::move(*url);
        h.meeting_id = optional_text(node, "meetingID");
        h.event_id = optional_text(node, "eventID");
        if (auto flags = read_hook_flags(node, h.permanent_hook, h.raw_data); !flags)
            return std::unexpected(std::move(flags.error()));
        r.hooks.push_back(std::move(h));
    }
    return r;
}

ApiResult<DestroyResult> parse_destroy_response(std::string_view body) {
    pugi::xml_document doc;
    pugi::xml_node response;
    auto reply = parse_envelope(body, doc, response);
    if (!reply) return std::unexpected(std::move(reply.error()));

    DestroyResult r;
    r.reply = std::move(*reply);
    auto removed = optional_bool(response, "removed");
    if (!removed) return std::unexpected(std::move(removed.error()));
    if (!removed->has_value()) return std::unexpected(bad_response("SUCCESS has no <removed>"));
    r.removed = **removed;
    return r;
}

Result<BbbConfSecret> parse_bbb_conf_secret(std::string_view output) {
    std::optional<std::string_view> url, secret;
    size_t start = 0;
    while (start <= output.size()) {
        size_t end = output.find('\n', start);
        if (end == std::string_view::npos) end = output.size();
        std::string_view line = util::trim(output.substr(start, end - start));
        if (!url && line.starts_with("URL:")) url = util::trim(line.substr(4));
        if (!secret && line.starts_with("Secret:")) secret = util::trim(line.substr(7));
        start = end + 1;
    }
    if (!url || url->empty())
        return make_error(ExitCode::data, "the output of bbb-conf --secret has no \"URL: …\" line");
    if (!secret || secret->empty())
        return make_error(ExitCode::data, "the output of bbb-conf --secret has no \"Secret: …\" line");

    auto base = normalize_api_base(*url);
    if (!base) return make_error(ExitCode::data, fmt::format("bbb-conf --secret: {}", base.error().message));
    return BbbConfSecret{std::string(*url), std::move(*base), std::string(*secret)};
}

} // namespace bbbhook::hooks
