#pragma once
// A small libcurl client: one easy handle (one keep-alive connection), TLS verification always
// on, timeouts, and transport failures sorted into the kinds a sysadmin acts on differently
// (name resolution, connection, TLS, timeout). No retries here: callers decide what is transient.
#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bbbhook::util {

// libcurl's global state, set up once before the first handle (thread-safe to call).
void curl_init_once();

struct HttpOptions {
    std::chrono::milliseconds connect_timeout{5000}; // TCP + TLS handshake
    std::chrono::milliseconds timeout{15000};        // the whole request
    std::string ca_file;                             // PEM bundle of trusted CAs; "" = the system store
    std::string user_agent = "bbbhook";
    std::vector<std::string> headers; // "Name: value" lines sent with every request
};

struct HttpResponse {
    long status = 0;
    std::string content_type; // "" when absent
    std::string body;
};

enum class TransportKind {
    dns,     // the host name does not resolve
    connect, // refused, unreachable, or no route
    tls,     // handshake failed or the certificate could not be verified
    timeout, // connect or whole-request timeout
    other,   // anything else (connection reset, bad URL, empty reply, …)
};
std::string_view transport_kind_name(TransportKind kind); // "dns", "connect", "tls", "timeout", "other"

struct TransportError {
    TransportKind kind = TransportKind::other;
    std::string detail; // libcurl's explanation; never holds the URL's query
};

class HttpClient {
public:
    explicit HttpClient(HttpOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    std::expected<HttpResponse, TransportError> get(const std::string& url);
    std::expected<HttpResponse, TransportError> post(const std::string& url, std::string_view body);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace bbbhook::util
