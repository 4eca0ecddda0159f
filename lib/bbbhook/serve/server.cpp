#include "bbbhook/serve/server.hpp"

#include <atomic>
#include <cerrno>
#include <fmt/format.h>
#include <httplib.h>
#include <map>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <thread>
#include <unordered_map>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/util/form.hpp"
#include "bbbhook/util/text.hpp"
#include "bbbhook/util/time.hpp"

#ifndef BBBHOOK_VERSION
#define BBBHOOK_VERSION "unknown"
#endif

namespace bbbhook::serve {

namespace {

// httplib listens with a backlog of 5, too small for a burst of callbacks; listen(2) may be
// called again on a listening socket to raise it, which needs the protected socket.
class HttpServer : public httplib::Server {
public:
    void raise_backlog() {
        if (svr_sock_ != INVALID_SOCKET) ::listen(svr_sock_, SOMAXCONN);
    }
};

struct Source {
    std::string name;
    bbb::SourceAuth auth;
};

// Immutable once built; replaced as a whole on reload.
struct SourceTable {
    std::unordered_map<std::string, Source> by_path;
    const Source* find(std::string_view path) const {
        auto it = by_path.find(std::string(path));
        return it == by_path.end() ? nullptr : &it->second;
    }
};

void reply(httplib::Response& res, int status, std::string_view text, std::string_view allow = {}) {
    res.status = status;
    res.set_content(std::string(text) + "\n", "text/plain; charset=utf-8");
    if (!allow.empty()) res.set_header("Allow", std::string(allow));
}

bool is_form_content_type(std::string_view ct) {
    ct = util::trim(ct.substr(0, ct.find(';')));
    return util::iequals(ct, "application/x-www-form-urlencoded");
}

std::string remote_of(const httplib::Request& req) {
    return req.remote_addr.find(':') != std::string::npos ? fmt::format("[{}]:{}", req.remote_addr, req.remote_port)
                                                          : fmt::format("{}:{}", req.remote_addr, req.remote_port);
}

std::string_view path_of(const httplib::Request& req) {
    std::string_view t = req.target;
    return t.substr(0, t.find('?'));
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

} // namespace

struct CallbackServer::Impl {
    const config::ServeConfig& config;
    journal::Writer& writer;
    Quarantine* quarantine;
    Metrics& metrics;
    std::atomic<std::shared_ptr<const SourceTable>> sources{std::make_shared<const SourceTable>()};
    std::vector<std::unique_ptr<HttpServer>> servers;
    std::vector<config::Endpoint> endpoints;
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<bool> failed{false};
    LogLimiter log_limiter;
    int64_t started_ms = util::now_ms();

    Impl(const config::ServeConfig& c, journal::Writer& w, Quarantine* q, Metrics& m)
        : config(c), writer(w), quarantine(q), metrics(m) {}

    void reject(const httplib::Request& req, httplib::Response& res, const Source& src, int status,
                std::string_view kind, const std::string& reason, int64_t received_ms) {
        uint64_t suppressed = 0;
        if (log_limiter.allow(src.name + "/" + std::string(kind), suppressed))
            spdlog::warn("source {}: {} from {}: {}{}", src.name, status, remote_of(req), reason,
                         suppressed ? fmt::format(" ({} more like it not logged)", suppressed) : "");
        if (quarantine) {
            std::vector<std::pair<std::string, std::string>> headers;
            for (const auto& [k, v] : req.headers)
                if (k != "REMOTE_ADDR" && k != "REMOTE_PORT" && k != "LOCAL_ADDR" && k != "LOCAL_PORT")
                    headers.emplace_back(k, v);
            std::string remote = remote_of(req);
            QuarantinedRequest q{src.name, reason, remote, req.method, req.target, &headers, req.body, received_ms};
            if (auto st = quarantine->keep(q); !st) {
                uint64_t s2 = 0;
                if (log_limiter.allow("quarantine", s2)) spdlog::error("quarantine: {}", st.error().message);
            }
        }
        reply(res, status, status == 401 ? "authentication failed" : reason);
    }

    void handle_post(const httplib::Request& req, httplib::Response& res) {
        int64_t received_ms = util::now_ms();
        auto target = bbb::split_callback_target(req.target);
        if (target.path == "/healthz" || target.path == "/metrics") return reply(res, 405, "use GET", "GET, HEAD");
        auto table = sources.load();
        const Source* src = table->find(target.path);
        if (!src) return reply(res, 404, "no source is served at this path");
        if (!is_form_content_type(req.get_header_value("Content-Type")))
            return reply(res, 415, "Content-Type must be application/x-www-form-urlencoded");

        // Authenticity (bbb-webhooks.md §3): a 401 makes BBB drop the event, so it is logged and,
        // when enabled, quarantined.
        bbb::Credentials cred;
        cred.checksum = target.checksum;
        std::string authorization = req.get_header_value("Authorization");
        if (!authorization.empty()) cred.bearer = bbb::bearer_token(authorization);
        auto auth = bbb::verify_callback(src->auth, req.body, cred);
        if (!auth) {
            metrics.count_auth_failure(src->name, auth.error().kind);
            return reject(req, res, *src, 401, auth.error().kind, auth.error().reason, received_ms);
        }

        auto fields = util::parse_form(req.body);
        if (!fields)
            return reject(
                req, res, *src, 400, "form",
                fmt::format("malformed form body at byte {}: {}", fields.error().offset, fields.error().message),
                received_ms);
        if (!util::form_value(*fields, "event"))
            return reject(req, res, *src, 400, "form", "the form has no 'event' field", received_ms);

        std::string remote = remote_of(req);
        journal::Record record{journal::RecordType::request, auth->method, received_ms, src->name, remote,
                               target.without_checksum,      req.body};
        if (auto pos = writer.append(record); !pos)
            return reply(res, 503, "the journal cannot be written right now; retry later");
        metrics.count_body_bytes(src->name, req.body.size());
        reply(res, 200, "ok");
    }

    void handle_get(const httplib::Request& req, httplib::Response& res) {
        std::string_view path = path_of(req);
        if (path == "/healthz") {
            bool ok = writer.healthy() && !stopping.load();
            answer_health(res, ok);
            return;
        }
        if (path == "/metrics") {
            std::string out;
            out +=
                fmt::format("# HELP bbbhook_build_info Version of the running serve.\n# TYPE bbbhook_build_info gauge\n"
                            "bbbhook_build_info{{version=\"{}\"}} 1\n"
                            "# HELP bbbhook_start_time_seconds Start time of the process.\n# TYPE "
                            "bbbhook_start_time_seconds gauge\n"
                            "bbbhook_start_time_seconds {}\n",
                            BBBHOOK_VERSION, started_ms / 1000);
            metrics.render(out);
            render_journal_gauges(out, writer, quarantine);
            res.status = 200;
            res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
            return;
        }
        handle_other(req, res);
    }

    // The health answer as a one-line JSON object. The error text comes from errno messages and
    // file names, which are escaped for JSON.
    void answer_health(httplib::Response& res, bool ok) {
        std::string body;
        if (ok)
            body = fmt::format(R"({{"status":"ok","journal":"{}"}})", json_escape(writer.current_file()));
        else
            body = fmt::format(R"({{"status":"unhealthy","error":"{}"}})",
                               json_escape(stopping.load() ? "shutting down" : writer.last_error()));
        res.status = ok ? 200 : 503;
        res.set_content(body + "\n", "application/json");
    }

    static std::string json_escape(std::string_view s) {
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

    // Any method other than POST on a source path, or than GET/HEAD on /healthz and /metrics.
    void handle_other(const httplib::Request& req, httplib::Response& res) {
        std::string_view path = path_of(req);
        if (path == "/healthz" || path == "/metrics") return reply(res, 405, "use GET", "GET, HEAD");
        if (sources.load()->find(path)) return reply(res, 405, "use POST", "POST");
        reply(res, 404, "no source is served at this path");
    }

    void configure(httplib::Server& svr) {
        int n_threads = config.threads;
        svr.new_task_queue = [n_threads] { return new httplib::ThreadPool(static_cast<size_t>(n_threads)); };
        svr.set_payload_max_length(config.max_body);
        svr.set_keep_alive_max_count(10000);
        svr.set_keep_alive_timeout(5);
        auto rt = config.read_timeout.count();
        svr.set_read_timeout(rt / 1000, (rt % 1000) * 1000);
        svr.set_write_timeout(10, 0);
        svr.set_tcp_nodelay(true);
        // httplib's default also sets SO_REUSEPORT, which would let a second serve bind the same
        // address and silently share the traffic: only SO_REUSEADDR (fast restarts) is wanted.
        svr.set_socket_options([](int sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        });
        svr.Post(".*", [this](const httplib::Request& req, httplib::Response& res) { handle_post(req, res); });
        svr.Get(".*", [this](const httplib::Request& req, httplib::Response& res) { handle_get(req, res); });
        auto other = [this](const httplib::Request& req, httplib::Response& res) { handle_other(req, res); };
        svr.Put(".*", other);
        svr.Patch(".*", other);
        svr.Delete(".*", other);
        svr.Options(".*", other);
        // Answers httplib produces itself (413, 400, 414) get a body that says why.
        svr.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty()) return;
            if (res.status == 413)
                reply(res, 413, fmt::format("request body larger than {}", util::format_size(config.max_body)));
            else
                reply(res, res.status, res.status == 414 ? "request target too long" : "bad request");
        });
        svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
            const Source* src = sources.load()->find(path_of(req));
            metrics.count_request(src ? std::string_view(src->name) : std::string_view(), res.status);
            spdlog::debug("{} {} {} -> {}", remote_of(req), req.method,
                          util::printable(bbb::split_callback_target(req.target).without_checksum), res.status);
        });
    }
};

CallbackServer::CallbackServer(const config::ServeConfig& config, journal::Writer& writer, Quarantine* quarantine,
                               Metrics& metrics)
    : m_impl(std::make_unique<Impl>(config, writer, quarantine, metrics)) {}

CallbackServer::~CallbackServer() {
    stop();
}

void CallbackServer::set_sources(const std::vector<config::SourceConfig>& sources) {
    auto table = std::make_shared<SourceTable>();
    for (const auto& s : sources)
        table->by_path.emplace(s.path, Source{s.name, s.auth});
    m_impl->sources.store(std::move(table));
}

Result<std::vector<config::Endpoint>> CallbackServer::bind(const std::vector<config::Endpoint>& endpoints) {
    for (const auto& ep : endpoints) {
        auto svr = std::make_unique<HttpServer>();
        m_impl->configure(*svr);
        errno = 0;
        config::Endpoint bound = ep;
        if (ep.port == 0) {
            bound.port = svr->bind_to_any_port(ep.host);
            if (bound.port <= 0) bound.port = -1;
        } else if (!svr->bind_to_port(ep.host, ep.port)) {
            bound.port = -1;
        }
        if (bound.port < 0) {
            int err = errno;
            return make_error(ExitCode::unavailable, fmt::format("cannot listen on {}: {}", ep.text(),
                                                                 err ? errno_message(err) : "address not available"));
        }
        svr->raise_backlog();
        m_impl->servers.push_back(std::move(svr));
        m_impl->endpoints.push_back(bound);
    }
    return m_impl->endpoints;
}

void CallbackServer::start() {
    for (size_t i = 0; i < m_impl->servers.size(); ++i) {
        m_impl->threads.emplace_back([this, i] {
            auto& svr = *m_impl->servers[i];
            if (!svr.listen_after_bind() && !m_impl->stopping.load()) {
                spdlog::error("listener {} stopped unexpectedly", m_impl->endpoints[i].text());
                m_impl->failed = true;
            }
        });
    }
}

void CallbackServer::stop() {
    m_impl->stopping = true;
    for (auto& svr : m_impl->servers)
        svr->stop();
    for (auto& t : m_impl->threads)
        if (t.joinable()) t.join();
    m_impl->threads.clear();
}

bool CallbackServer::listener_failed() const {
    return m_impl->failed.load();
}

} // namespace bbbhook::serve
