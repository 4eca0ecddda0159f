#pragma once
// CRC-32 (zlib's, the ISO-HDLC polynomial) for the journal's per-record integrity check.
#include <cstdint>
#include <string_view>

namespace bbbhook::util {

// Continues a running CRC over `bytes`; start with crc = 0.
uint32_t crc32_update(uint32_t crc, std::string_view bytes);

} // namespace bbbhook::util
