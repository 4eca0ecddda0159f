#pragma once
// The journal writer: appends records to the current file of a journal folder, durably, with
// group commit, size/age rotation and sealing. Used by `bbbhook serve`.
//
// append_async() is thread-safe and never blocks: concurrent appends are gathered into one
// write(2) and one fdatasync(2) by a single flusher thread, which then calls each append's
// completion (group commit). append() is the same, blocking until it is done. When a write or
// sync fails (disk full, I/O error) every append of that batch fails, the writer reports itself
// unhealthy, abandons that file (after a failed fsync the page cache cannot be trusted) and
// starts a new file for the next batch; it probes once a second while idle and becomes healthy
// again as soon as a file can be created and synced.
//
// With `spare_files`, once the current file holds `spare_after` bytes (traffic worth it), the
// next file is prepared ahead: written with zeros and synced (journal/spare.hpp), then renamed into
// place at rotation. Records overwrite the zeros, and a group commit's fdatasync writes only the
// data. Readers know such a file by its header flag: zeros after its last record are unwritten
// space. Otherwise (the first file, or no spare ready yet) space is reserved ahead of the
// writes, 8 MiB at a time, with fallocate(FALLOC_FL_KEEP_SIZE): the size readers see is what was
// written, and a sync does not allocate blocks. Sealing or abandoning a file cuts it to its
// records, freeing unused zeros and reservations. After a crash, the last file may keep them.
//
// One writer per folder: open() takes an exclusive flock on <dir>/.lock.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bbbhook/journal/format.hpp"
#include "bbbhook/journal/position.hpp"
#include "bbbhook/journal/spare.hpp"
#include "bbbhook/util/error.hpp"
#include "bbbhook/util/fd.hpp"
#include "bbbhook/util/histogram.hpp"

namespace bbbhook::journal {

enum class Durability { sync, none };

struct WriterOptions {
    std::filesystem::path dir;
    uint64_t rotate_size = 64ull << 20;
    std::chrono::milliseconds rotate_age = std::chrono::hours(24);
    Durability durability = Durability::sync;
    bool spare_files = false;          // prepare zero-filled next files (see above)
    uint64_t spare_after = 1ull << 20; // data in the current file before the next one is prepared
};

struct WriterMetrics {
    util::Histogram sync_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
    util::Histogram batch_records{{1, 2, 4, 8, 16, 32, 64, 128, 256}};
    std::atomic<uint64_t> records{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> write_errors{0};
    std::atomic<uint64_t> files_created{0};
    std::atomic<uint64_t> files_sealed{0};
    std::atomic<uint64_t> files_from_spares{0}; // of files_created: prepared with zeros ahead
};

class Writer {
public:
    // Creates the folder if needed, locks it and opens a new file. Fails with temp_fail when
    // another process holds the folder, cant_create when it cannot be created or written.
    static Result<std::unique_ptr<Writer>> open(WriterOptions options);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Called once per append with where the record was written, once it is durable (or written,
    // with Durability::none); or with io when the batch could not be written or synced, or
    // temp_fail after close(). Runs on the flusher thread: keep it short (post to an executor).
    using AppendDone = std::move_only_function<void(Result<Position>)>;
    // Queues one record for the next group commit. The record's bytes are copied before it returns.
    void append_async(const Record& record, AppendDone done);
    // append_async, waiting for its completion.
    Result<Position> append(const Record& record);

    // Seals the current file (if it holds records): every record appended after this call goes
    // to a new file. For SIGHUP.
    void rotate();
    // Writes what is pending, seals the current file and stops the flusher. Idempotent.
    void close();

    bool healthy() const { return m_healthy.load(); }
    // A prepared spare file waits for the next rotation.
    bool spare_ready() const { return m_spares && m_spares->ready(); }
    std::string last_error() const;
    std::string current_file() const;
    const std::filesystem::path& dir() const { return m_options.dir; }
    const WriterMetrics& metrics() const { return m_metrics; }

private:
    struct Batch;
    explicit Writer(WriterOptions options);
    void flusher_loop();
    void write_batch(Batch& batch);
    Status open_new_file();
    // Puts a prepared spare in place under `name`; false if there is none (or it failed).
    bool open_spare(const std::string& name);
    void seal_current();
    bool due_for_rotation() const;
    enum class Finish { seal, abandon };
    // Seals (or abandons) the current file; a file without records is removed instead.
    void finish_current(Finish how = Finish::seal);
    void reserve_space(uint64_t end);
    void release_reserved_space();
    void mark_failed(const std::string& message);
    void mark_healthy();

    WriterOptions m_options;
    util::UniqueFd m_lock_fd;

    // Shared between appenders and the flusher, guarded by m_mutex.
    mutable std::mutex m_mutex;
    std::condition_variable m_work_cv; // flusher waits for a batch (or stop/rotate)
    std::unique_ptr<Batch> m_open;     // the batch appenders add to
    bool m_stop = false;
    bool m_rotate_requested = false;
    std::string m_current_name; // for current_file(), under m_mutex
    std::string m_last_error;

    // Owned by the flusher thread only (and by open() before it starts).
    util::UniqueFd m_fd;
    std::string m_file_name;
    uint64_t m_file_size = 0;
    uint64_t m_file_records = 0;
    int64_t m_file_first_record_ms = 0;
    uint64_t m_next_sequence = 1;
    uint64_t m_reserved_end = 0; // blocks are allocated (or zero-filled) up to here
    bool m_preallocate = true;
    bool m_spare_requested = false; // for the current file
    std::unique_ptr<SpareFiles> m_spares;

    std::atomic<bool> m_healthy{true};
    WriterMetrics m_metrics;
    std::thread m_flusher;
};

// Journal files of a folder in name (= write) order. Fails with no_input if it cannot be listed.
Result<std::vector<std::string>> list_files(const std::filesystem::path& dir);

} // namespace bbbhook::journal
