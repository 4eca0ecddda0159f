#include "bbbhook/journal/format.hpp"

#include <charconv>
#include <cstring>
#include <fmt/format.h>

#include "bbbhook/util/crc32.hpp"
#include "bbbhook/util/time.hpp"

namespace bbbhook::journal {

namespace {
template <class T> void put(std::string& out, T v) {
    for (size_t i = 0; i < sizeof(T); ++i)
        out += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
}
template <class T> T get(const char* p) {
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
        v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return static_cast<T>(v);
}
size_t clamp16(size_t n) {
    return n > 0xffff ? 0xffff : n;
}
} // namespace

std::string encode_file_header(uint32_t flags) {
    std::string h(k_file_magic);
    put<uint32_t>(h, k_format_version);
    put<uint32_t>(h, flags);
    return h;
}

bool is_valid_file_header(std::string_view b) {
    // Unknown flag bits mean a damaged header (or a newer writer): its records are still read.
    return b.size() >= k_file_header_size && b.substr(0, 8) == k_file_magic &&
           get<uint32_t>(b.data() + 8) == k_format_version && (get<uint32_t>(b.data() + 12) & ~k_flag_zero_filled) == 0;
}

uint32_t file_header_flags(std::string_view b) {
    return get<uint32_t>(b.data() + 12);
}

size_t encoded_size(const Record& r) {
    return k_record_prefix_size + k_payload_fixed_size + clamp16(r.source.size()) + clamp16(r.remote.size()) +
           r.target.size() + r.body.size();
}

void encode_record(std::string& out, const Record& r) {
    auto source = r.source.substr(0, clamp16(r.source.size()));
    auto remote = r.remote.substr(0, clamp16(r.remote.size()));
    size_t payload = k_payload_fixed_size + source.size() + remote.size() + r.target.size() + r.body.size();
    size_t start = out.size();
    out.reserve(start + k_record_prefix_size + payload);
    out += k_record_magic;
    put<uint32_t>(out, static_cast<uint32_t>(payload));
    put<uint32_t>(out, 0); // crc, filled below
    out += static_cast<char>(1);
    out += static_cast<char>(r.type);
    out += static_cast<char>(r.auth);
    out += '\0';
    put<int64_t>(out, r.received_ms);
    put<uint16_t>(out, static_cast<uint16_t>(source.size()));
    put<uint16_t>(out, static_cast<uint16_t>(remote.size()));
    put<uint32_t>(out, static_cast<uint32_t>(r.target.size()));
    put<uint32_t>(out, static_cast<uint32_t>(r.body.size()));
    out += source;
    out += remote;
    out += r.target;
    out += r.body;
    std::string_view all(out.data() + start, out.size() - start);
    uint32_t crc = util::crc32_update(0, all.substr(4, 4));
    crc = util::crc32_update(crc, all.substr(k_record_prefix_size));
    std::string crc_bytes;
    put<uint32_t>(crc_bytes, crc);
    std::memcpy(out.data() + start + 8, crc_bytes.data(), 4);
}

Decoded decode_record(std::string_view b) {
    Decoded d;
    if (b.size() < k_record_prefix_size) {
        // A prefix of the magic may still be a record being written.
        bool prefix_ok =
            b.substr(0, std::min<size_t>(4, b.size())) == k_record_magic.substr(0, std::min<size_t>(4, b.size()));
        d.status = prefix_ok ? DecodeStatus::need_more : DecodeStatus::corrupt;
        d.size = k_record_prefix_size;
        return d;
    }
    if (b.substr(0, 4) != k_record_magic) return d;
    uint32_t len = get<uint32_t>(b.data() + 4);
    if (len < k_payload_fixed_size || len > k_max_payload) return d;
    if (b.size() < k_record_prefix_size + len) {
        d.status = DecodeStatus::need_more;
        d.size = k_record_prefix_size + len;
        return d;
    }
    uint32_t crc = util::crc32_update(0, b.substr(4, 4));
    crc = util::crc32_update(crc, b.substr(k_record_prefix_size, len));
    if (crc != get<uint32_t>(b.data() + 8)) return d;
    const char* p = b.data() + k_record_prefix_size;
    if (static_cast<uint8_t>(p[0]) != 1) return d; // unknown record version
    auto type = static_cast<uint8_t>(p[1]);
    if (type != 1 && type != 2) return d;
    d.record.type = static_cast<RecordType>(type);
    d.record.auth = static_cast<bbb::AuthMethod>(static_cast<uint8_t>(p[2]));
    d.record.received_ms = get<int64_t>(p + 4);
    size_t ls = get<uint16_t>(p + 12), lr = get<uint16_t>(p + 14);
    size_t lt = get<uint32_t>(p + 16), lb = get<uint32_t>(p + 20);
    if (k_payload_fixed_size + ls + lr + lt + lb != len) return d;
    const char* s = p + k_payload_fixed_size;
    d.record.source = {s, ls};
    d.record.remote = {s + ls, lr};
    d.record.target = {s + ls + lr, lt};
    d.record.body = {s + ls + lr + lt, lb};
    d.status = DecodeStatus::ok;
    d.size = k_record_prefix_size + len;
    return d;
}

std::string file_name(uint64_t sequence, int64_t created_ms) {
    return fmt::format("{:012}-{}{}", sequence, util::format_compact_utc(created_ms), k_file_suffix);
}

std::optional<uint64_t> file_sequence(std::string_view name) {
    // NNNNNNNNNNNN-YYYYMMDDTHHMMSSZ.journal
    constexpr size_t k_len = 12 + 1 + 16 + 8;
    if (name.size() != k_len || !name.ends_with(k_file_suffix) || name[12] != '-' || name[21] != 'T' || name[28] != 'Z')
        return std::nullopt;
    uint64_t seq = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + 12, seq);
    if (ec != std::errc() || p != name.data() + 12) return std::nullopt;
    return seq;
}

} // namespace bbbhook::journal
