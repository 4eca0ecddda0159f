#include "bbbhook/util/crc32.hpp"

#include <isa-l/crc.h>

#include "bbbhook/util/simd.hpp"

namespace bbbhook::util {

uint32_t crc32_update(uint32_t crc, std::string_view bytes) {
    uint32_t r = crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    // ISA-L's AVX-512 CRC returns without vzeroupper: the instruction after this call in the
    // journal reader took 5% of ingest's CPU (docs/BENCHMARKS.md).
    clear_upper_vector_state();
    return r;
}

} // namespace bbbhook::util
