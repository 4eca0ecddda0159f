#include "bbbhook/util/http_client.hpp"

#include <curl/curl.h>
#include <mutex>

#include "bbbhook/util/error.hpp"

namespace bbbhook::util {

void curl_init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw Failure(ExitCode::internal, "curl_global_init failed");
        std::atexit(curl_global_cleanup);
    });
}

std::string_view transport_kind_name(TransportKind kind) {
    switch (kind) {
    case TransportKind::dns: return "dns";
    case TransportKind::connect: return "connect";
    case TransportKind::tls: return "tls";
    case TransportKind::timeout: return "timeout";
    case TransportKind::other: return "other";
    }
    return "other";
}

namespace {

TransportKind classify(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return TransportKind::dns;
    case CURLE_COULDNT_CONNECT: return TransportKind::connect;
    case CURLE_OPERATION_TIMEDOUT: return TransportKind::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED: return TransportKind::tls;
    default: return TransportKind::other;
    }
}

size_t append_body(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

} // namespace

struct HttpClient::Impl {
    std::unique_ptr<CURL, CurlDeleter> handle;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    char error[CURL_ERROR_SIZE] = {};
    std::string body;

    std::expected<HttpResponse, TransportError> perform() {
        CURL* h = handle.get();
        error[0] = '\0';
        body.clear();
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK)
            return std::unexpected(TransportError{classify(rc), error[0] ? error : curl_easy_strerror(rc)});
        HttpResponse r;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
        char* type = nullptr;
        if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) r.content_type = type;
        r.body = std::move(body);
        body = std::string();
        return r;
    }
};

HttpClient::HttpClient(HttpOptions options) : m_impl(std::make_unique<Impl>()) {
    curl_init_once();
    m_impl->handle.reset(curl_easy_init());
    if (!m_impl->handle) throw Failure(ExitCode::internal, "curl_easy_init failed");
    for (const auto& line : options.headers) {
        curl_slist* l = curl_slist_append(m_impl->headers.get(), line.c_str());
        if (!l) throw Failure(ExitCode::internal, "curl_slist_append failed");
        (void)m_impl->headers.release();
        m_impl->headers.reset(l);
    }
    CURL* h = m_impl->handle.get();
    curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
    if (m_impl->headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, m_impl->headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &m_impl->body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, m_impl->error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    // Verification is libcurl's default; said explicitly so that no one turns it off by accident.
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file.c_str());
    // http and https only, and never a redirect: the API answers in place.
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}

HttpClient::~HttpClient() = default;

std::expected<HttpResponse, TransportError> HttpClient::get(const std::string& url) {
    CURL* h = m_impl->handle.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    return m_impl->perform();
}

std::expected<HttpResponse, TransportError> HttpClient::post(const std::string& url, std::string_view body) {
    CURL* h = m_impl->handle.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    return m_impl->perform();
}

} // namespace bbbhook::util
