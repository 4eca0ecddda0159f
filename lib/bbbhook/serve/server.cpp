#include "bbbhook/serve/server.hpp"

// Boost.Beast/Asio are confined to this translation unit (heavy headers, 2-core builds).
#define BOOST_BEAST_USE_STD_STRING_VIEW 1
#define BOOST_ASIO_NO_DEPRECATED 1
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/util/form.hpp"
#include "bbbhook/util/text.hpp"
#include "bbbhook/util/time.hpp"

#ifndef BBBHOOK_VERSION
#define BBBHOOK_VERSION "unknown"
#endif

namespace bbbhook::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t k_header_limit = 16 * 1024;

// Concrete executor types (not Asio's type-erased any_io_executor): cheaper on every operation.
// Each connection lives on one single-threaded io_context, so it needs no strand.
using Executor = asio::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Stream = beast::basic_stream<tcp, Executor>;

// The answer to nearly every callback, preformatted.
constexpr std::string_view k_ok_response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                           "Content-Length: 3\r\n\r\nok\n";
constexpr auto k_write_timeout = std::chrono::seconds(10);

struct Source {
    std::string name;
    bbb::SourceAuth auth;
    Metrics::SourceCounters* counters; // lives as long as the Metrics
};

// Immutable once built; replaced as a whole on reload.
struct SourceTable {
    std::map<std::string, Source, std::less<>> by_path;
    const Source* find(std::string_view path) const {
        auto it = by_path.find(path);
        return it == by_path.end() ? nullptr : &it->second;
    }
};

// The current source table. Readers on the request path check an atomic version and keep a
// per-thread reference, so they neither lock nor touch a shared reference count.
class SourceRegistry {
public:
    void store(std::shared_ptr<const SourceTable> table) {
        std::lock_guard lk(m_mutex);
        m_table = std::move(table);
        m_version.fetch_add(1, std::memory_order_release);
    }
    // Valid until this thread calls current() again.
    const SourceTable& current() const {
        struct Cache {
            const SourceRegistry* owner = nullptr;
            uint64_t version = 0;
            std::shared_ptr<const SourceTable> table;
        };
        thread_local Cache cache;
        uint64_t v = m_version.load(std::memory_order_acquire);
        if (cache.owner != this || cache.version != v || !cache.table) {
            std::lock_guard lk(m_mutex);
            cache = {this, m_version.load(std::memory_order_relaxed), m_table};
        }
        return *cache.table;
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const SourceTable> m_table = std::make_shared<const SourceTable>();
    std::atomic<uint64_t> m_version{1};
};

bool is_form_content_type(std::string_view ct) {
    ct = util::trim(ct.substr(0, ct.find(';')));
    return util::iequals(ct, "application/x-www-form-urlencoded");
}

std::string endpoint_text(const tcp::endpoint& ep) {
    auto address = ep.address().to_string();
    return ep.address().is_v6() ? fmt::format("[{}]:{}", address, ep.port()) : fmt::format("{}:{}", address, ep.port());
}

std::string json_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += {'\\', c};
        else if (static_cast<unsigned char>(c) < 0x20)
            out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        else
            out += c;
    }
    return out;
}

// At most one log line per key per interval; says how many were held back.
class LogLimiter {
public:
    // Returns true when this event may be logged; `suppressed` is how many were not since the last.
    bool allow(const std::string& key, uint64_t& suppressed) {
        std::lock_guard lk(m_mutex);
        auto& e = m_entries[key];
        int64_t now = util::now_ms();
        if (e.last_ms != 0 && now - e.last_ms < 10000) {
            ++e.suppressed;
            return false;
        }
        suppressed = e.suppressed;
        e = {now, 0};
        return true;
    }

private:
    struct Entry {
        int64_t last_ms = 0;
        uint64_t suppressed = 0;
    };
    std::mutex m_mutex;
    std::map<std::string, Entry> m_entries;
};

// Sum of the journal files' sizes and the free space of the folder's file system.
void render_journal_gauges(std::string& out, const journal::Writer& w, const Quarantine* q) {
    uint64_t files = 0, bytes = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(w.dir(), ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        if (!journal::file_sequence(it->path().filename().string())) continue;
        std::error_code sec;
        ++files;
        bytes += it->file_size(sec);
    }
    struct statvfs vfs {};
    uint64_t free_bytes = ::statvfs(w.dir().c_str(), &vfs) == 0 ? uint64_t(vfs.f_bavail) * vfs.f_frsize : 0;
    const auto& m = w.metrics();
    out += fmt::format(
        "# HELP bbbhook_journal_healthy 1 when the last journal write succeeded.\n# TYPE bbbhook_journal_healthy "
        "gauge\n"
        "bbbhook_journal_healthy {}\n"
        "# HELP bbbhook_journal_files Journal files in the folder.\n# TYPE bbbhook_journal_files gauge\n"
        "bbbhook_journal_files {}\n"
        "# HELP bbbhook_journal_size_bytes Total size of the journal files.\n# TYPE bbbhook_journal_size_bytes gauge\n"
        "bbbhook_journal_size_bytes {}\n"
        "# HELP bbbhook_journal_free_bytes Free space for the journal folder.\n# TYPE bbbhook_journal_free_bytes "
        "gauge\n"
        "bbbhook_journal_free_bytes {}\n"
        "# HELP bbbhook_journal_records_total Records written.\n# TYPE bbbhook_journal_records_total counter\n"
        "bbbhook_journal_records_total {}\n"
        "# HELP bbbhook_journal_written_bytes_total Bytes written to journal files.\n# TYPE "
        "bbbhook_journal_written_bytes_total counter\n"
        "bbbhook_journal_written_bytes_total {}\n"
        "# HELP bbbhook_journal_write_errors_total Failed journal writes or syncs.\n# TYPE "
        "bbbhook_journal_write_errors_total counter\n"
        "bbbhook_journal_write_errors_total {}\n"
        "# HELP bbbhook_journal_files_sealed_total Journal files rotated and sealed.\n# TYPE "
        "bbbhook_journal_files_sealed_total counter\n"
        "bbbhook_journal_files_sealed_total {}\n",
        w.healthy() ? 1 : 0, files, bytes, free_bytes, m.records.load(), m.bytes.load(), m.write_errors.load(),
        m.files_sealed.load());
    m.sync_seconds.render(out, "bbbhook_journal_sync_seconds", "Time of one write+fdatasync of a batch.");
    m.batch_records.render(out, "bbbhook_journal_batch_records", "Records per group commit.");
    if (q) {
        out += fmt::format("# HELP bbbhook_quarantine_kept_total Requests kept in quarantine.\n# TYPE "
                           "bbbhook_quarantine_kept_total counter\n"
                           "bbbhook_quarantine_kept_total {}\n"
                           "# HELP bbbhook_quarantine_dropped_total Requests not kept: quarantine full or "
                           "unwritable.\n# TYPE bbbhook_quarantine_dropped_total counter\n"
                           "bbbhook_quarantine_dropped_total {}\n"
                           "# HELP bbbhook_quarantine_size_bytes Size of the quarantine folder.\n# TYPE "
                           "bbbhook_quarantine_size_bytes gauge\n"
                           "bbbhook_quarantine_size_bytes {}\n",
                           q->kept(), q->dropped(), q->size_bytes());
    }
}

class Session;

} // namespace

// Shared state of all listeners and connections.
struct CallbackServer::Impl {
    const config::ServeConfig& config;
    journal::Writer& writer;
    Quarantine* quarantine;
    Metrics& metrics;
    SourceRegistry sources;
    Metrics::SourceCounters& no_source_counters;

    // One io_context per thread, each run by exactly that thread; connections are spread over
    // them. Acceptors live on the first.
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::atomic<size_t> next_context{0};
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::vector<config::Endpoint> endpoints;
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<bool> failed{false};
    LogLimiter log_limiter;
    int64_t started_ms = util::now_ms();

    // Live connections, so that a stop can close the idle ones.
    std::mutex sessions_mutex;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

    Impl(const config::ServeConfig& c, journal::Writer& w, Quarantine* q, Metrics& m)
        : config(c), writer(w), quarantine(q), metrics(m), no_source_counters(m.counters("")) {
        for (int i = 0; i < std::max(1, c.threads); ++i) {
            contexts.push_back(std::make_unique<asio::io_context>(1));
            work.push_back(asio::make_work_guard(*contexts.back()));
        }
    }
    asio::io_context& acceptor_context() { return *contexts.front(); }

    void accept(tcp::acceptor& acceptor);
};

namespace {

// One connection: read a request (header, then body), answer it, and repeat while kept alive.
// All of its handlers run on its own strand.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Socket socket, CallbackServer::Impl& server)
        : m_server(server), m_stream(std::move(socket)), m_counters(&server.no_source_counters) {}

    ~Session() {
        std::lock_guard lk(m_server.sessions_mutex);
        m_server.sessions.erase(this);
    }

    void start() {
        {
            std::lock_guard lk(m_server.sessions_mutex);
            m_server.sessions.emplace(this, weak_from_this());
        }
        beast::error_code ec;
        auto peer = m_stream.socket().remote_endpoint(ec);
        if (ec) return close();
        m_remote = endpoint_text(peer); // once per connection, not per request
        m_stream.socket().set_option(tcp::no_delay(true), ec);
        read_header();
    }

    auto executor() { return m_stream.get_executor(); }

    // At shutdown: a connection waiting for a new request is closed; one in the middle of a
    // request finishes it first (on_write then closes it).
    void stop_if_idle() {
        if (m_waiting_for_request && m_buffer.size() == 0 && !(m_parser && m_parser->got_some())) close();
    }

private:
    void read_header() {
        if (m_server.stopping) return close();
        m_parser.emplace();
        m_parser->body_limit(m_server.config.max_body);
        m_parser->header_limit(k_header_limit);
        m_waiting_for_request = true;
        m_stream.expires_after(m_server.config.read_timeout);
        http::async_read_header(m_stream, m_buffer, *m_parser,
                                beast::bind_front_handler(&Session::on_header, shared_from_this()));
    }

    // Errors while reading: nothing to answer when the peer went away or was idle too long.
    bool read_failed(beast::error_code ec) {
        if (!ec) return false;
        if (ec == http::error::body_limit)
            respond(413, fmt::format("request body larger than {}", util::format_size(m_server.config.max_body)),
                    Close::yes);
        else if (ec == http::error::header_limit)
            respond(431, "request header larger than 16 KiB", Close::yes);
        else if (&ec.category() == &http::make_error_code(http::error::end_of_stream).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message)
            respond(400, fmt::format("malformed request: {}", ec.message()), Close::yes);
        else
            close(); // end of stream, reset, timeout, shutdown
        return true;
    }

    void on_header(beast::error_code ec, size_t) {
        m_waiting_for_request = false;
        m_counters = &m_server.no_source_counters;
        if (ec) {
            // The request line is known even when the header is refused (413 on Content-Length):
            // count the answer for its source.
            attribute_to_source();
            read_failed(ec);
            return;
        }
        auto& req = m_parser->get();
        // A client that waits for "100 Continue" gets it, unless the request is refused anyway.
        if (util::iequals(req[http::field::expect], "100-continue")) {
            if (auto early = early_refusal(req)) {
                attribute_to_source();
                return respond(early->first, early->second, Close::yes);
            }
            static const std::string k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
            m_stream.expires_after(k_write_timeout);
            return asio::async_write(m_stream, asio::buffer(k_continue),
                                     [self = shared_from_this()](beast::error_code wec, size_t) {
                                         if (wec) return self->close();
                                         self->m_stream.expires_after(self->m_server.config.read_timeout);
                                         self->read_body();
                                     });
        }
        read_body();
    }

    void attribute_to_source() {
        if (auto target = m_parser->get().target(); !target.empty())
            if (const Source* src = m_server.sources.current().find(bbb::split_callback_target(target).path))
                m_counters = src->counters;
    }

    void read_body() {
        http::async_read(m_stream, m_buffer, *m_parser,
                         beast::bind_front_handler(&Session::on_body, shared_from_this()));
    }

    void on_body(beast::error_code ec, size_t) {
        if (read_failed(ec)) return;
        handle();
    }

    // A refusal that does not need the body (for "Expect: 100-continue"), else nullopt.
    std::optional<std::pair<int, std::string>> early_refusal(const http::request<http::string_body>& req) {
        auto path = bbb::split_callback_target(req.target()).path;
        const Source* src = m_server.sources.current().find(path);
        if (!src) return std::pair{404, std::string("no source is served at this path")};
        if (req.method() != http::verb::post) return std::pair{405, std::string("use POST")};
        if (!is_form_content_type(req[http::field::content_type]))
            return std::pair{415, std::string("Content-Type must be application/x-www-form-urlencoded")};
        return std::nullopt;
    }

    // Routes a complete request. Callbacks are checked in the documented order (server.hpp).
    void handle() {
        int64_t received_ms = util::now_ms();
        auto& req = m_parser->get();
        m_keep_alive = req.keep_alive();
        m_head = req.method() == http::verb::head;
        auto target = bbb::split_callback_target(req.target());
        if (target.path == "/healthz" || target.path == "/metrics") {
            if (req.method() != http::verb::get && req.method() != http::verb::head)
                return respond(405, "use GET", Close::no, "GET, HEAD");
            return target.path == "/healthz" ? answer_health() : answer_metrics();
        }
        const Source* src = m_server.sources.current().find(target.path);
        if (!src) return respond(404, "no source is served at this path");
        m_counters = src->counters;
        if (req.method() != http::verb::post) return respond(405, "use POST", Close::no, "POST");
        if (!is_form_content_type(req[http::field::content_type]))
            return respond(415, "Content-Type must be application/x-www-form-urlencoded");

        // Authenticity (bbb-webhooks.md §3): a 401 makes BBB drop the event, so it is logged and,
        // when enabled, quarantined.
        const std::string& body = req.body();
        bbb::Credentials cred;
        cred.checksum = target.checksum;
        std::string_view authorization = req[http::field::authorization];
        if (!authorization.empty()) cred.bearer = bbb::bearer_token(authorization);
        auto auth = bbb::verify_callback(src->auth, body, cred);
        if (!auth) {
            m_server.metrics.count_auth_failure(src->name, auth.error().kind);
            return reject(*src, 401, auth.error().kind, auth.error().reason, received_ms);
        }
        if (auto form = util::check_form(body, "event"); !form)
            return reject(*src, 400, "form",
                          form.error().offset == body.size() ? form.error().message
                                                             : fmt::format("malformed form body at byte {}: {}",
                                                                           form.error().offset, form.error().message),
                          received_ms);

        // Durable first, answer after: the completion comes from the journal's flusher thread.
        journal::Record record{journal::RecordType::request, auth->method, received_ms, src->name, m_remote,
                               target.without_checksum,      body};
        m_stream.expires_never();
        m_server.writer.append_async(record, [self = shared_from_this()](Result<journal::Position> r) {
            asio::post(self->m_stream.get_executor(), [self, ok = r.has_value()] { self->on_journaled(ok); });
        });
    }

    void on_journaled(bool ok) {
        if (!ok) return respond(503, "the journal cannot be written right now; retry later");
        m_counters->body_bytes.fetch_add(m_parser->get().body().size(), std::memory_order_relaxed);
        if (!m_keep_alive || m_server.stopping) return respond(200, "ok");
        m_counters->count(200);
        m_stream.expires_after(k_write_timeout);
        asio::async_write(m_stream, asio::const_buffer(k_ok_response.data(), k_ok_response.size()),
                          beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void reject(const Source& src, int status, std::string_view kind, const std::string& reason, int64_t received_ms) {
        uint64_t suppressed = 0;
        if (m_server.log_limiter.allow(src.name + "/" + std::string(kind), suppressed))
            spdlog::warn("source {}: {} from {}: {}{}", src.name, status, m_remote, reason,
                         suppressed ? fmt::format(" ({} more like it not logged)", suppressed) : "");
        if (m_server.quarantine) {
            const auto& req = m_parser->get();
            std::vector<std::pair<std::string, std::string>> headers;
            for (const auto& f : req)
                headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            QuarantinedRequest q{src.name,     reason,   m_remote,   req.method_string(),
                                 req.target(), &headers, req.body(), received_ms};
            if (auto st = m_server.quarantine->keep(q); !st) {
                uint64_t s2 = 0;
                if (m_server.log_limiter.allow("quarantine", s2)) spdlog::error("quarantine: {}", st.error().message);
            }
        }
        respond(status, status == 401 ? "authentication failed" : reason);
    }

    void answer_health() {
        bool ok = m_server.writer.healthy() && !m_server.stopping.load();
        std::string body =
            ok ? fmt::format(R"({{"status":"ok","journal":"{}"}})", json_escape(m_server.writer.current_file()))
               : fmt::format(R"({{"status":"unhealthy","error":"{}"}})",
                             json_escape(m_server.stopping.load() ? "shutting down" : m_server.writer.last_error()));
        respond(ok ? 200 : 503, body, Close::no, {}, "application/json");
    }

    void answer_metrics() {
        std::string out = fmt::format(
            "# HELP bbbhook_build_info Version of the running serve.\n# TYPE bbbhook_build_info gauge\n"
            "bbbhook_build_info{{version=\"{}\"}} 1\n"
            "# HELP bbbhook_start_time_seconds Start time of the process.\n# TYPE bbbhook_start_time_seconds gauge\n"
            "bbbhook_start_time_seconds {}\n",
            BBBHOOK_VERSION, m_server.started_ms / 1000);
        m_server.metrics.render(out);
        render_journal_gauges(out, m_server.writer, m_server.quarantine);
        out.pop_back(); // respond() adds the final newline
        respond(200, out, Close::no, {}, "text/plain; version=0.0.4; charset=utf-8");
    }

    enum class Close { no, yes };
    void respond(int status, std::string_view text, Close close_after = Close::no, std::string_view allow = {},
                 std::string_view content_type = "text/plain; charset=utf-8") {
        if (close_after == Close::yes) m_keep_alive = false;
        m_res = {};
        m_res.version(11);
        m_res.result(static_cast<unsigned>(status));
        m_res.set(http::field::content_type, content_type);
        if (!allow.empty()) m_res.set(http::field::allow, allow);
        m_res.body().reserve(text.size() + 1);
        m_res.body().append(text);
        m_res.body() += '\n';
        m_res.keep_alive(m_keep_alive);
        m_res.prepare_payload();
        if (m_head) m_res.body().clear(); // HEAD: the same header, Content-Length included, no body
        m_counters->count(status);
        if (spdlog::should_log(spdlog::level::debug))
            spdlog::debug(
                "{} {} {} -> {}", m_remote, m_parser ? std::string(m_parser->get().method_string()) : "?",
                m_parser ? util::printable(bbb::split_callback_target(m_parser->get().target()).without_checksum) : "?",
                status);
        m_stream.expires_after(k_write_timeout);
        http::async_write(m_stream, m_res, beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, size_t) {
        if (ec || !m_keep_alive || m_server.stopping) return close();
        m_head = false;
        read_header();
    }

    void close() {
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.socket().close(ec);
    }

    CallbackServer::Impl& m_server;
    Stream m_stream;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::response<http::string_body> m_res;
    std::string m_remote;
    Metrics::SourceCounters* m_counters; // of the matched source, or of "no source"
    bool m_waiting_for_request = false;
    bool m_keep_alive = true;
    bool m_head = false;
};

} // namespace

void CallbackServer::Impl::accept(tcp::acceptor& acceptor) {
    auto& target = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(target.get_executor(), [this, &acceptor](beast::error_code ec, Socket socket) {
        if (stopping) return;
        if (ec) {
            // EMFILE and friends: say so (rarely) and try again shortly rather than spin.
            uint64_t suppressed = 0;
            if (log_limiter.allow("accept", suppressed)) spdlog::error("accept: {}", ec.message());
            auto timer = std::make_shared<asio::steady_timer>(acceptor_context(), std::chrono::milliseconds(100));
            timer->async_wait([this, &acceptor, timer](beast::error_code) { accept(acceptor); });
            return;
        }
        std::make_shared<Session>(std::move(socket), *this)->start();
        accept(acceptor);
    });
}

CallbackServer::CallbackServer(const config::ServeConfig& config, journal::Writer& writer, Quarantine* quarantine,
                               Metrics& metrics)
    : m_impl(std::make_unique<Impl>(config, writer, quarantine, metrics)) {}

CallbackServer::~CallbackServer() {
    stop();
}

void CallbackServer::set_sources(const std::vector<config::SourceConfig>& sources) {
    auto table = std::make_shared<SourceTable>();
    for (const auto& s : sources)
        table->by_path.emplace(s.path, Source{s.name, s.auth, &m_impl->metrics.counters(s.name)});
    m_impl->sources.store(std::move(table));
}

Result<std::vector<config::Endpoint>> CallbackServer::bind(const std::vector<config::Endpoint>& endpoints) {
    for (const auto& ep : endpoints) {
        beast::error_code ec;
        tcp::resolver resolver(m_impl->acceptor_context());
        auto results = resolver.resolve(ep.host, std::to_string(ep.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
        if (ec || results.empty())
            return make_error(ExitCode::unavailable,
                              fmt::format("cannot listen on {}: {}", ep.text(), ec ? ec.message() : "no such address"));
        tcp::endpoint where = results.begin()->endpoint();
        auto acceptor = std::make_unique<tcp::acceptor>(m_impl->acceptor_context());
        // No SO_REUSEPORT: a second serve must fail on a busy address, not share its traffic.
        acceptor->open(where.protocol(), ec);
        if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor->bind(where, ec);
        if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            return make_error(ExitCode::unavailable, fmt::format("cannot listen on {}: {}", ep.text(), ec.message()));
        config::Endpoint bound = ep;
        bound.port = acceptor->local_endpoint().port();
        m_impl->endpoints.push_back(bound);
        m_impl->acceptors.push_back(std::move(acceptor));
    }
    return m_impl->endpoints;
}

void CallbackServer::start() {
    for (auto& acceptor : m_impl->acceptors)
        m_impl->accept(*acceptor);
    for (auto& context : m_impl->contexts)
        m_impl->threads.emplace_back([ioc = context.get()] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (const std::exception& e) {
                    // A handler threw: log it and keep serving the other connections.
                    spdlog::error("serve: unexpected error in a connection: {}", e.what());
                }
            }
        });
}

void CallbackServer::stop() {
    if (m_impl->threads.empty()) return;
    m_impl->stopping = true;
    // 1. No new connections.
    asio::post(m_impl->acceptor_context(), [this] {
        for (auto& a : m_impl->acceptors) {
            beast::error_code ec;
            a->close(ec);
        }
    });
    // 2. Idle connections are closed; busy ones finish their request, then close.
    {
        std::lock_guard lk(m_impl->sessions_mutex);
        for (auto& [raw, weak] : m_impl->sessions)
            if (auto s = weak.lock()) asio::post(s->executor(), [s] { s->stop_if_idle(); });
    }
    // 3. Wait for the last connection (bounded by the read and write timeouts), then stop.
    auto deadline =
        std::chrono::steady_clock::now() + m_impl->config.read_timeout + k_write_timeout + std::chrono::seconds(5);
    for (;;) {
        {
            std::lock_guard lk(m_impl->sessions_mutex);
            if (m_impl->sessions.empty()) break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            spdlog::warn("serve: connections still open at shutdown; closing them");
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_impl->work.clear();
    for (auto& context : m_impl->contexts)
        context->stop();
    for (auto& t : m_impl->threads)
        if (t.joinable()) t.join();
    m_impl->threads.clear();
}

bool CallbackServer::listener_failed() const {
    return m_impl->failed.load();
}

} // namespace bbbhook::serve
