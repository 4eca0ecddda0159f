#include "bbbhook/hooks/client.hpp"

#include <fmt/format.h>
#include <thread>

#include "bbbhook/util/text.hpp"

namespace bbbhook::hooks {

namespace {

std::string duration_text(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return fmt::format("{} s", d.count() / 1000);
    return fmt::format("{} ms", d.count());
}

} // namespace

ApiError transport_error(const util::TransportError& e, std::string_view api_base, std::chrono::milliseconds timeout) {
    std::string detail = util::printable(redact_checksum(e.detail), 200);
    switch (e.kind) {
    case util::TransportKind::dns:
        return {ApiErrorKind::dns,
                fmt::format("cannot resolve the host of {} ({}): check the API URL and this machine's DNS", api_base,
                            detail),
                std::nullopt};
    case util::TransportKind::connect:
        return {
            ApiErrorKind::connect,
            fmt::format("cannot connect to {} ({}): is the server up, and the port open from here?", api_base, detail),
            std::nullopt};
    case util::TransportKind::tls:
        return {ApiErrorKind::tls,
                fmt::format("TLS with {} failed ({}): if the server's certificate comes from a private CA, give that "
                            "CA's certificate with --ca-file (hooks.ca_file); verification is never turned off",
                            api_base, detail),
                std::nullopt};
    case util::TransportKind::timeout:
        return {ApiErrorKind::timeout,
                fmt::format("no answer from {} within {} ({}): the server or the network is overloaded or "
                            "blocked (hooks.timeout)",
                            api_base, duration_text(timeout), detail),
                std::nullopt};
    case util::TransportKind::other: break;
    }
    return {ApiErrorKind::transport, fmt::format("the request to {} failed ({})", api_base, detail), std::nullopt};
}

Client::Client(Server server, ClientOptions options)
    : m_server(std::move(server)), m_options(std::move(options)), m_http(m_options.http) {}

ApiResult<util::HttpResponse> Client::send(const Request& request) {
    ++m_requests;
    auto r = m_http.get(request.url);
    if (!r) return std::unexpected(transport_error(r.error(), m_server.api_base, m_options.http.timeout));
    if (r->status == 502 || r->status == 503 || r->status == 504)
        return std::unexpected(
            ApiError{ApiErrorKind::http_unavailable,
                     fmt::format("HTTP {} from {}: the web server is up but bbb-webhooks does not answer behind it "
                                 "(on the BBB server: systemctl status bbb-webhooks)",
                                 r->status, m_server.api_base),
                     std::nullopt});
    return std::move(*r);
}

template <class T>
ApiResult<T> Client::call(Call call, std::span<const Param> params, ApiResult<T> (*parse)(std::string_view)) {
    auto request = build_request(m_server, call, params);
    if (!request) return std::unexpected(ApiError{ApiErrorKind::bad_request, request.error().message, std::nullopt});

    std::chrono::milliseconds wait = m_options.backoff;
    for (int attempt = 0;; ++attempt) {
        ApiResult<T> result = [&]() -> ApiResult<T> {
            auto response = send(*request);
            if (!response) return std::unexpected(std::move(response.error()));
            ApiResult<T> parsed = parse(response->body);
            // An answer that parses is the API's whatever the status; otherwise say the status too.
            if (!parsed && response->status != 200) {
                ApiError& e = parsed.error();
                if (e.kind == ApiErrorKind::not_xml || e.kind == ApiErrorKind::bad_response) {
                    e.kind = ApiErrorKind::http_status;
                    e.message = fmt::format(
                        "HTTP {} from {}{}: not a hooks API answer", response->status, m_server.api_base,
                        response->body.empty()
                            ? std::string()
                            : fmt::format(" (\"{}\")", util::printable(redact_checksum(response->body), 80)));
                } else {
                    e.message = fmt::format("HTTP {}: {}", response->status, e.message);
                }
            }
            return parsed;
        }();
        if (!result && result.error().kind == ApiErrorKind::checksum)
            result.error().message += m_server.alg == util::HashAlg::sha1
                                          ? std::string(" (signed with sha1)")
                                          : fmt::format(" (signed with {}; bbb-webhooks 2.x accepts sha1 only)",
                                                        util::hash_alg_name(m_server.alg));
        if (result || !is_transient(result.error().kind) || attempt >= m_options.retries) return result;
        if (m_options.on_retry) m_options.on_retry(result.error(), attempt + 1, wait);
        std::this_thread::sleep_for(wait);
        wait *= 2;
    }
}

ApiResult<CreateResult> Client::create(std::span<const Param> params) {
    return call(Call::create, params, parse_create_response);
}

ApiResult<ListResult> Client::list() {
    return call<ListResult>(Call::list, {}, parse_list_response);
}

ApiResult<DestroyResult> Client::destroy(std::string_view hook_id) {
    Param p{"hookID", std::string(hook_id)};
    return call(Call::destroy, std::span(&p, 1), parse_destroy_response);
}

} // namespace bbbhook::hooks
