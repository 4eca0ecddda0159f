#include "bbbhook/journal/writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "bbbhook/util/text.hpp"
#include "bbbhook/util/time.hpp"

namespace bbbhook::journal {

namespace {
constexpr auto k_idle_tick = std::chrono::seconds(1);
// Space reserved ahead of the writes (see Writer::reserve_space).
constexpr uint64_t k_prealloc_chunk = 8ull << 20;
// A spare holds the rotation size (at most this much) and room for the batch that crosses it.
constexpr uint64_t k_spare_max = 64ull << 20;
constexpr uint64_t k_spare_slack = 256ull << 10;
} // namespace

struct Writer::Batch {
    std::string bytes;
    size_t records = 0;
    std::vector<std::pair<size_t, AppendDone>> waiters; // offset in `bytes`, completion
    std::optional<Error> error;
    std::string file;
    uint64_t file_offset = 0;
};

Result<std::vector<std::string>> list_files(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        auto name = it->path().filename().string();
        if (file_sequence(name)) names.push_back(std::move(name));
    }
    if (ec) return make_error(ExitCode::no_input, fmt::format("journal folder {}: {}", dir.string(), ec.message()));
    std::ranges::sort(names);
    return names;
}

Writer::Writer(WriterOptions options) : m_options(std::move(options)) {}

Result<std::unique_ptr<Writer>> Writer::open(WriterOptions options) {
    std::unique_ptr<Writer> w(new Writer(std::move(options)));
    const auto& dir = w->m_options.dir;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ExitCode::cant_create, fmt::format("journal folder {}: {}", dir.string(), ec.message()));

    // 1. One writer per folder.
    auto lock_path = dir / ".lock";
    w->m_lock_fd = util::UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
    if (!w->m_lock_fd)
        return make_error(errno == EACCES ? ExitCode::no_perm : ExitCode::cant_create,
                          fmt::format("{}: {}", lock_path.string(), errno_message(errno)));
    if (::flock(w->m_lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
        auto holder = util::read_file(lock_path);
        return make_error(ExitCode::temp_fail,
                          fmt::format("journal folder {} is in use by another process (pid {})", dir.string(),
                                      holder ? std::string(util::trim(*holder)) : "?"));
    }
    std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(w->m_lock_fd.get(), 0) == 0) (void)util::write_all(w->m_lock_fd.get(), pid);

    // 2. Spares left by a crash hold nothing; a new one is prepared once traffic needs it.
    SpareFiles::remove_leftovers(dir);
    // Small rotation sizes (tests, tiny deployments) prepare spares sooner.
    w->m_options.spare_after = std::min(w->m_options.spare_after, w->m_options.rotate_size / 4);
    if (w->m_options.spare_files)
        w->m_spares =
            std::make_unique<SpareFiles>(dir, std::min(w->m_options.rotate_size, k_spare_max) + k_spare_slack);

    // 3. Continue the sequence after the newest existing file; never reopen an old file.
    auto files = list_files(dir);
    if (!files) return std::unexpected(files.error());
    if (!files->empty()) w->m_next_sequence = *file_sequence(files->back()) + 1;

    // 4. Fail fast if the folder cannot be written.
    if (auto st = w->open_new_file(); !st) return std::unexpected(st.error());
    w->m_flusher = std::thread([p = w.get()] { p->flusher_loop(); });
    return w;
}

Writer::~Writer() {
    close();
}

std::string Writer::last_error() const {
    std::lock_guard lk(m_mutex);
    return m_last_error;
}

std::string Writer::current_file() const {
    std::lock_guard lk(m_mutex);
    return m_current_name;
}

void Writer::append_async(const Record& record, AppendDone done) {
    // Encode (and CRC) outside the lock; only the copy into the batch is serialized.
    thread_local std::string encoded;
    encoded.clear();
    encode_record(encoded, record);
    {
        std::lock_guard lk(m_mutex);
        if (!m_stop) {
            // The flusher waits only while no batch is open: wake it for the first record of one.
            bool first = !m_open;
            if (first) m_open = std::make_unique<Batch>();
            m_open->waiters.emplace_back(m_open->bytes.size(), std::move(done));
            m_open->bytes += encoded;
            ++m_open->records;
            if (first) m_work_cv.notify_one();
            return;
        }
    }
    done(make_error(ExitCode::temp_fail, "journal is closed"));
}

Result<Position> Writer::append(const Record& record) {
    struct Wait {
        std::mutex mutex;
        std::condition_variable cv;
        std::optional<Result<Position>> result;
    };
    auto wait = std::make_shared<Wait>();
    append_async(record, [wait](Result<Position> r) {
        std::lock_guard lk(wait->mutex);
        wait->result = std::move(r);
        wait->cv.notify_one();
    });
    std::unique_lock lk(wait->mutex);
    wait->cv.wait(lk, [&] { return wait->result.has_value(); });
    return std::move(*wait->result);
}

void Writer::rotate() {
    std::lock_guard lk(m_mutex);
    m_rotate_requested = true;
    m_work_cv.notify_one();
}

void Writer::close() {
    {
        std::lock_guard lk(m_mutex);
        m_stop = true;
        m_work_cv.notify_one();
    }
    // The flusher drains every batch appended before m_stop was set, then seals and exits.
    if (m_flusher.joinable()) m_flusher.join();
    m_spares.reset(); // removes a spare that was not used
}

void Writer::flusher_loop() {
    std::unique_lock lk(m_mutex);
    for (;;) {
        m_work_cv.wait_for(lk, k_idle_tick, [&] { return m_open || m_stop || m_rotate_requested; });
        // A rotation requested before a batch was taken applies before that batch is written,
        // so every record appended after rotate() lands in the new file.
        bool rotate_now = std::exchange(m_rotate_requested, false);
        auto batch = std::move(m_open);
        bool stop = m_stop;
        lk.unlock();
        if (rotate_now && m_fd && m_file_records > 0) seal_current();
        if (batch) {
            write_batch(*batch);
            // Completions run without the lock: appenders can fill the next batch meanwhile.
            for (auto& [offset, done] : batch->waiters) {
                if (batch->error)
                    done(std::unexpected(*batch->error));
                else
                    done(Position{batch->file, batch->file_offset + offset});
            }
            lk.lock();
            continue; // drain everything before stopping
        }
        // Idle work, without the lock: stopping, age rotation, recovery probes.
        if (stop) {
            finish_current();
            return;
        }
        if (m_fd && due_for_rotation()) seal_current();
        if (!healthy() && !m_fd && open_new_file()) mark_healthy();
        lk.lock();
    }
}

void Writer::write_batch(Batch& batch) {
    bool sync = m_options.durability == Durability::sync;
    if (m_fd && due_for_rotation()) seal_current();
    if (!m_fd) {
        if (auto st = open_new_file(); !st) {
            batch.error = st.error();
            return;
        }
    }
    uint64_t offset = m_file_size;
    reserve_space(m_file_size + batch.bytes.size());
    int err = util::pwrite_all(m_fd.get(), batch.bytes, offset);
    if (err == 0 && sync) {
        int64_t t0 = util::monotonic_ns();
        if (::fdatasync(m_fd.get()) != 0) err = errno;
        m_metrics.sync_seconds.observe(static_cast<double>(util::monotonic_ns() - t0) / 1e9);
    }
    if (err != 0) {
        // Cut off what may have been written and abandon the file: after a failed fdatasync the
        // kernel may have dropped the dirty pages, so nothing later in this file could be trusted.
        (void)::ftruncate(m_fd.get(), static_cast<off_t>(offset));
        finish_current(Finish::abandon);
        // A full disk: the spare's zeros are the space the next batch needs.
        if (m_spares && (err == ENOSPC || err == EDQUOT)) m_spares->discard();
        std::string msg = fmt::format("journal write to {} failed: {}", m_file_name, errno_message(err));
        mark_failed(msg);
        batch.error = Error{ExitCode::io, msg};
        return;
    }
    if (m_file_records == 0) m_file_first_record_ms = util::now_ms();
    m_file_size += batch.bytes.size();
    m_file_records += batch.records;
    m_metrics.records += batch.records;
    m_metrics.bytes += batch.bytes.size();
    m_metrics.batch_records.observe(static_cast<double>(batch.records));
    batch.file = m_file_name;
    batch.file_offset = offset;
    if (m_spares && !m_spare_requested && m_file_size >= m_options.spare_after) {
        m_spares->request();
        m_spare_requested = true;
    }
    mark_healthy();
}

void Writer::reserve_space(uint64_t end) {
    if (!m_preallocate || end <= m_reserved_end) return;
    uint64_t length = std::max(k_prealloc_chunk, end - m_file_size);
    // KEEP_SIZE: the blocks are allocated, the file's size (what readers see) does not change.
    if (::fallocate(m_fd.get(), FALLOC_FL_KEEP_SIZE, static_cast<off_t>(m_file_size), static_cast<off_t>(length)) == 0)
        m_reserved_end = m_file_size + length;
    else if (errno == EOPNOTSUPP || errno == ENOSYS)
        m_preallocate = false; // a file system without fallocate: plain appends
    // Any other failure (ENOSPC) is left to the write itself, which reports it.
}

void Writer::release_reserved_space() {
    // Cutting the file to its records frees the blocks reserved or zero-filled past them.
    if (m_reserved_end > 0) (void)::ftruncate(m_fd.get(), static_cast<off_t>(m_file_size));
    m_reserved_end = 0;
}

bool Writer::open_spare(const std::string& name) {
    if (!m_spares) return false;
    std::optional<SpareFiles::Spare> spare = m_spares->take();
    if (!spare) return false;
    auto path = m_options.dir / name;
    // NOREPLACE: an existing journal file is never replaced (the caller tries the next name).
    if (::renameat2(AT_FDCWD, spare->path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
        spdlog::debug("journal: spare {} not used: {}", spare->path.string(), errno_message(errno));
        ::unlink(spare->path.c_str());
        return false;
    }
    m_fd = std::move(spare->fd);
    m_reserved_end = spare->capacity;
    ++m_metrics.files_from_spares;
    return true;
}

Status Writer::open_new_file() {
    const auto& dir = m_options.dir;
    for (int attempt = 0; attempt < 1000; ++attempt) {
        int64_t now = util::now_ms();
        std::string name = file_name(m_next_sequence++, now);
        auto path = dir / name;
        m_reserved_end = 0;
        int err = 0;
        if (!open_spare(name)) {
            // Readers rely on the file's size: every write names its offset (no O_APPEND, which
            // a zero-filled spare cannot use either).
            util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
            if (!fd) {
                if (errno == EEXIST) continue;
                auto msg = fmt::format("cannot create journal file {}: {}", path.string(), errno_message(errno));
                mark_failed(msg);
                return make_error(errno == EACCES ? ExitCode::no_perm : ExitCode::cant_create, msg);
            }
            err = util::pwrite_all(fd.get(), encode_file_header(), 0);
            if (err == 0 && ::fdatasync(fd.get()) != 0) err = errno;
            m_fd = std::move(fd);
        }
        if (err == 0) err = util::fsync_dir(dir);
        if (err != 0) {
            m_fd.reset();
            ::unlink(path.c_str());
            auto msg = fmt::format("cannot write journal file {}: {}", path.string(), errno_message(err));
            mark_failed(msg);
            return make_error(ExitCode::cant_create, msg);
        }
        m_file_name = name;
        m_file_size = k_file_header_size;
        m_file_records = 0;
        m_spare_requested = false;
        ++m_metrics.files_created;
        std::lock_guard lk(m_mutex);
        m_current_name = name;
        return {};
    }
    return make_error(ExitCode::cant_create, "cannot find a free journal file name");
}

bool Writer::due_for_rotation() const {
    // Age counts from the file's first record, so a long idle period does not make the next
    // record land in a file that is sealed a moment later.
    return m_file_records > 0 && (m_file_size >= m_options.rotate_size ||
                                  util::now_ms() - m_file_first_record_ms >= m_options.rotate_age.count());
}

void Writer::finish_current(Finish how) {
    if (!m_fd) return;
    if (m_file_records > 0) {
        if (how == Finish::seal)
            seal_current();
        else {
            release_reserved_space();
            m_fd.reset(); // abandoned after a failure: final because a later file will exist
        }
        return;
    }
    // A file that never received a record holds nothing: remove it rather than leave clutter
    // (a reader whose checkpoint names it continues with the next file).
    m_fd.reset();
    ::unlink((m_options.dir / m_file_name).c_str());
    (void)util::fsync_dir(m_options.dir);
}

void Writer::seal_current() {
    std::string seal_body = fmt::format(R"({{"records":{},"bytes":{}}})", m_file_records, m_file_size);
    Record seal{RecordType::seal, bbb::AuthMethod::none, util::now_ms(), {}, {}, {}, seal_body};
    std::string bytes;
    encode_record(bytes, seal);
    // Cut to the records first, so that the seal ends the file (nothing reserved or zero after it).
    release_reserved_space();
    int err = util::pwrite_all(m_fd.get(), bytes, m_file_size);
    if (err == 0 && ::fdatasync(m_fd.get()) != 0) err = errno;
    // A file whose seal could not be written is still complete: a later file exists, and the
    // reader treats any file with a successor as final.
    if (err != 0)
        spdlog::warn("journal: sealing {} failed: {}", m_file_name, errno_message(err));
    else
        ++m_metrics.files_sealed;
    (void)::fchmod(m_fd.get(), 0440);
    m_fd.reset();
    spdlog::debug("journal: sealed {} ({} records, {} bytes)", m_file_name, m_file_records, m_file_size);
}

void Writer::mark_failed(const std::string& message) {
    ++m_metrics.write_errors;
    bool was_healthy = m_healthy.exchange(false);
    {
        std::lock_guard lk(m_mutex);
        m_last_error = message;
    }
    if (was_healthy) spdlog::error("{}; answering 503 until it works again", message);
}

void Writer::mark_healthy() {
    if (!m_healthy.exchange(true)) spdlog::info("journal: writes succeed again ({})", m_file_name);
}

} // namespace bbbhook::journal
