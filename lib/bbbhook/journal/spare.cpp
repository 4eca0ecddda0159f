#include "bbbhook/journal/spare.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bbbhook/journal/format.hpp"

namespace bbbhook::journal {

namespace {
constexpr uint64_t k_block = 4096;
// One zero write: short enough that a group commit's sync queued behind it waits little.
constexpr size_t k_piece = 64u << 10;
constexpr std::string_view k_prefix = ".spare-";
constexpr std::string_view k_suffix = ".journal.tmp";

} // namespace

SpareFiles::SpareFiles(std::filesystem::path dir, uint64_t capacity)
    : m_dir(std::move(dir)), m_capacity((std::max(capacity, k_block) + k_block - 1) / k_block * k_block),
      m_thread([this] { run(); }) {}

SpareFiles::~SpareFiles() {
    {
        std::lock_guard lk(m_mutex);
        m_stop = true;
    }
    m_cv.notify_one();
    m_thread.join();
    discard();
}

bool SpareFiles::is_spare_name(std::string_view name) {
    return name.starts_with(k_prefix) && name.ends_with(k_suffix);
}

void SpareFiles::remove_leftovers(const std::filesystem::path& dir) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
        if (is_spare_name(it->path().filename().string())) std::filesystem::remove(it->path(), ec);
}

void SpareFiles::request() {
    std::lock_guard lk(m_mutex);
    if (m_wanted || m_ready) return;
    m_wanted = true;
    m_cv.notify_one();
}

std::optional<SpareFiles::Spare> SpareFiles::take() {
    std::lock_guard lk(m_mutex);
    return std::exchange(m_ready, std::nullopt);
}

bool SpareFiles::ready() {
    std::lock_guard lk(m_mutex);
    return m_ready.has_value();
}

void SpareFiles::discard() {
    std::optional<Spare> spare = take();
    if (spare) ::unlink(spare->path.c_str());
}

void SpareFiles::run() {
    // Preparing spares must yield to the threads that answer requests: the lowest CPU priority
    // and the lowest best-effort I/O priority for this thread (both may fail; that costs only
    // latency, so it is ignored).
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    constexpr int k_ioprio_class_be = 2, k_ioprio_class_shift = 13, k_ioprio_who_process = 1;
    (void)::syscall(SYS_ioprio_set, k_ioprio_who_process, ::gettid(), (k_ioprio_class_be << k_ioprio_class_shift) | 7);
    std::unique_lock lk(m_mutex);
    for (;;) {
        m_cv.wait(lk, [&] { return m_stop || m_wanted; });
        if (m_stop) return;
        lk.unlock();
        std::optional<Spare> spare = prepare();
        lk.lock();
        m_wanted = false;
        if (spare && m_stop)
            ::unlink(spare->path.c_str());
        else
            m_ready = std::move(spare);
    }
}

std::optional<SpareFiles::Spare> SpareFiles::prepare() {
    // Never take space the journal's records may need.
    struct statvfs fs {};
    if (::statvfs(m_dir.c_str(), &fs) != 0 || static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < 4 * m_capacity)
        return std::nullopt;

    auto path = m_dir / fmt::format("{}{}-{}{}", k_prefix, ::getpid(), ++m_counter, k_suffix);
    auto fail = [&](std::string_view what, int err) -> std::optional<Spare> {
        spdlog::debug("journal: no spare file ({} {}: {})", what, path.string(), errno_message(err));
        ::unlink(path.c_str());
        return std::nullopt;
    };
    util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (!fd) return fail("create", errno);

    // Through the page cache, so that the writer's appends find their pages there: a write to
    // part of a page that is not in memory must first read it from disk. Each piece is written
    // back before the next one, so that the disk queue never holds much in front of a group
    // commit's sync.
    std::string zeros(k_piece, '\0');
    std::string first = encode_file_header(k_flag_zero_filled);
    first.resize(k_piece, '\0');
    for (uint64_t at = 0; at < m_capacity; at += k_piece) {
        {
            std::lock_guard lk(m_mutex);
            if (m_stop) return fail("stopped writing", ECANCELED);
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>(k_piece, m_capacity - at));
        if (int err = util::pwrite_all(fd.get(), std::string_view(at == 0 ? first : zeros).substr(0, n), at); err != 0)
            return fail("write", err);
        if (::sync_file_range(fd.get(), static_cast<off_t>(at), static_cast<off_t>(n),
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
            return fail("write back", errno);
    }
    // Data and metadata (size, extents) on disk before the writer relies on them.
    if (::fdatasync(fd.get()) != 0) return fail("sync", errno);
    return Spare{std::move(fd), path, m_capacity};
}

} // namespace bbbhook::journal
