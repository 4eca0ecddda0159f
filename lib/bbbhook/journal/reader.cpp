#include "bbbhook/journal/reader.hpp"

#include <algorithm>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include "bbbhook/journal/writer.hpp"
#include "bbbhook/util/fd.hpp"

namespace bbbhook::journal {

namespace {
constexpr size_t k_chunk = 1u << 20;

bool all_zero(std::string_view bytes) {
    return std::ranges::all_of(bytes, [](char c) { return c == '\0'; });
}

// The offset after the last non-zero byte in [from, size) of fd, or `from`; -errno on failure.
long long nonzero_end(int fd, uint64_t from, uint64_t size) {
    std::string buf;
    for (uint64_t end = size; end > from;) {
        uint64_t start = end - std::min<uint64_t>(end - from, k_chunk);
        buf.resize(static_cast<size_t>(end - start));
        long long got = util::pread_full(fd, buf.data(), buf.size(), start);
        if (got < 0) return got;
        buf.resize(static_cast<size_t>(got));
        size_t last = buf.find_last_not_of('\0');
        if (last != std::string::npos) return static_cast<long long>(start + last + 1);
        end = start;
    }
    return static_cast<long long>(from);
}
} // namespace

Result<uint64_t> data_size(const std::filesystem::path& file) {
    util::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return make_error(ExitCode::no_input, fmt::format("{}: {}", file.string(), errno_message(errno)));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return make_error(ExitCode::io, fmt::format("{}: {}", file.string(), errno_message(errno)));
    auto size = static_cast<uint64_t>(st.st_size);
    char header[k_file_header_size];
    long long got = util::pread_full(fd.get(), header, sizeof header, 0);
    std::string_view head(header, got > 0 ? static_cast<size_t>(got) : 0);
    if (!is_valid_file_header(head) || !(file_header_flags(head) & k_flag_zero_filled)) return size;
    long long end = nonzero_end(fd.get(), k_file_header_size, size);
    if (end < 0)
        return make_error(ExitCode::io, fmt::format("{}: {}", file.string(), errno_message(static_cast<int>(-end))));
    return static_cast<uint64_t>(end);
}

Result<Reader> Reader::open(std::filesystem::path dir, Position from) {
    Reader r(std::move(dir));
    if (auto st = r.refresh_files(); !st) return std::unexpected(st.error());
    if (from.file.empty()) return r;
    auto it = std::ranges::lower_bound(r.m_files, from.file);
    r.m_index = static_cast<size_t>(it - r.m_files.begin());
    if (it == r.m_files.end() || *it != from.file) {
        // The file is gone (or not yet visible): continue with the first file after it.
        r.m_after_last = from.file;
        return r;
    }
    if (auto st = r.open_current(); !st) return std::unexpected(st.error());
    if (from.offset > r.m_size)
        return make_error(ExitCode::data,
                          fmt::format("{}: checkpoint offset {} is past the end of the file ({} bytes): the journal "
                                      "file was truncated or replaced",
                                      (r.m_dir / from.file).string(), from.offset, r.m_size));
    r.m_offset = from.offset;
    return r;
}

Status Reader::refresh_files() {
    std::string current = m_index < m_files.size() ? m_files[m_index] : std::string();
    auto files = list_files(m_dir);
    if (!files) return std::unexpected(files.error());
    m_files = std::move(*files);
    if (!current.empty()) {
        auto it = std::ranges::lower_bound(m_files, current);
        m_index = static_cast<size_t>(it - m_files.begin());
        if (it == m_files.end() || *it != current) {
            // The current file was removed under us: continue after it.
            m_after_last = current;
            m_fd.reset();
        }
    }
    return {};
}

Status Reader::open_current() {
    auto path = m_dir / m_files[m_index];
    m_fd = util::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!m_fd) return make_error(ExitCode::no_input, fmt::format("{}: {}", path.string(), errno_message(errno)));
    m_header_checked = false;
    m_after_seal = false;
    m_zero_filled = false;
    m_buf.clear();
    m_buf_start = 0;
    return restat();
}

Result<bool> Reader::is_final() {
    if (is_last_file())
        if (auto st = refresh_files(); !st) return std::unexpected(st.error());
    if (!is_last_file()) return true;
    return ends_with_seal();
}

Result<bool> Reader::ends_with_seal() {
    // A seal record is small; look for one that ends exactly at the end of the file.
    constexpr uint64_t k_tail = 512;
    uint64_t start = m_size > k_tail ? m_size - k_tail : 0;
    auto tail = view(start, static_cast<size_t>(m_size - start));
    if (!tail) return std::unexpected(tail.error());
    std::string window(*tail);
    for (size_t at = window.rfind(k_record_magic); at != std::string::npos;
         at = at == 0 ? std::string::npos : window.rfind(k_record_magic, at - 1)) {
        Decoded d = decode_record(std::string_view(window).substr(at));
        if (d.status == DecodeStatus::ok) return d.record.type == RecordType::seal && start + at + d.size == m_size;
    }
    return false;
}

Status Reader::restat() {
    struct stat st {};
    if (::fstat(m_fd.get(), &st) != 0)
        return make_error(ExitCode::io, fmt::format("{}: {}", (m_dir / current_name()).string(), errno_message(errno)));
    m_size = static_cast<uint64_t>(st.st_size);
    return {};
}

void Reader::advance_file() {
    m_after_last = m_files[m_index];
    ++m_index;
    m_fd.reset();
    m_offset = 0;
    m_header_checked = false;
    m_after_seal = false;
    m_zero_filled = false;
    m_buf.clear();
    m_buf_start = 0;
}

Result<uint64_t> Reader::data_end(uint64_t from) {
    long long end = nonzero_end(m_fd.get(), from, m_size);
    if (end < 0)
        return make_error(ExitCode::io, fmt::format("{}: {}", (m_dir / current_name()).string(),
                                                    errno_message(static_cast<int>(-end))));
    return static_cast<uint64_t>(end);
}

Result<std::string_view> Reader::view(uint64_t offset, size_t n) {
    if (offset >= m_buf_start && offset + n <= m_buf_start + m_buf.size())
        return std::string_view(m_buf).substr(static_cast<size_t>(offset - m_buf_start), n);
    size_t want = std::max(n, k_chunk);
    if (offset >= m_size)
        want = 0;
    else if (offset + want > m_size)
        want = static_cast<size_t>(m_size - offset);
    m_buf.resize(want);
    long long got = util::pread_full(m_fd.get(), m_buf.data(), want, offset);
    if (got < 0) {
        m_buf.clear();
        return make_error(ExitCode::io, fmt::format("{}: read at offset {}: {}", (m_dir / current_name()).string(),
                                                    offset, errno_message(static_cast<int>(-got))));
    }
    m_buf.resize(static_cast<size_t>(got));
    m_buf_start = offset;
    return std::string_view(m_buf).substr(0, std::min(n, m_buf.size()));
}

Result<std::optional<uint64_t>> Reader::find_next_record(uint64_t from) {
    uint64_t pos = from;
    while (pos < m_size) {
        auto chunk = view(pos, k_chunk);
        if (!chunk) return std::unexpected(chunk.error());
        if (chunk->empty()) break;
        size_t hit = chunk->find(k_record_magic);
        if (hit == std::string_view::npos) {
            // Keep the last 3 bytes: the magic may straddle two chunks.
            if (chunk->size() <= 3) break;
            pos += chunk->size() - 3;
            continue;
        }
        uint64_t candidate = pos + hit;
        auto head = view(candidate, k_record_prefix_size);
        if (!head) return std::unexpected(head.error());
        Decoded d = decode_record(*head);
        if (d.status == DecodeStatus::need_more) {
            auto whole = view(candidate, d.size);
            if (!whole) return std::unexpected(whole.error());
            d = decode_record(*whole);
        }
        if (d.status == DecodeStatus::ok) return std::optional<uint64_t>(candidate);
        pos = candidate + 1;
    }
    return std::optional<uint64_t>();
}

Result<ReadItem> Reader::next() {
    ReadItem item;
    if (auto st = next(item); !st) return std::unexpected(st.error());
    return item;
}

namespace {
Status put(ReadItem& out, ReadItem&& item) {
    out = std::move(item);
    return {};
}
Status put(ReadItem& out, Result<ReadItem>&& item) {
    if (!item) return std::unexpected(item.error());
    out = std::move(*item);
    return {};
}
} // namespace

Status Reader::next(ReadItem& out) {
    for (;;) {
        if (m_index >= m_files.size()) {
            if (auto st = refresh_files(); !st) return std::unexpected(st.error());
            m_index = static_cast<size_t>(std::ranges::upper_bound(m_files, m_after_last) - m_files.begin());
            if (m_after_last.empty()) m_index = 0;
            if (m_index >= m_files.size()) {
                ReadItem end;
                end.at = end.next = position();
                return put(out, std::move(end));
            }
            m_offset = 0;
        }
        if (!m_fd) {
            if (auto st = open_current(); !st) return std::unexpected(st.error());
        }
        // A copy of the file's name that the list's refresh leaves alone, made once per file.
        if (m_name != m_files[m_index]) m_name = m_files[m_index];
        const std::string& name = m_name;
        auto item_at = [&](ReadItem::Kind kind, uint64_t at, uint64_t length) {
            ReadItem item;
            item.kind = kind;
            item.at = {name, at};
            item.length = length;
            return item;
        };
        // Refreshes the list when this looks like the newest file: is there a later one now?
        auto has_successor = [&]() -> Result<bool> {
            if (is_last_file())
                if (auto st = refresh_files(); !st) return std::unexpected(st.error());
            return !is_last_file();
        };
        auto end_here = [&](uint64_t pending) {
            ReadItem end;
            end.at = end.next = {name, m_offset};
            end.pending_bytes = pending;
            // What was read may change without the file growing (a zero-filled file is written
            // in place): read it again next time.
            m_buf.clear();
            m_buf_start = 0;
            return end;
        };
        // Bytes from m_offset that are not unwritten zeros.
        auto written_bytes = [&]() -> Result<uint64_t> {
            if (!m_zero_filled) return m_size - m_offset;
            auto end = data_end(m_offset);
            if (!end) return std::unexpected(end.error());
            return *end - m_offset;
        };
        // While the file may still grow or be written: the end for now, the bytes left pending.
        auto wait_until_final = [&]() -> Result<std::optional<ReadItem>> {
            auto final = is_final();
            if (!final) return std::unexpected(final.error());
            if (*final) return std::nullopt;
            auto written = written_bytes();
            if (!written) return std::unexpected(written.error());
            return end_here(*written);
        };
        // Undecodable bytes from m_offset to the end of the file, with no valid record after them:
        // pending while the file may still grow, a torn tail once it is final.
        auto bad_tail = [&]() -> Result<ReadItem> {
            auto wait = wait_until_final();
            if (!wait) return std::unexpected(wait.error());
            if (*wait) return **wait;
            auto written = written_bytes();
            if (!written) return std::unexpected(written.error());
            ReadItem torn = item_at(ReadItem::Kind::torn_tail, m_offset, *written);
            if (is_last_file()) {
                m_offset = m_size;
                torn.next = {name, m_offset};
            } else {
                advance_file();
                torn.next = {m_files[m_index], 0};
            }
            return torn;
        };
        // Undecodable bytes at m_offset: corrupt if a valid record follows, else a bad tail.
        auto skip_bad = [&]() -> Result<ReadItem> {
            if (m_zero_filled) {
                // Possibly a record being written, seen in part: wait until the file is final.
                auto wait = wait_until_final();
                if (!wait) return std::unexpected(wait.error());
                if (*wait) return **wait;
            }
            auto found = find_next_record(m_offset + 1);
            if (!found) return std::unexpected(found.error());
            if (!*found) return bad_tail();
            ReadItem bad = item_at(ReadItem::Kind::corrupt, m_offset, **found - m_offset);
            m_offset = **found;
            bad.next = {name, m_offset};
            return bad;
        };

        if (!m_header_checked) {
            auto head = view(0, k_file_header_size);
            if (!head) return std::unexpected(head.error());
            if (head->size() < k_file_header_size) {
                if (auto st = restat(); !st) return std::unexpected(st.error());
                if (m_size >= k_file_header_size) continue; // it grew meanwhile
                m_offset = 0;
                return put(out, bad_tail());
            }
            m_header_checked = true;
            m_zero_filled = is_valid_file_header(*head) && (file_header_flags(*head) & k_flag_zero_filled);
            if (!is_valid_file_header(*head)) {
                m_offset = 0;
                auto found = find_next_record(0);
                if (!found) return std::unexpected(found.error());
                if (!*found) return put(out, bad_tail());
                ReadItem bad = item_at(ReadItem::Kind::corrupt, 0, **found);
                m_offset = **found;
                bad.next = {name, m_offset};
                return put(out, std::move(bad));
            }
            m_offset = std::max<uint64_t>(m_offset, k_file_header_size);
        }

        if (m_after_seal) {
            // The writer never writes after a seal: anything there is damage, reported once.
            if (m_offset < m_size) {
                ReadItem torn = item_at(ReadItem::Kind::torn_tail, m_offset, m_size - m_offset);
                m_offset = m_size;
                torn.next = {name, m_offset};
                return put(out, std::move(torn));
            }
            auto succ = has_successor();
            if (!succ) return std::unexpected(succ.error());
            if (!*succ) return put(out, end_here(0));
            advance_file();
            continue;
        }

        auto head = view(m_offset, k_record_prefix_size);
        if (!head) return std::unexpected(head.error());
        if (head->empty()) {
            // End of this file: it may have grown, or a later file may have appeared.
            uint64_t old_size = m_size;
            if (auto st = restat(); !st) return std::unexpected(st.error());
            if (m_size > old_size) continue;
            auto succ = has_successor();
            if (!succ) return std::unexpected(succ.error());
            if (!*succ) return put(out, end_here(0));
            advance_file();
            continue;
        }
        if (m_zero_filled && all_zero(*head)) {
            // Unwritten space: the records end here, for now (the file is still written) or for
            // good (it is final and only zeros follow). Anything else after it is damage.
            auto final = is_final();
            if (!final) return std::unexpected(final.error());
            if (!*final) return put(out, end_here(0));
            auto written = written_bytes();
            if (!written) return std::unexpected(written.error());
            if (*written > 0) return put(out, skip_bad());
            auto succ = has_successor();
            if (!succ) return std::unexpected(succ.error());
            if (!*succ) return put(out, end_here(0));
            advance_file();
            continue;
        }
        Decoded d = decode_record(*head);
        if (d.status == DecodeStatus::need_more) {
            auto whole = view(m_offset, d.size);
            if (!whole) return std::unexpected(whole.error());
            d = decode_record(*whole);
        }
        if (d.status == DecodeStatus::ok) {
            if (d.record.type == RecordType::seal) {
                m_offset += d.size;
                m_after_seal = true;
                continue;
            }
            // In place: the item's strings keep their storage from call to call.
            out.kind = ReadItem::Kind::record;
            out.record = d.record;
            out.at.file.assign(name);
            out.at.offset = m_offset;
            out.length = d.size;
            out.pending_bytes = 0;
            m_offset += d.size;
            out.next.file.assign(name);
            out.next.offset = m_offset;
            return {};
        }
        if (d.status == DecodeStatus::need_more) {
            // A record that runs past the end of the file: in the newest file it may still be
            // being written, so it is left alone (no scanning inside it); once the file is
            // final it is a torn write, or a damaged length if valid records follow.
            uint64_t old_size = m_size;
            if (auto st = restat(); !st) return std::unexpected(st.error());
            if (m_size > old_size) continue;
            auto wait = wait_until_final();
            if (!wait) return std::unexpected(wait.error());
            if (*wait) return put(out, std::move(**wait));
        }
        return put(out, skip_bad());
    }
}

} // namespace bbbhook::journal
