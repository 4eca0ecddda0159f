// fake-bbb-api: a stand-in for the hooks API of bbb-webhooks v3.5.0 (shared/docs/bbb-webhooks.md
// §2), for end-to-end tests of `bbbhook hooks`. It checks checksums as the real app does, keeps
// hooks in memory and answers byte for byte in the captured formats (captured/api/checksum-sha1).
//
//   fake-bbb-api --port-file FILE [--secret S] [--algorithms sha1,sha256,sha384,sha512]
//                [--tls-cert F --tls-key F] [--permanent URL]... [--fail-first N]
//                [--fail-status 503] [--delay-ms N] [--storage-error] [--log FILE]
//
// It binds 127.0.0.1 on a free port, writes the port to --port-file (atomically, once bound),
// serves until SIGTERM/SIGINT and then exits 0. One log line per request:
// "METHOD target -> STATUS messageKey|-", the checksum value replaced by REDACTED.
//
// Simplified on purpose (the real app differs):
// - getRaw that is neither true nor false (any case): HTTP 500 with Express's error page. The real
//   app's JSON.parse throws an unhandled rejection: no answer at all, or a crash (§2.3).
// - Headers are httplib's: no ETag or Date, and the ping is Content-Length framed with
//   Content-Type text/plain (the app's had none). Pipelined requests wait for the keep-alive poll.
// - Repeated parameters other than checksum use the first value (the app gets an array).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <httplib.h>
#include <memory>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <random>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bbbhook/hooks/api.hpp"
#include "bbbhook/util/hash.hpp"
#include "bbbhook/util/text.hpp"

namespace {

using bbbhook::util::HashAlg;

// Fixed answers, byte for byte as captured (the fake's test compares them with the .xml files).
constexpr std::string_view k_checksum_error = // captured/api/checksum-sha1/10-create-wrong-checksum.xml
    "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>You did not pass the "
    "checksum security check.</message></response>";
constexpr std::string_view k_missing_callback_url = // 09-create-missing-callbackURL.xml
    "<response><returncode>FAILED</returncode><messageKey>missingParamCallbackURL</messageKey><message>You must "
    "specify a callbackURL in the parameters.</message></response>";
constexpr std::string_view k_missing_hook_id = // 17-destroy-missing-param.xml
    "<response><returncode>FAILED</returncode><messageKey>missingParamHookID</messageKey><message>You must specify "
    "a hookID in the parameters.</message></response>";
constexpr std::string_view k_destroy_missing_hook = // 18-destroy-unknown-id.xml
    "<response><returncode>FAILED</returncode><messageKey>destroyMissingHook</messageKey><message>The hook informed "
    "was not found.</message></response>";
constexpr std::string_view k_list_hook_error = // 16-list-by-other-meeting.xml
    "<response><returncode>FAILED</returncode><messageKey>listHookError</messageKey><message>An error happened "
    "while listing registered hooks. Check the logs.</message></response>";
constexpr std::string_view k_destroy_success = // 21-destroy-temp.xml
    "<response><returncode>SUCCESS</returncode><removed>true</removed></response>";
// Never triggered in the captures: the text of WH's responses.js (§2.4).
constexpr std::string_view k_create_hook_error =
    "<response><returncode>FAILED</returncode><messageKey>createHookError</messageKey><message>An error happened "
    "while creating your hook. Check the logs.</message></response>";
constexpr std::string_view k_destroy_hook_error =
    "<response><returncode>FAILED</returncode><messageKey>destroyHookError</messageKey><message>An error happened "
    "while removing your hook. Check the logs.</message></response>";

constexpr std::string_view k_api_prefix = "/bigbluebutton/api/";
constexpr std::string_view k_fixture_secret = "bbbhookFixtureSecret0123456789abcdefXYZ";

struct Options {
    std::filesystem::path port_file;
    std::string secret{k_fixture_secret};
    std::vector<std::string> algorithms{"sha1", "sha256", "sha384", "sha512"};
    std::string tls_cert, tls_key;
    std::vector<std::string> permanent;
    int fail_first = 0;
    int fail_status = 503;
    int delay_ms = 0;
    bool storage_error = false;
    std::string log_file;
};

struct Hook {
    std::string id;
    std::string callback_url;              // decoded, as registered
    std::optional<std::string> meeting_id; // set: meeting-scoped
    std::optional<std::string> event_id;   // lowercased
    bool permanent = false;
    bool raw = false;
};

// One answer, plus what the request log says about it.
struct Answer {
    int status = 200;
    std::string content_type; // "" sends no Content-Type (the ping)
    std::string body;
    std::string message_key; // for the log
};

enum class Route { none, ping, create, list, destroy };

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

// Express's finalhandler page (captures 12 and 25).
Answer express_error(int status, std::string_view text) {
    return {status,
            "text/html; charset=utf-8",
            fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n"
                        "</head>\n<body>\n<pre>{}</pre>\n</body>\n</html>\n",
                        text),
            {}};
}

Answer xml(std::string body) {
    // WH's cleanupXML: trim, then drop white space after every '>' (even inside CDATA).
    static const std::regex k_after_tag(R"(>\s*)");
    std::string_view trimmed = bbbhook::util::trim(body);
    std::string clean = std::regex_replace(std::string(trimmed), k_after_tag, ">");
    std::string key;
    if (auto open = clean.find("<messageKey>"); open != std::string::npos) {
        auto start = open + 12;
        key = clean.substr(start, clean.find('<', start) - start);
    }
    return {200, "text/xml; charset=utf-8", std::move(clean), std::move(key)};
}

// What nginx answers when the app behind it is down (the proxy of a real BBB server).
Answer nginx_error(int status) {
    std::string_view reason = status == 500   ? "Internal Server Error"
                              : status == 502 ? "Bad Gateway"
                              : status == 503 ? "Service Temporarily Unavailable"
                              : status == 504 ? "Gateway Time-out"
                              : status == 429 ? "Too Many Requests"
                                              : "Error";
    return {status,
            "text/html",
            fmt::format("<html>\r\n<head><title>{0} {1}</title></head>\r\n<body>\r\n<center><h1>{0} {1}</h1></center>"
                        "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
                        status, reason),
            {}};
}

// 16 bytes as a UUID of the given version (RFC 4122 variant), in lowercase hex.
std::string uuid_text(std::string bytes, unsigned version) {
    bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0fu) | (version << 4));
    bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3fu) | 0x80u);
    std::string hex = bbbhook::util::Hasher::to_hex(bytes);
    return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                       hex.substr(20));
}

// uuidv5(url, URL namespace), as WH names permanent hooks: the same id on every start (capture 14).
std::string uuid_v5_url(std::string_view url) {
    static constexpr unsigned char k_url_namespace[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                                          0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    bbbhook::util::Hasher h(HashAlg::sha1);
    h.update(std::string_view(reinterpret_cast<const char*>(k_url_namespace), sizeof k_url_namespace));
    h.update(url);
    return uuid_text(h.digest().substr(0, 16), 5);
}

std::string uuid_v4(std::mt19937_64& rng) {
    std::string bytes(16, '\0');
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(rng() & 0xffu);
    return uuid_text(std::move(bytes), 4);
}

// WH's queryFromUrl: three regexes on the raw URL (first match each), then what follows '?'.
std::string query_without_checksum(const std::string& target) {
    static const std::regex k_first(R"(&checksum=[^&]*)"), k_second(R"(checksum=[^&]*&)"),
        k_third(R"(checksum=[^&]*$)");
    constexpr auto first_only = std::regex_constants::format_first_only;
    std::string s = std::regex_replace(target, k_first, "", first_only);
    s = std::regex_replace(s, k_second, "", first_only);
    s = std::regex_replace(s, k_third, "", first_only);
    auto q = s.find('?');
    return q == std::string::npos ? std::string() : s.substr(q + 1);
}

class FakeApi {
public:
    explicit FakeApi(Options options) : m_opt(std::move(options)), m_failures_left(m_opt.fail_first) {
        for (const auto& name : m_opt.algorithms)
            if (auto alg = bbbhook::util::hash_alg_from_name(name)) m_algorithms.push_back(*alg);
        for (const auto& url : m_opt.permanent)
            m_hooks.push_back({uuid_v5_url(url), url, std::nullopt, std::nullopt, true, false});
        if (!m_opt.log_file.empty()) m_log = std::fopen(m_opt.log_file.c_str(), "ae");
    }
    // False when --log was given and cannot be opened for appending.
    bool ok() const { return m_opt.log_file.empty() || m_log; }
    ~FakeApi() {
        if (m_log) std::fclose(m_log);
    }
    FakeApi(const FakeApi&) = delete;
    FakeApi& operator=(const FakeApi&) = delete;

    // Every request of every method comes here.
    void serve(const httplib::Request& req, httplib::Response& res) {
        if (m_opt.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(m_opt.delay_ms));
        Answer a = answer(req);
        log(req, a);
        res.status = a.status;
        res.set_header("X-Powered-By", "Express");
        if (a.status == 404 || a.content_type.starts_with("text/html; charset")) {
            res.set_header("Content-Security-Policy", "default-src 'none'");
            res.set_header("X-Content-Type-Options", "nosniff");
        }
        if (a.content_type.empty())
            res.body = std::move(a.body);
        else
            res.set_content(a.body, a.content_type.c_str());
    }

private:
    Answer answer(const httplib::Request& req) {
        std::string path = req.target.substr(0, req.target.find('?'));
        Route route = route_of(path);
        // Express routes GET (and HEAD) only; anything else is its 404 page.
        bool get = req.method == "GET" || req.method == "HEAD";
        if (!get || route == Route::none)
            return express_error(404, fmt::format("Cannot {} {}", req.method, html_escape(path)));
        if (route == Route::ping) return {200, "", "bbb-webhooks API up!", {}};
        if (take_failure()) return nginx_error(m_opt.fail_status);

        // The checksum middleware runs before every API call.
        std::string method = path.substr(k_api_prefix.size());
        if (req.get_param_value_count("checksum") == 1) {
            std::string sum = req.get_param_value("checksum");
            if (!sum.empty()) {
                auto alg = bbbhook::util::hash_alg_from_hex_length(sum.size());
                // getChecksumAlgorithmFromLength throws: Express's 500 page.
                if (!alg) return express_error(500, "Internal Server Error");
                bool enabled = std::find(m_algorithms.begin(), m_algorithms.end(), *alg) != m_algorithms.end();
                if (enabled && sum == bbbhook::hooks::api_checksum(*alg, method, query_without_checksum(req.target),
                                                                   m_opt.secret)) {
                    switch (route) {
                    case Route::create: return create(req);
                    case Route::list: return list(req);
                    default: return destroy(req);
                    }
                }
            }
        }
        return xml(std::string(k_checksum_error));
    }

    // Express's routes are case-insensitive and take one trailing slash.
    static Route route_of(std::string_view path) {
        std::string p = lowercase(path);
        if (p.ends_with('/')) p.pop_back();
        if (p == "/bigbluebutton/api/hooks/ping") return Route::ping;
        if (p == "/bigbluebutton/api/hooks/create") return Route::create;
        if (p == "/bigbluebutton/api/hooks/list") return Route::list;
        if (p == "/bigbluebutton/api/hooks/destroy") return Route::destroy;
        return Route::none;
    }

    bool take_failure() {
        std::lock_guard lock(m_mutex);
        if (m_failures_left <= 0) return false;
        --m_failures_left;
        return true;
    }

    Answer create(const httplib::Request& req) {
        bool raw = false;
        if (auto given = req.get_param_value("getRaw"); !given.empty()) {
            // JSON.parse(getRaw.toLowerCase()); anything else is our simplification (see top).
            std::string lower = lowercase(given);
            if (lower != "true" && lower != "false") return express_error(500, "Internal Server Error");
            raw = lower == "true";
        }
        if (!req.has_param("callbackURL")) return xml(std::string(k_missing_callback_url));
        if (m_opt.storage_error) return xml(std::string(k_create_hook_error));

        std::string url = req.get_param_value("callbackURL");
        std::lock_guard lock(m_mutex);
        // Duplicates by callbackURL only: the stored hook stays as it is (§2.3).
        for (const auto& h : m_hooks)
            if (h.callback_url == url)
                return xml(fmt::format("<response><returncode>SUCCESS</returncode><hookID>{}</hookID><messageKey>"
                                       "duplicateWarning</messageKey><message>There is already a hook for this "
                                       "callback URL.</message></response>",
                                       h.id));
        Hook hook{uuid_v4(m_rng), url, std::nullopt, std::nullopt, false, raw};
        if (req.has_param("meetingID")) hook.meeting_id = req.get_param_value("meetingID");
        if (req.has_param("eventID")) hook.event_id = lowercase(req.get_param_value("eventID"));
        m_hooks.push_back(hook);
        return xml(fmt::format("<response><returncode>SUCCESS</returncode><hookID>{}</hookID><permanentHook>false"
                               "</permanentHook><rawData>{}</rawData></response>",
                               hook.id, raw));
    }

    Answer list(const httplib::Request& req) {
        if (m_opt.storage_error) return xml(std::string(k_list_hook_error));
        std::lock_guard lock(m_mutex);
        std::vector<const Hook*> hooks;
        if (req.has_param("meetingID")) {
            // v3.5.0: the global hooks plus the FIRST hook scoped to the meeting (findByField), sorted
            // by id; with no such hook a null joins the list and the sort throws (§2.6 quirks 1, 2).
            std::string meeting = req.get_param_value("meetingID");
            const Hook* scoped = nullptr;
            for (const auto& h : m_hooks) {
                if (!h.meeting_id)
                    hooks.push_back(&h);
                else if (!scoped && *h.meeting_id == meeting)
                    scoped = &h;
            }
            if (!scoped) return xml(std::string(k_list_hook_error));
            hooks.push_back(scoped);
            std::sort(hooks.begin(), hooks.end(), [](const Hook* a, const Hook* b) { return a->id < b->id; });
        } else {
            for (const auto& h : m_hooks)
                hooks.push_back(&h);
        }
        std::string msg = "<response><returncode>SUCCESS</returncode><hooks>";
        for (const Hook* h : hooks) {
            msg += fmt::format("<hook><hookID>{}</hookID><callbackURL><![CDATA[{}]]></callbackURL>", h->id,
                               h->callback_url);
            if (h->meeting_id) msg += fmt::format("<meetingID><![CDATA[{}]]></meetingID>", *h->meeting_id);
            if (h->event_id) msg += fmt::format("<eventID>{}</eventID>", *h->event_id);
            msg += fmt::format("<permanentHook>{}</permanentHook><rawData>{}</rawData></hook>", h->permanent, h->raw);
        }
        msg += "</hooks></response>";
        return xml(std::move(msg));
    }

    Answer destroy(const httplib::Request& req) {
        if (!req.has_param("hookID")) return xml(std::string(k_missing_hook_id));
        if (m_opt.storage_error) return xml(std::string(k_destroy_hook_error));
        std::string id = req.get_param_value("hookID");
        std::lock_guard lock(m_mutex);
        // A permanent hook cannot be removed, and says so like an unknown one (§2.6 quirk 4).
        auto it = std::find_if(m_hooks.begin(), m_hooks.end(), [&](const Hook& h) { return h.id == id; });
        if (it == m_hooks.end() || it->permanent) return xml(std::string(k_destroy_missing_hook));
        m_hooks.erase(it);
        return xml(std::string(k_destroy_success));
    }

    // Written before the answer goes out, so a client that has its answer finds the line.
    void log(const httplib::Request& req, const Answer& a) {
        std::string line = fmt::format("{} {} -> {} {}\n", bbbhook::util::printable(req.method, 20),
                                       bbbhook::util::printable(bbbhook::hooks::redact_checksum(req.target), 2000),
                                       a.status, a.message_key.empty() ? "-" : a.message_key);
        std::lock_guard lock(m_log_mutex);
        std::FILE* out = m_log ? m_log : stderr;
        std::fputs(line.c_str(), out);
        std::fflush(out);
    }

    Options m_opt;
    std::vector<HashAlg> m_algorithms;
    std::mutex m_mutex; // guards m_hooks, m_rng, m_failures_left
    std::vector<Hook> m_hooks;
    std::mt19937_64 m_rng{std::random_device{}()};
    int m_failures_left = 0;
    std::mutex m_log_mutex;
    std::FILE* m_log = nullptr;
};

bool write_port_file(const std::filesystem::path& file, int port) {
    // Written whole and renamed: a reader never sees a partial number.
    auto tmp = file;
    tmp += ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "we");
    if (!f) return false;
    bool ok = std::fprintf(f, "%d\n", port) > 0;
    ok = std::fclose(f) == 0 && ok;
    std::error_code ec;
    if (ok) std::filesystem::rename(tmp, file, ec);
    return ok && !ec;
}

} // namespace

int main(int argc, char** argv) {
    Options opt;
    CLI::App app{"A fake bbb-webhooks v3.5.0 hooks API for bbbhook's end-to-end tests"};
    app.add_option("--port-file", opt.port_file, "Write the bound port here (once bound)")->required();
    app.add_option("--secret", opt.secret, "Shared secret (default: the fixtures' secret)");
    app.add_option("--algorithms", opt.algorithms, "Accepted checksum algorithms")
        ->delimiter(',')
        ->check(CLI::IsMember({"sha1", "sha256", "sha384", "sha512"}))
        ->capture_default_str();
    auto* cert = app.add_option("--tls-cert", opt.tls_cert, "Serve HTTPS with this certificate (PEM)");
    auto* key = app.add_option("--tls-key", opt.tls_key, "Private key of --tls-cert (PEM)");
    cert->needs(key);
    key->needs(cert);
    app.add_option("--permanent", opt.permanent, "A permanent hook's callback URL (repeatable)");
    app.add_option("--fail-first", opt.fail_first, "Answer the first N API calls with --fail-status")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--fail-status", opt.fail_status, "HTTP status of the injected failures")
        ->check(CLI::Range(400, 599))
        ->capture_default_str();
    app.add_option("--delay-ms", opt.delay_ms, "Wait this long before every answer")->check(CLI::NonNegativeNumber);
    app.add_flag("--storage-error", opt.storage_error, "create/list/destroy fail as if Redis were down");
    app.add_option("--log", opt.log_file, "Request log (default: stderr)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 64;
    }

    // Signals are taken by one thread with sigwait (no work in a handler); block them everywhere
    // before any thread starts so that the server's threads inherit the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    FakeApi api(opt);
    if (!api.ok()) {
        std::fprintf(stderr, "fake-bbb-api: cannot open %s\n", opt.log_file.c_str());
        return 73;
    }
    std::unique_ptr<httplib::Server> server;
    if (!opt.tls_cert.empty())
        server = std::make_unique<httplib::SSLServer>(opt.tls_cert.c_str(), opt.tls_key.c_str());
    else
        server = std::make_unique<httplib::Server>();
    if (!server->is_valid()) {
        std::fprintf(stderr, "fake-bbb-api: cannot load the TLS certificate or key\n");
        return 78;
    }
    server->set_keep_alive_max_count(100);
    // Express's routing is done by hand, in FakeApi::serve. A request with a body goes through
    // httplib's routing so that the body is read (and the connection stays usable); any other is
    // taken before that, as httplib answers 400 to a POST without Content-Length.
    auto handler = [&api](const httplib::Request& req, httplib::Response& res) { api.serve(req, res); };
    server->set_pre_routing_handler([&api](const httplib::Request& req, httplib::Response& res) {
        if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
            return httplib::Server::HandlerResponse::Unhandled;
        api.serve(req, res);
        return httplib::Server::HandlerResponse::Handled;
    });
    const std::string any = ".*";
    server->Get(any, handler).Post(any, handler).Put(any, handler).Patch(any, handler).Delete(any, handler);
    server->Options(any, handler);

    int port = server->bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        std::fprintf(stderr, "fake-bbb-api: cannot bind 127.0.0.1\n");
        return 69;
    }
    if (!write_port_file(opt.port_file, port)) {
        std::fprintf(stderr, "fake-bbb-api: cannot write %s\n", opt.port_file.c_str());
        return 73;
    }

    std::atomic<bool> done{false}, stopping{false};
    std::thread watcher([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        if (done) return; // woken by main after the server ended on its own
        stopping = true;
        // stop() does nothing before listen_after_bind has started: repeat until it returned.
        while (!done) {
            server->stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    server->listen_after_bind();
    done = true;
    if (!stopping) pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    if (!stopping) {
        std::fprintf(stderr, "fake-bbb-api: the server stopped unexpectedly\n");
        return 70;
    }
    return 0;
}
