#pragma once
// CRC-32 (the ISO-HDLC polynomial, the same value as zlib's crc32 and gzip's) for the journal's
// per-record integrity check. Computed by Intel ISA-L, which folds with PCLMULQDQ where the CPU
// has it: about 8x zlib's speed, and ingest checks every byte of the journal.
#include <cstdint>
#include <string_view>

namespace bbbhook::util {

// Continues a running CRC over `bytes`; start with crc = 0.
uint32_t crc32_update(uint32_t crc, std::string_view bytes);

} // namespace bbbhook::util
