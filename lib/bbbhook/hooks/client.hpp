#pragma once
// The hooks API over the network: a signed GET per call (api.hpp builds it), sent with libcurl
// (TLS verified), the answer classified into a typed result, and transient failures retried a
// bounded number of times with a doubling pause.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bbbhook/hooks/api.hpp"
#include "bbbhook/util/http_client.hpp"

namespace bbbhook::hooks {

struct ClientOptions {
    util::HttpOptions http;
    int retries = 2;                         // further attempts after a transient failure (is_transient)
    std::chrono::milliseconds backoff{1000}; // pause before the first retry, doubled for each next one
    // Told before each retry (for a log line); the error is the one that will be retried.
    std::function<void(const ApiError& error, int attempt, std::chrono::milliseconds wait)> on_retry;
};

class Client {
public:
    // `server.api_base` need not be normalized; a bad one fails every call with bad_request.
    Client(Server server, ClientOptions options);

    ApiResult<CreateResult> create(std::span<const Param> params);
    // Every hook the server has. (hooks/list?meetingID= is not offered: v3.5.0 fails it when no hook
    // is scoped to that meeting, §2.6; filter the full list instead.)
    ApiResult<ListResult> list();
    ApiResult<DestroyResult> destroy(std::string_view hook_id);

    // Requests sent so far, retries included (for tests and summaries).
    int requests() const { return m_requests; }

private:
    template <class T>
    ApiResult<T> call(Call call, std::span<const Param> params, ApiResult<T> (*parse)(std::string_view));
    ApiResult<util::HttpResponse> send(const Request& request);

    Server m_server;
    ClientOptions m_options;
    util::HttpClient m_http;
    int m_requests = 0;
};

// A transport failure or HTTP status → the ApiError a user reads ("cannot connect to …: …").
// `api_base` names the server in the message (it holds no secret and no checksum).
ApiError transport_error(const util::TransportError& e, std::string_view api_base, std::chrono::milliseconds timeout);

} // namespace bbbhook::hooks
