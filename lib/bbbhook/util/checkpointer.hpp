#pragma once
// WAL checkpoints of a writing connection, run by a thread of their own with a connection of its
// own, so that the writer's commits do not wait for the checkpoint's copying and fsyncs.
//
// SQLite's automatic checkpoint runs inside the commit that crosses wal_autocheckpoint: the
// writer then waits for the WAL's fsync, the copy into the database file and the database's fsync
// (for ingest, 12% of its time: docs/BENCHMARKS.md). Here a commit that leaves `background_pages`
// more pages in the WAL only wakes the thread. A WAL can only start over once a checkpoint has
// copied all of it, which a writer that keeps committing never lets happen; so a commit that
// leaves `wait_pages` waits for one complete checkpoint, which finds most pages already copied.
//
//   auto checkpointer = util::WalCheckpointer::start(db, {});   // db: the writer
//   ... transactions on db ...
//   checkpointer.reset();  // before db closes (its close makes the last checkpoint)
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "bbbhook/util/error.hpp"
#include "bbbhook/util/sqlite.hpp"

namespace bbbhook::util {

class WalCheckpointer {
public:
    struct Options {
        int background_pages = 10000; // WAL growth (pages) that starts a checkpoint in the background
        int wait_pages = 50000;       // a commit that leaves this many pages waits for a checkpoint
    };
    struct Stats {
        uint64_t checkpoints = 0; // run by the thread
        uint64_t waits = 0;       // commits that waited for one
    };

    // Takes over the checkpoints of `writer` (a WAL database file) until destroyed. Fails with
    // cant_create when the second connection cannot be opened.
    static Result<std::unique_ptr<WalCheckpointer>> start(Db& writer, Options options);
    // Waits for a running checkpoint, stops the thread and gives the writer back its automatic
    // checkpoints.
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Asks for a background checkpoint now (unless one is asked for or running already): when
    // the writer has work ahead that does not commit for a while.
    void request();
    Stats stats() const;

private:
    WalCheckpointer(Db& writer, Db own, Options options);
    static int on_commit(void* self, struct sqlite3* db, const char* schema, int pages);
    int committed(int pages);
    void run(std::stop_token stop);

    Db& m_writer;
    Db m_own;
    Options m_options;
    int m_restore_pages = 1000; // the writer's wal_autocheckpoint before
    mutable std::mutex m_mutex;
    std::condition_variable_any m_changed;
    uint64_t m_requested = 0; // checkpoints asked for (a generation number)
    uint64_t m_finished = 0;  // the generation of the newest finished checkpoint
    int m_requested_at = 0;   // WAL pages when the newest one was asked for
    int m_error = 0;          // a failed checkpoint's SQLite code, reported by the next commit
    Stats m_stats;
    std::jthread m_thread; // last: started when everything else exists
};

} // namespace bbbhook::util
