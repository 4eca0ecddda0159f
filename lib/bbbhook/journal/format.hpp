#pragma once
// The journal's on-disk format, version 1 (for users: bbbhook-journal(1), FORMAT).
//
// A journal is a folder of files named NNNNNNNNNNNN-YYYYMMDDTHHMMSSZ.journal: a 12-digit sequence
// number, then the UTC creation time, so name order is write order.
//
// File   := FileHeader Record* [Seal]
// FileHeader (16 bytes) := "BBBHJRNL" u32 format_version(=1) u32 flags
//   flags bit 0 (k_flag_zero_filled): the file was written with zeros ahead of its records (a
//   prepared spare, journal/spare.hpp); zeros after the last record are unwritten space, not damage.
//   Files of versions before the flag have flags = 0.
// Record := u32 magic "BBJR" | u32 length | u32 crc | payload[length]
//   crc is CRC-32 over the 4 length bytes and then the payload, so a corrupted length is caught.
// payload := u8 version(=1) u8 type u8 auth u8 reserved | i64 received_ms
//            | u16 source_len u16 remote_len u32 target_len u32 body_len
//            | source remote target body                      (all integers little-endian)
// type 1 = request (one accepted callback), 2 = seal (the file is complete; body is JSON).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bbbhook/bbb/callback_auth.hpp"

namespace bbbhook::journal {

inline constexpr std::string_view k_file_magic = "BBBHJRNL";
inline constexpr uint32_t k_format_version = 1;
inline constexpr size_t k_file_header_size = 16;
inline constexpr std::string_view k_record_magic = "BBJR";
inline constexpr size_t k_record_prefix_size = 12; // magic, length, crc
inline constexpr size_t k_payload_fixed_size = 24; // version .. body_len
// No record may be larger than this; a length above it is corruption, not a huge record.
inline constexpr uint32_t k_max_payload = 256u << 20;
inline constexpr std::string_view k_file_suffix = ".journal";

enum class RecordType : uint8_t { request = 1, seal = 2 };

// One record. For writing, the views point at the caller's data; for reading, into the
// reader's buffer (valid until the reader moves on).
struct Record {
    RecordType type = RecordType::request;
    bbb::AuthMethod auth = bbb::AuthMethod::none;
    int64_t received_ms = 0;
    std::string_view source;
    std::string_view remote;
    std::string_view target; // request target without its checksum parameter
    std::string_view body;   // raw body bytes as received
};

inline constexpr uint32_t k_flag_zero_filled = 1;

std::string encode_file_header(uint32_t flags = 0);
bool is_valid_file_header(std::string_view bytes);
// The flags of a valid header.
uint32_t file_header_flags(std::string_view bytes);

// Appends the encoded record to `out`. Source/remote longer than 65535 bytes are truncated
// (they are names and addresses; the body and target are never truncated).
void encode_record(std::string& out, const Record& record);
size_t encoded_size(const Record& record);

enum class DecodeStatus { ok, need_more, corrupt };
struct Decoded {
    DecodeStatus status = DecodeStatus::corrupt;
    Record record;
    size_t size = 0; // bytes consumed when ok; bytes needed in total when need_more
};
// Decodes one record at the start of `bytes`.
Decoded decode_record(std::string_view bytes);

// File names: "000000000042-20261125T221100Z.journal".
std::string file_name(uint64_t sequence, int64_t created_ms);
// The sequence number of a journal file name, or nullopt if the name is not one.
std::optional<uint64_t> file_sequence(std::string_view name);

} // namespace bbbhook::journal
