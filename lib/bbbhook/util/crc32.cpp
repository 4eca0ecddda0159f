#include "bbbhook/util/crc32.hpp"

#include <limits>
#include <zlib.h>

namespace bbbhook::util {

uint32_t crc32_update(uint32_t crc, std::string_view bytes) {
    uLong c = crc;
    const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
    size_t left = bytes.size();
    // zlib takes uInt lengths; feed huge inputs in pieces.
    while (left > 0) {
        auto n = static_cast<uInt>(std::min<size_t>(left, std::numeric_limits<uInt>::max()));
        c = ::crc32(c, p, n);
        p += n;
        left -= n;
    }
    return static_cast<uint32_t>(c);
}

} // namespace bbbhook::util
