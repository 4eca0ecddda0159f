#include "bbbhook/serve/quarantine.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "bbbhook/util/fd.hpp"
#include "bbbhook/util/hash.hpp"
#include "bbbhook/util/text.hpp"
#include "bbbhook/util/time.hpp"

namespace bbbhook::serve {

Result<std::unique_ptr<Quarantine>> Quarantine::open(std::filesystem::path dir, uint64_t max_bytes) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error(ExitCode::cant_create, fmt::format("quarantine folder {}: {}", dir.string(), ec.message()));
    std::unique_ptr<Quarantine> q(new Quarantine(dir, max_bytes));
    uint64_t total = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        std::error_code sec;
        if (it->is_regular_file(sec)) total += it->file_size(sec);
    }
    q->m_size = total;
    return q;
}

Status Quarantine::keep(const QuarantinedRequest& r) {
    std::string text = fmt::format("{} {} HTTP/1.1\r\n", r.method, r.target);
    text += fmt::format("X-Bbbhook-Quarantine-Reason: {}\r\n", util::printable(r.reason));
    text += fmt::format("X-Bbbhook-Quarantine-Source: {}\r\n", r.source);
    text += fmt::format("X-Bbbhook-Quarantine-Received: {}\r\n", util::format_iso_utc_ms(r.received_ms));
    text += fmt::format("X-Bbbhook-Quarantine-Remote: {}\r\n", r.remote);
    if (r.headers) {
        for (const auto& [name, value] : *r.headers) {
            if (util::iequals(name, "Authorization")) {
                // Never store a token: it may be the real shared secret. Its fingerprint lets an
                // operator compare it with `sha256sum` of the configured secret.
                text +=
                    fmt::format("{}: <redacted sha256:{}>\r\n", name,
                                util::hex_digest(util::HashAlg::sha256, util::trim(value.substr(value.find(' ') + 1))));
                continue;
            }
            text += fmt::format("{}: {}\r\n", name, value);
        }
    }
    text += "\r\n";
    text += r.body;

    uint64_t size = text.size();
    uint64_t before = m_size.fetch_add(size);
    if (before + size > m_max) {
        m_size.fetch_sub(size);
        ++m_dropped;
        return make_error(ExitCode::cant_create, fmt::format("quarantine {} is full ({} of {})", m_dir.string(),
                                                             util::format_size(before), util::format_size(m_max)));
    }
    // Time, pid and a counter: unique across restarts, and name order is arrival order.
    auto name = fmt::format("{}-{:03}-{}-{:06}-{}.http", util::format_compact_utc(r.received_ms), r.received_ms % 1000,
                            ::getpid(), ++m_counter, r.source.empty() ? "unknown" : r.source);
    if (auto st = util::write_file_atomic(m_dir / name, text, 0600); !st) {
        m_size.fetch_sub(size);
        ++m_dropped;
        return st;
    }
    ++m_kept;
    return {};
}

} // namespace bbbhook::serve
