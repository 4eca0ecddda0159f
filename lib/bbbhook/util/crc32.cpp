#include "bbbhook/util/crc32.hpp"

#include <algorithm>
#include <isa-l/crc.h>
#include <limits>

namespace bbbhook::util {

uint32_t crc32_update(uint32_t crc, std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t left = bytes.size();
    // ISA-L takes 64-bit lengths, but keep the loop for any platform where uint64_t is narrower.
    while (left > 0) {
        auto n = std::min<size_t>(left, std::numeric_limits<uint64_t>::max());
        crc = crc32_gzip_refl(crc, p, n);
        p += n;
        left -= n;
    }
    return crc;
}

} // namespace bbbhook::util
