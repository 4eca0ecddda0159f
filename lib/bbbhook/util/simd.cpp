#include "bbbhook/util/simd.hpp"

#include <immintrin.h>

namespace bbbhook::util {

namespace {

[[gnu::target("avx")]] void zero_upper() {
    _mm256_zeroupper();
}

const bool g_has_avx = __builtin_cpu_supports("avx");

} // namespace

void clear_upper_vector_state() {
    if (g_has_avx) zero_upper();
}

} // namespace bbbhook::util
