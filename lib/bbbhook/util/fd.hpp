#pragma once
// RAII for file descriptors and small POSIX helpers that retry on EINTR.
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "bbbhook/util/error.hpp"

namespace bbbhook::util {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : m_fd(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    int release();
    // Closes the descriptor; returns close(2)'s errno (0 on success), which matters after writes.
    int reset(int fd = -1);

private:
    int m_fd = -1;
};

// Writes all bytes, retrying partial writes and EINTR. Returns 0 or the errno of the failure.
int write_all(int fd, std::string_view bytes);
// The same at `offset` (pwrite(2)); the file position does not move.
int pwrite_all(int fd, std::string_view bytes, unsigned long long offset);

// Reads up to `size` bytes at `offset`, retrying short reads until EOF. Returns the count read,
// or -errno.
long long pread_full(int fd, char* buf, size_t size, unsigned long long offset);

// Reads a whole (small) file. Fails with no_input when it cannot be opened or read.
Result<std::string> read_file(const std::filesystem::path& path);

// Writes `content` to `path` atomically: a temp file in the same folder, fsync, rename, fsync of
// the folder. Fails with cant_create.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode = 0644);

// A file written in pieces and put in place at once: the bytes go to a temp file in the same
// folder, and commit() fsyncs it, renames it over `path` and fsyncs the folder. Readers see the
// old file or the whole new one, never a part. Dropped without commit(), the temp file is
// removed. Failures are ExitCode::cant_create naming `path`. Move-only.
class AtomicFile {
public:
    static Result<AtomicFile> create(const std::filesystem::path& path, unsigned mode = 0644);
    AtomicFile(AtomicFile&& o) noexcept
        : m_path(std::move(o.m_path)), m_dir(std::move(o.m_dir)), m_temp(std::exchange(o.m_temp, {})),
          m_fd(std::move(o.m_fd)), m_committed(o.m_committed) {}
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile();
    Status write(std::string_view bytes);
    Status commit();

private:
    AtomicFile() = default;
    void discard();
    std::unexpected<Error> failure(int err);
    std::filesystem::path m_path, m_dir;
    std::string m_temp;
    UniqueFd m_fd;
    bool m_committed = false;
};

// fsync(2) of a directory so that a create/rename in it is durable. Returns 0 or errno.
int fsync_dir(const std::filesystem::path& dir);

} // namespace bbbhook::util
