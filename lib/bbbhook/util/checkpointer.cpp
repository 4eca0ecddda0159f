#include "bbbhook/util/checkpointer.hpp"

#include <sqlite3.h>
#include <utility>

namespace bbbhook::util {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(Db& writer, Options options) {
    const char* path = sqlite3_db_filename(writer.handle(), "main");
    if (!path || !*path) return make_error(ExitCode::cant_create, "a WAL checkpointer needs a database file");
    auto own = Db::open(path);
    if (!own) return std::unexpected(own.error());
    return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(writer, std::move(*own), options));
}

WalCheckpointer::WalCheckpointer(Db& writer, Db own, Options options)
    : m_writer(writer), m_own(std::move(own)), m_options(options) {
    auto st = m_writer.prepare("PRAGMA wal_autocheckpoint");
    if (st.step()) m_restore_pages = static_cast<int>(st.int64(0));
    st.reset();
    // Replaces SQLite's own hook, which is what wal_autocheckpoint installs.
    sqlite3_wal_hook(m_writer.handle(), &WalCheckpointer::on_commit, this);
    m_thread = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

WalCheckpointer::~WalCheckpointer() {
    m_thread.request_stop();
    m_changed.notify_all();
    if (m_thread.joinable()) m_thread.join();
    sqlite3_wal_autocheckpoint(m_writer.handle(), m_restore_pages);
}

void WalCheckpointer::request() {
    std::lock_guard lock(m_mutex);
    if (m_finished != m_requested) return;
    ++m_requested;
    m_changed.notify_all();
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
    return static_cast<WalCheckpointer*>(self)->committed(pages);
}

// On the writer's thread, after each commit (the write lock is released by then). A code other
// than SQLITE_OK makes the COMMIT statement report it, though the commit has taken place.
int WalCheckpointer::committed(int pages) {
    std::unique_lock lock(m_mutex);
    if (pages < m_requested_at) m_requested_at = 0; // the WAL started over
    if (pages >= m_options.wait_pages) {
        // One complete checkpoint that starts after this commit: no commit comes in between,
        // so it can copy the whole WAL, and the next transaction starts it over.
        uint64_t generation = ++m_requested;
        m_requested_at = pages;
        ++m_stats.waits;
        m_changed.notify_all();
        m_changed.wait(lock, [&] { return m_finished >= generation; });
    } else if (pages - m_requested_at >= m_options.background_pages && m_finished == m_requested) {
        ++m_requested;
        m_requested_at = pages;
        m_changed.notify_all();
    }
    return std::exchange(m_error, SQLITE_OK);
}

void WalCheckpointer::run(std::stop_token stop) {
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (!m_changed.wait(lock, stop, [&] { return m_requested > m_finished; })) return;
        uint64_t generation = m_requested;
        lock.unlock();
        // PASSIVE: copies what no reader still needs, without waiting for readers or the writer.
        int rc = sqlite3_wal_checkpoint_v2(m_own.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        lock.lock();
        // BUSY: another connection was checkpointing; the next request tries again.
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) m_error = rc;
        m_finished = generation;
        ++m_stats.checkpoints;
        m_changed.notify_all();
    }
}

} // namespace bbbhook::util
