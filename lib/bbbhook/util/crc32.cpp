#include "bbbhook/util/crc32.hpp"

#include <isa-l/crc.h>

namespace bbbhook::util {

uint32_t crc32_update(uint32_t crc, std::string_view bytes) {
    return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

} // namespace bbbhook::util
