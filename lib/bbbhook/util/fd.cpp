#include "bbbhook/util/fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bbbhook::util {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
}

int UniqueFd::release() {
    int fd = m_fd;
    m_fd = -1;
    return fd;
}

int UniqueFd::reset(int fd) {
    int err = 0;
    // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
    if (m_fd >= 0 && ::close(m_fd) != 0) err = errno;
    m_fd = fd;
    return err;
}

int write_all(int fd, std::string_view bytes) {
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    return 0;
}

int pwrite_all(int fd, std::string_view bytes, unsigned long long offset) {
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::pwrite(fd, p, left, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        offset += static_cast<unsigned long long>(n);
        left -= static_cast<size_t>(n);
    }
    return 0;
}

long long pread_full(int fd, char* buf, size_t size, unsigned long long offset) {
    size_t got = 0;
    while (got < size) {
        ssize_t n = ::pread(fd, buf + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    return static_cast<long long>(got);
}

Result<std::string> read_file(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return make_error(ExitCode::no_input, fmt::format("{}: {}", path.string(), errno_message(errno)));
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(ExitCode::no_input, fmt::format("{}: {}", path.string(), errno_message(errno)));
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

int fsync_dir(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return errno;
    if (::fsync(fd.get()) != 0) return errno;
    return 0;
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& path, unsigned mode) {
    AtomicFile file;
    file.m_path = path;
    file.m_dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    file.m_temp = fmt::format("{}/.{}.XXXXXX", file.m_dir.string(), path.filename().string());
    int raw = ::mkostemp(file.m_temp.data(), O_CLOEXEC);
    if (raw < 0) return make_error(ExitCode::cant_create, fmt::format("{}: {}", path.string(), errno_message(errno)));
    file.m_fd = UniqueFd(raw);
    if (::fchmod(raw, mode) != 0) return file.failure(errno);
    return file;
}

AtomicFile::~AtomicFile() {
    if (!m_committed) discard();
}

void AtomicFile::discard() {
    m_fd.reset();
    if (!m_temp.empty()) ::unlink(m_temp.c_str());
    m_temp.clear();
}

std::unexpected<Error> AtomicFile::failure(int err) {
    discard();
    return make_error(ExitCode::cant_create, fmt::format("{}: {}", m_path.string(), errno_message(err)));
}

Status AtomicFile::write(std::string_view bytes) {
    if (!m_fd) return make_error(ExitCode::cant_create, fmt::format("{}: already closed", m_path.string()));
    if (int err = write_all(m_fd.get(), bytes)) return failure(err);
    return {};
}

Status AtomicFile::commit() {
    if (!m_fd) return make_error(ExitCode::cant_create, fmt::format("{}: already closed", m_path.string()));
    if (::fsync(m_fd.get()) != 0) return failure(errno);
    if (int err = m_fd.reset()) return failure(err);
    if (::rename(m_temp.c_str(), m_path.c_str()) != 0) return failure(errno);
    m_committed = true;
    m_temp.clear();
    fsync_dir(m_dir);
    return {};
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode) {
    auto file = AtomicFile::create(path, mode);
    if (!file) return std::unexpected(file.error());
    if (auto ok = file->write(content); !ok) return ok;
    return file->commit();
}

} // namespace bbbhook::util
