#include "bbbhook/simulate/simulate.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bbbhook/bbb/callback_auth.hpp"
#include "bbbhook/journal/writer.hpp"
#include "bbbhook/util/fd.hpp"
#include "bbbhook/util/http_client.hpp"
#include "bbbhook/util/text.hpp"
#include "bbbhook/util/time.hpp"

namespace bbbhook::simulate {

namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

bool is_http_url(std::string_view url) {
    return util::istarts_with(url, "http://") || util::istarts_with(url, "https://");
}

Status validate_post(const SimulateOptions& o) {
    if (!is_http_url(o.post_url)) return make_error(ExitCode::usage, "--post: expected an http:// or https:// URL");
    if (o.secret.empty() == o.secret_file.empty())
        return make_error(ExitCode::usage, "--post needs the shared secret: give --secret or --secret-file");
    if (!o.callback_url.empty() && o.auth != PostAuth::checksum)
        return make_error(ExitCode::usage, "--callback-url only applies to --auth checksum");
    if (!o.callback_url.empty() && !is_http_url(o.callback_url))
        return make_error(ExitCode::usage, "--callback-url: expected an http:// or https:// URL");
    if (o.concurrency < 1 || o.concurrency > 256)
        return make_error(ExitCode::usage, "--concurrency: expected 1 to 256");
    return {};
}

std::string read_secret(const SimulateOptions& o) {
    if (!o.secret.empty()) return o.secret;
    auto content = value_or_throw(util::read_file(o.secret_file));
    std::string secret(util::trim(content));
    if (secret.empty())
        throw Failure(ExitCode::usage, fmt::format("--secret-file {} is empty", o.secret_file.string()));
    return secret;
}

// ---------------------------------------------------------------------------------------------
// Progress on a terminal: "callbacks done/total", about once a second
// ---------------------------------------------------------------------------------------------

class Progress {
public:
    explicit Progress(const GeneratorOptions& options) : m_enabled(::isatty(STDERR_FILENO) == 1) {
        if (!m_enabled) return;
        // The generator is deterministic and fast: a dry run gives the exact total.
        Generator dry(options);
        while (dry.next())
            ++m_total;
    }
    ~Progress() { finish(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(uint64_t done) {
        if (!m_enabled) return;
        int64_t now = util::monotonic_ns();
        if (now - m_last_ns < 1'000'000'000) return;
        m_last_ns = now;
        std::fprintf(stderr, "\rsimulate: %llu/%llu callbacks\033[K", static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(m_total));
        std::fflush(stderr);
    }
    void finish() {
        if (m_enabled && m_last_ns) std::fputs("\r\033[K", stderr);
        m_last_ns = 0;
    }

private:
    bool m_enabled;
    uint64_t m_total = 0;
    int64_t m_last_ns = 0;
};

// "3 meetings", "1 meeting".
std::string count(uint64_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// "simulated 20 meetings (5 breakout rooms, 2 crashed, 1 room reused) on 3 servers, 609
// connections of 358 people: 4295 callbacks (49 duplicates, 33 reordered)"
std::string describe(const Summary& s, int servers) {
    return fmt::format(
        "simulated {} ({}, {} crashed, {} reused) on {}, {} of {}: {} ({}, {} reordered)",
        count(s.meetings, "meeting", "meetings"), count(s.breakouts, "breakout room", "breakout rooms"), s.crashed,
        count(s.reused, "room", "rooms"), count(static_cast<uint64_t>(servers), "server", "servers"),
        count(s.connections, "connection", "connections"), count(s.people, "person", "people"),
        count(s.callbacks, "callback", "callbacks"), count(s.duplicates, "duplicate", "duplicates"), s.reordered);
}

void print_stats(const Summary& s) {
    for (const auto& [id, n] : s.events)
        std::printf("  %-28s %llu\n", id.c_str(), static_cast<unsigned long long>(n));
}

// ---------------------------------------------------------------------------------------------
// Journal output
// ---------------------------------------------------------------------------------------------

// Completions of append_async, and a bound on how far generation may run ahead of the writer.
class InFlight {
public:
    void wait_below(uint64_t limit) {
        std::unique_lock lk(m_mutex);
        if (m_pending >= limit) {
            m_waiting = true;
            m_cv.wait(lk, [&] { return m_pending < limit / 2; });
            m_waiting = false;
        }
        ++m_pending;
    }
    void done(const Result<journal::Position>& r) {
        std::lock_guard lk(m_mutex);
        --m_pending;
        if (!r && m_error.empty()) m_error = r.error().message;
        if (m_waiting) m_cv.notify_all(); // only wake the generator when it waits
    }
    // The first write error, once every append has completed.
    std::string wait_all() {
        std::unique_lock lk(m_mutex);
        m_waiting = true;
        m_cv.wait(lk, [&] { return m_pending == 0; });
        m_waiting = false;
        return m_error;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    uint64_t m_pending = 0;
    bool m_waiting = false;
    std::string m_error;
};

void write_journal(const SimulateOptions& o) {
    // Speed over durability: a simulation can be run again.
    journal::WriterOptions wo;
    wo.dir = o.journal_dir;
    wo.durability = journal::Durability::none;
    InFlight flight; // outlives the writer, whose close() may still call completions
    auto writer = value_or_throw(journal::Writer::open(wo));
    std::vector<std::string> sources, targets;
    for (int i = 1; i <= o.generator.servers; ++i) {
        sources.push_back(fmt::format("sim-{}", i));
        targets.push_back(fmt::format("/bbb/sim-{}", i));
    }

    Progress progress(o.generator);
    Generator generator(o.generator);
    uint64_t done = 0;
    while (auto cb = generator.next()) {
        auto i = static_cast<size_t>(cb->server_index - 1);
        journal::Record r{journal::RecordType::request,
                          bbb::AuthMethod::none,
                          cb->received_ms,
                          sources[i],
                          "127.0.0.1:0",
                          targets[i],
                          cb->body};
        flight.wait_below(1 << 16);
        writer->append_async(r, [&flight](Result<journal::Position> res) { flight.done(res); });
        progress.update(++done);
    }
    writer->close();
    std::string error = flight.wait_all();
    progress.finish();
    if (!error.empty()) throw Failure(ExitCode::io, fmt::format("writing the journal: {}", error));

    std::printf("%s, written to %s\n", describe(generator.summary(), o.generator.servers).c_str(),
                o.journal_dir.c_str());
    if (o.stats) print_stats(generator.summary());
}

// ---------------------------------------------------------------------------------------------
// Live output: POSTs like bbb-webhooks' callback emitter, over libcurl
// ---------------------------------------------------------------------------------------------

struct Target {
    std::string url;
    std::string callback_url; // what the checksum covers
    std::string secret;
    PostAuth auth = PostAuth::bearer;
};

// The answers of a run, by HTTP status; 0 = no answer (connection failed or timed out).
struct Answers {
    std::map<long, uint64_t> by_status;
    std::string unreachable; // the connection error that ended the run, if any

    void merge(const Answers& other) {
        for (const auto& [status, n] : other.by_status)
            by_status[status] += n;
        if (unreachable.empty()) unreachable = other.unreachable;
    }
    uint64_t ok() const {
        uint64_t n = 0;
        for (const auto& [status, count] : by_status)
            n += (status >= 200 && status < 300) ? count : 0;
        return n;
    }
    uint64_t total() const {
        uint64_t n = 0;
        for (const auto& [status, count] : by_status)
            n += count;
        return n;
    }
};

// One keep-alive connection POSTing callbacks one at a time, with bbb-webhooks' headers.
class Poster {
public:
    explicit Poster(const Target& target) : m_target(target), m_client(options(target)) {}

    // POSTs one body, retrying connection failures and 5xx answers after 100, 500, 1000, 2000
    // and 4000 ms (the start of bbb-webhooks' schedule). Returns the last status, 0 if the
    // server never answered (then error() says why).
    long post(const std::string& body) {
        std::string url = m_target.url;
        if (m_target.auth == PostAuth::checksum) {
            url += m_target.url.find('?') == std::string::npos ? "?checksum=" : "&checksum=";
            url += bbb::checksum_v34(util::HashAlg::sha1, m_target.callback_url, body, m_target.secret);
        }
        static constexpr std::chrono::milliseconds k_backoff[] = {100ms, 500ms, 1000ms, 2000ms, 4000ms};
        long status = attempt(url, body);
        for (auto wait : k_backoff) {
            if (status != 0 && status < 500) break;
            std::this_thread::sleep_for(wait);
            status = attempt(url, body);
        }
        return status;
    }
    const std::string& error() const { return m_last_error; }

private:
    static util::HttpOptions options(const Target& target) {
        util::HttpOptions o;
        o.user_agent = "bbbhook-simulate";
        o.connect_timeout = 3000ms;
        o.timeout = 5000ms; // bbb-webhooks' requestTimeout
        // "Expect:" stops curl from waiting for 100-continue.
        o.headers = {"Content-Type: application/x-www-form-urlencoded;charset=UTF-8", "Accept: */*", "Expect:"};
        if (target.auth == PostAuth::bearer) o.headers.push_back("Authorization: Bearer " + target.secret);
        return o;
    }
    long attempt(const std::string& url, const std::string& body) {
        auto r = m_client.post(url, body);
        if (!r) {
            m_last_error = r.error().detail;
            return 0;
        }
        return r->status;
    }

    const Target& m_target;
    util::HttpClient m_client;
    std::string m_last_error;
};

// The generator shared by the senders: each takes the next callback in arrival order.
class Feed {
public:
    explicit Feed(const GeneratorOptions& options) : m_generator(options) {}
    std::optional<SimulatedCallback> next() {
        std::lock_guard lk(m_mutex);
        if (m_stop) return std::nullopt;
        return m_generator.next();
    }
    void stop() {
        std::lock_guard lk(m_mutex);
        m_stop = true;
    }
    const Summary& summary() const { return m_generator.summary(); } // once the senders are done

private:
    std::mutex m_mutex;
    Generator m_generator;
    bool m_stop = false;
};

Answers send_all(Feed& feed, const Target& target, std::atomic<uint64_t>& done) {
    Answers answers;
    Poster poster(target);
    while (auto cb = feed.next()) {
        long status = poster.post(cb->body);
        ++answers.by_status[status];
        ++done;
        if (status == 0) {
            // Nothing gets through any more: stop everyone rather than time out on every callback.
            answers.unreachable = poster.error();
            feed.stop();
        }
    }
    return answers;
}

std::string describe_answers(const Answers& a) {
    std::string out = fmt::format("200: {}", a.by_status.contains(200) ? a.by_status.at(200) : 0);
    out += fmt::format(", other: {}", a.total() - (a.by_status.contains(200) ? a.by_status.at(200) : 0));
    for (const auto& [status, n] : a.by_status)
        if (status != 200) out += status ? fmt::format(" ({}: {})", status, n) : fmt::format(" (no answer: {})", n);
    return out;
}

void post_all(const SimulateOptions& o) {
    Target target{o.post_url, o.callback_url.empty() ? o.post_url : o.callback_url, read_secret(o), o.auth};
    Progress progress(o.generator);
    Feed feed(o.generator);
    std::atomic<uint64_t> done{0};
    std::atomic<int> active{o.concurrency};
    std::vector<Answers> results(static_cast<size_t>(o.concurrency));
    std::vector<std::exception_ptr> errors(results.size());
    {
        std::vector<std::jthread> senders;
        for (size_t i = 0; i < results.size(); ++i)
            senders.emplace_back([&, i] {
                try {
                    results[i] = send_all(feed, target, done);
                } catch (...) {
                    errors[i] = std::current_exception();
                    feed.stop();
                }
                --active;
            });
        // Report progress while the senders work; they are joined when the scope ends.
        while (active.load() > 0) {
            std::this_thread::sleep_for(20ms);
            progress.update(done.load());
        }
    }
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
    progress.finish();
    Answers all;
    for (const auto& r : results)
        all.merge(r);

    std::printf("%s, posted to %s: %s\n", describe(feed.summary(), o.generator.servers).c_str(), o.post_url.c_str(),
                describe_answers(all).c_str());
    if (o.stats) print_stats(feed.summary());
    if (!all.unreachable.empty())
        throw Failure(ExitCode::unavailable, fmt::format("cannot reach {}: {}", o.post_url, all.unreachable));
    if (all.ok() != all.total())
        throw Failure(ExitCode::protocol, fmt::format("{} of {} callbacks were not answered with 2xx",
                                                      all.total() - all.ok(), all.total()));
}

} // namespace

Status validate(const SimulateOptions& o) {
    if (auto st = validate(o.generator); !st) return st;
    if (o.journal_dir.empty() == o.post_url.empty())
        return make_error(ExitCode::usage, "give exactly one output: --journal-dir DIR or --post URL");
    if (!o.post_url.empty()) return validate_post(o);
    if (!o.secret.empty() || !o.secret_file.empty() || !o.callback_url.empty())
        return make_error(ExitCode::usage, "--secret, --secret-file and --callback-url only apply to --post");
    return {};
}

ExitCode run(const SimulateOptions& options) {
    // Check everything before creating anything.
    value_or_throw(validate(options));
    // Write the journal, or post to the URL; both print the summary.
    if (!options.journal_dir.empty())
        write_journal(options);
    else
        post_all(options);
    return ExitCode::ok;
}

std::optional<int64_t> parse_utc_time(std::string_view text) {
    // YYYY-MM-DD[THH:MM[:SS[.mmm]]Z]
    auto number = [&](size_t pos, size_t len) -> std::optional<int> {
        if (pos + len > text.size()) return std::nullopt;
        int v = 0;
        auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
        if (ec != std::errc() || end != text.data() + pos + len) return std::nullopt;
        return v;
    };
    auto y = number(0, 4), mo = number(5, 2), d = number(8, 2);
    if (!y || !mo || !d || text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    std::chrono::year_month_day date{std::chrono::year(*y), std::chrono::month(static_cast<unsigned>(*mo)),
                                     std::chrono::day(static_cast<unsigned>(*d))};
    if (!date.ok()) return std::nullopt;
    int64_t ms = std::chrono::sys_days(date).time_since_epoch() / std::chrono::milliseconds(1);
    if (text.size() == 10) return ms;
    if (text.back() != 'Z' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) return std::nullopt;
    std::string_view clock = text.substr(11, text.size() - 12); // HH:MM[:SS[.mmm]]
    auto h = number(11, 2), mi = number(14, 2);
    if (!h || !mi || clock.size() < 5 || clock[2] != ':' || *h > 23 || *mi > 59) return std::nullopt;
    ms += (*h * 3600LL + *mi * 60LL) * 1000;
    if (clock.size() == 5) return ms;
    auto s = number(17, 2);
    if (clock.size() < 8 || clock[5] != ':' || !s || *s > 59) return std::nullopt;
    ms += *s * 1000LL;
    if (clock.size() == 8) return ms;
    auto frac = number(20, 3);
    if (clock.size() != 12 || clock[8] != '.' || !frac) return std::nullopt;
    return ms + *frac;
}

} // namespace bbbhook::simulate
