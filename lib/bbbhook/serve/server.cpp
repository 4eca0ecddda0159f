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
using Timer =
    asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Executor>;

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

// Sum of the journal files' sizes (with the zeros prepared ahead in the current file) and the free
// space of the folder's file system.
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
        "bbbhook_journal_files_sealed_total {}\n"
        "# HELP bbbhook_journal_files_from_spares_total Journal files started from a spare prepared with zeros.\n"
        "# TYPE bbbhook_journal_files_from_spares_total counter\n"
        "bbbhook_journal_files_from_spares_total {}\n"
        "# HELP bbbhook_journal_spare_ready 1 when a spare file waits for the next rotation.\n"
        "# TYPE bbbhook_journal_spare_ready gauge\n"
        "bbbhook_journal_spare_ready {}\n",
        w.healthy() ? 1 : 0, files, bytes, free_bytes, m.records.load(), m.bytes.load(), m.write_errors.load(),
        m.files_sealed.load(), m.files_from_spares.load(), w.spare_ready() ? 1 : 0);
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

// Beast's HTTP/1 request parser, keeping only what serve needs, in buffers owned by the
// connection: after the first request, parsing the next one allocates nothing.
struct RequestParts {
    http::verb method = http::verb::unknown;
    std::string method_text, target, content_type, authorization, expect, body;
    std::string header_text; // every field as name '\0' value '\0', for the quarantine

    void clear() {
        method = http::verb::unknown;
        for (auto* s : {&method_text, &target, &content_type, &authorization, &expect, &body, &header_text})
            s->clear();
    }
    std::vector<std::pair<std::string, std::string>> headers() const {
        std::vector<std::pair<std::string, std::string>> out;
        std::string_view rest = header_text;
        while (!rest.empty()) {
            size_t a = rest.find('\0'), b = rest.find('\0', a + 1);
            out.emplace_back(rest.substr(0, a), rest.substr(a + 1, b - a - 1));
            rest.remove_prefix(b + 1);
        }
        return out;
    }
};

class RequestParser final : public http::basic_parser<true> {
public:
    RequestParser(RequestParts& parts, uint64_t max_body) : m_parts(parts) {
        m_parts.clear();
        body_limit(max_body);
        header_limit(k_header_limit);
        eager(true);
    }

private:
    void on_request_impl(http::verb method, std::string_view method_text, std::string_view target, int,
                         beast::error_code&) override {
        m_parts.method = method;
        m_parts.method_text = method_text;
        m_parts.target = target;
    }
    void on_response_impl(int, std::string_view, int, beast::error_code& ec) override {
        ec = http::error::bad_version; // never called for a request parser
    }
    void on_field_impl(http::field field, std::string_view name, std::string_view value, beast::error_code&) override {
        // The first of repeated fields counts, as with Beast's own request containers.
        auto keep = [&](std::string& into) {
            if (into.empty()) into = value;
        };
        if (field == http::field::content_type)
            keep(m_parts.content_type);
        else if (field == http::field::authorization)
            keep(m_parts.authorization);
        else if (field == http::field::expect)
            keep(m_parts.expect);
        m_parts.header_text.append(name).append(1, '\0').append(value).append(1, '\0');
    }
    void on_header_impl(beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<uint64_t>& length, beast::error_code&) override {
        if (length) m_parts.body.reserve(static_cast<size_t>(*length)); // within body_limit
    }
    size_t on_body_impl(std::string_view bytes, beast::error_code&) override {
        m_parts.body.append(bytes);
        return bytes.size();
    }
    void on_chunk_header_impl(uint64_t, std::string_view, beast::error_code&) override {}
    size_t on_chunk_body_impl(uint64_t, std::string_view bytes, beast::error_code&) override {
        m_parts.body.append(bytes);
        return bytes.size();
    }
    void on_finish_impl(beast::error_code&) override {}

    RequestParts& m_parts;
};

// One connection: read a request, answer it, and repeat while kept alive. All of its handlers
// run on its io_context's single thread.
//
// The hot path makes no asynchronous call that it can avoid: the socket is non-blocking, bytes
// are received and answers sent directly, and the connection waits for readiness only when the
// socket would block (reading until EAGAIN first, as edge-triggered epoll needs). Timeouts are
// one timer per connection, re-armed lazily: moving the deadline is a store, not a timer-queue
// operation.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Socket socket, CallbackServer::Impl& server)
        : m_server(server), m_socket(std::move(socket)), m_timer(m_socket.get_executor()),
          m_counters(&server.no_source_counters) {}

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
        auto peer = m_socket.remote_endpoint(ec);
        if (!ec) m_socket.set_option(tcp::no_delay(true), ec);
        if (!ec) m_socket.non_blocking(true, ec);
        if (ec) return close();
        m_remote = endpoint_text(peer); // once per connection, not per request
        begin_request();
        arm_timer();
    }

    auto executor() { return m_socket.get_executor(); }

    // At shutdown: a connection waiting for a new request is closed; one in the middle of a
    // request finishes it first (after_write then closes it).
    void stop_if_idle() {
        if (!m_header_seen && m_buffer.size() == 0 && !(m_parser && m_parser->got_some())) close();
    }

private:
    using Clock = std::chrono::steady_clock;

    void set_deadline(Clock::duration d) { m_deadline = Clock::now() + d; }

    void arm_timer() {
        if (m_closed) return;
        auto next = m_deadline == Clock::time_point::max() ? Clock::now() + m_server.config.read_timeout : m_deadline;
        m_timer.expires_at(next);
        m_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || self->m_closed) return;
            if (Clock::now() >= self->m_deadline) return self->close(); // idle, or too slow
            self->arm_timer();
        });
    }

    void begin_request() {
        if (m_server.stopping) return close();
        m_parser.emplace(m_parts, m_server.config.max_body);
        m_header_seen = false;
        m_head = false;
        set_deadline(m_server.config.read_timeout);
        read_more();
    }

    // Parses what is buffered and receives more until a request is complete (or the socket
    // would block, or the request failed).
    void read_more() {
        for (;;) {
            if (m_buffer.size() > 0 && !parse()) return;
            beast::error_code ec;
            size_t n = m_socket.read_some(m_buffer.prepare(k_read_size), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) {
                m_socket.async_wait(Socket::wait_read, [self = shared_from_this()](beast::error_code wec) {
                    if (wec || self->m_closed) return self->close();
                    self->read_more();
                });
                return;
            }
            if (ec) return close(); // end of stream (also in the middle of a request), reset
            m_buffer.commit(n);
        }
    }

    // Returns true when more bytes are needed; false when the request moved on (answered,
    // being journaled, refused, or the connection closed).
    bool parse() {
        beast::error_code ec;
        m_buffer.consume(m_parser->put(m_buffer.data(), ec));
        if (ec == http::error::need_more) ec = {};
        if (ec) {
            // The request line is known even when the header is refused (413 on Content-Length):
            // count the answer for its source.
            attribute_to_source();
            refuse_malformed(ec);
            return false;
        }
        if (!m_header_seen && m_parser->is_header_done()) {
            m_header_seen = true;
            m_counters = &m_server.no_source_counters;
            if (!m_parser->is_done() && util::iequals(m_parts.expect, "100-continue")) {
                // A client that waits for "100 Continue" gets it, unless the request is refused anyway.
                if (auto early = early_refusal()) {
                    attribute_to_source();
                    respond(early->first, early->second, Close::yes);
                    return false;
                }
                static const std::string k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
                set_deadline(k_write_timeout);
                asio::async_write(m_socket, asio::buffer(k_continue),
                                  [self = shared_from_this()](beast::error_code wec, size_t) {
                                      if (wec) return self->close();
                                      self->set_deadline(self->m_server.config.read_timeout);
                                      self->read_more();
                                  });
                return false;
            }
        }
        if (m_parser->is_done()) {
            handle();
            return false;
        }
        return true;
    }

    void refuse_malformed(beast::error_code ec) {
        if (ec == http::error::body_limit)
            respond(413, fmt::format("request body larger than {}", util::format_size(m_server.config.max_body)),
                    Close::yes);
        else if (ec == http::error::header_limit)
            respond(431, "request header larger than 16 KiB", Close::yes);
        else
            respond(400, fmt::format("malformed request: {}", ec.message()), Close::yes);
    }

    void attribute_to_source() {
        if (!m_parts.target.empty())
            if (const Source* src = m_server.sources.current().find(bbb::split_callback_target(m_parts.target).path))
                m_counters = src->counters;
    }

    // A refusal that does not need the body (for "Expect: 100-continue"), else nullopt.
    std::optional<std::pair<int, std::string>> early_refusal() {
        auto path = bbb::split_callback_target(m_parts.target).path;
        const Source* src = m_server.sources.current().find(path);
        if (!src) return std::pair{404, std::string("no source is served at this path")};
        if (m_parts.method != http::verb::post) return std::pair{405, std::string("use POST")};
        if (!is_form_content_type(m_parts.content_type))
            return std::pair{415, std::string("Content-Type must be application/x-www-form-urlencoded")};
        return std::nullopt;
    }

    // Routes a complete request. Callbacks are checked in the documented order (server.hpp).
    void handle() {
        int64_t received_ms = util::now_ms();
        m_keep_alive = m_parser->keep_alive();
        m_head = m_parts.method == http::verb::head;
        auto target = bbb::split_callback_target(m_parts.target);
        if (target.path == "/healthz" || target.path == "/metrics") {
            if (m_parts.method != http::verb::get && m_parts.method != http::verb::head)
                return respond(405, "use GET", Close::no, "GET, HEAD");
            return target.path == "/healthz" ? answer_health() : answer_metrics();
        }
        const Source* src = m_server.sources.current().find(target.path);
        if (!src) return respond(404, "no source is served at this path");
        m_counters = src->counters;
        if (m_parts.method != http::verb::post) return respond(405, "use POST", Close::no, "POST");
        if (!is_form_content_type(m_parts.content_type))
            return respond(415, "Content-Type must be application/x-www-form-urlencoded");

        // Authenticity (bbb-webhooks.md §3): a 401 makes BBB drop the event, so it is logged and,
        // when enabled, quarantined.
        const std::string& body = m_parts.body;
        bbb::Credentials cred;
        cred.checksum = target.checksum;
        if (!m_parts.authorization.empty()) cred.bearer = bbb::bearer_token(m_parts.authorization);
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
        m_deadline = Clock::time_point::max();
        m_server.writer.append_async(record, [self = shared_from_this()](Result<journal::Position> r) {
            asio::post(self->executor(), [self, ok = r.has_value()] { self->on_journaled(ok); });
        });
    }

    void on_journaled(bool ok) {
        if (m_closed) return;
        if (!ok) return respond(503, "the journal cannot be written right now; retry later");
        m_counters->body_bytes.fetch_add(m_parts.body.size(), std::memory_order_relaxed);
        if (!m_keep_alive || m_server.stopping) return respond(200, "ok");
        m_counters->count(200);
        // Sent directly: a fresh socket buffer takes the whole answer; a full one finishes it
        // asynchronously.
        beast::error_code ec;
        size_t n = m_socket.write_some(asio::const_buffer(k_ok_response.data(), k_ok_response.size()), ec);
        if (!ec && n == k_ok_response.size()) return after_write();
        if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return close();
        if (ec) n = 0;
        set_deadline(k_write_timeout);
        asio::async_write(m_socket, asio::const_buffer(k_ok_response.data() + n, k_ok_response.size() - n),
                          [self = shared_from_this()](beast::error_code wec, size_t) { self->on_write(wec); });
    }

    void reject(const Source& src, int status, std::string_view kind, const std::string& reason, int64_t received_ms) {
        uint64_t suppressed = 0;
        if (m_server.log_limiter.allow(src.name + "/" + std::string(kind), suppressed))
            spdlog::warn("source {}: {} from {}: {}{}", src.name, status, m_remote, reason,
                         suppressed ? fmt::format(" ({} more like it not logged)", suppressed) : "");
        if (m_server.quarantine) {
            auto headers = m_parts.headers();
            QuarantinedRequest q{src.name,       reason,   m_remote,     m_parts.method_text,
                                 m_parts.target, &headers, m_parts.body, received_ms};
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

    // Every answer but the preformatted 200, through Beast's serializer. Its completion always
    // runs later from the event loop, so answering many pipelined bad requests does not recurse.
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
            spdlog::debug("{} {} {} -> {}", m_remote, m_parts.method_text.empty() ? "?" : m_parts.method_text,
                          util::printable(bbb::split_callback_target(m_parts.target).without_checksum), status);
        set_deadline(k_write_timeout);
        http::async_write(m_socket, m_res,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
        if (ec) return close();
        after_write();
    }

    void after_write() {
        if (!m_keep_alive || m_server.stopping) return close();
        begin_request();
    }

    void close() {
        if (m_closed) return;
        m_closed = true;
        m_timer.cancel();
        beast::error_code ec;
        m_socket.shutdown(tcp::socket::shutdown_both, ec);
        m_socket.close(ec);
    }

    static constexpr size_t k_read_size = 16 * 1024;

    CallbackServer::Impl& m_server;
    Socket m_socket;
    Timer m_timer;
    Clock::time_point m_deadline = Clock::time_point::max();
    beast::flat_buffer m_buffer;
    RequestParts m_parts;
    std::optional<RequestParser> m_parser;
    http::response<http::string_body> m_res;
    std::string m_remote;
    Metrics::SourceCounters* m_counters; // of the matched source, or of "no source"
    bool m_header_seen = false;          // of the current request; false while waiting for one
    bool m_keep_alive = true;
    bool m_head = false;
    bool m_closed = false;
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
