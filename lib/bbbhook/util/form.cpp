#include "bbbhook/util/form.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BBBHOOK_FORM_X86 1
#endif

namespace bbbhook::util {

namespace {
constexpr std::array<int8_t, 256> k_hex = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int c = 0; c < 10; ++c)
        t['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; ++c) {
        t['a' + c] = static_cast<int8_t>(10 + c);
        t['A' + c] = static_cast<int8_t>(10 + c);
    }
    return t;
}();
int hex_value(char c) {
    return k_hex[static_cast<unsigned char>(c)];
}
constexpr std::string_view k_bad_escape = "'%' not followed by two hex digits";

using detail::SimdLevel;

// The SIMD decoders below only ever advance over input whose escapes are all well-formed and
// stop a block early otherwise; the scalar decoder finishes, so that it alone finds the bad '%'
// and leaves the partial output callers see on failure.

// Bytes of x that are zero, as their high bit. Bits above the lowest one may be wrong (a borrow
// propagates), but the lowest is exact: only the first special byte counts.
constexpr uint64_t zero_bytes(uint64_t x) {
    constexpr uint64_t k_ones = 0x0101010101010101;
    return (x - k_ones) & ~x & (k_ones << 7);
}

// Decodes [p, end) to `o_`, advanced past the output. Returns the bad '%', or nullptr.
const char* decode_scalar(const char* p, const char* const end, char*& o_, bool plus_is_space) {
    char* o = o_; // a local copy: a store through `char*` could alias the reference's target
    const char plus = plus_is_space ? ' ' : '+';
    const char* bad = nullptr;
    if constexpr (std::endian::native == std::endian::little) {
        // Runs without '%' or '+' go 8 bytes at a time. Stores of 8 stay in bounds while 8 input
        // bytes remain, as the decoding is never longer than the input.
        constexpr uint64_t k_ones = 0x0101010101010101;
        const uint64_t second = (plus_is_space ? uint64_t{'+'} : uint64_t{'%'}) * k_ones;
        while (end - p >= 8) {
            uint64_t w;
            std::memcpy(&w, p, 8);
            std::memcpy(o, &w, 8);
            const uint64_t special = zero_bytes(w ^ ('%' * k_ones)) | zero_bytes(w ^ second);
            if (special == 0) {
                p += 8;
                o += 8;
                continue;
            }
            const auto k = static_cast<size_t>(std::countr_zero(special) / 8);
            p += k;
            o += k;
            if (*p == '+') {
                *o++ = ' ';
                ++p;
                continue;
            }
            // JSON escapes come in runs ("%22%3A%7B"): decode the whole run here. One too close to
            // the end is left to the loop below.
            while (end - p >= 3 && *p == '%') {
                int hi = hex_value(p[1]), lo = hex_value(p[2]);
                if ((hi | lo) < 0) {
                    bad = p;
                    break;
                }
                *o++ = static_cast<char>(hi << 4 | lo);
                p += 3;
            }
            if (bad) break;
        }
    }
    while (!bad && p < end) {
        char c = *p;
        if (c == '%') {
            if (end - p < 3) {
                bad = p;
                break;
            }
            int hi = hex_value(p[1]), lo = hex_value(p[2]);
            if ((hi | lo) < 0) {
                bad = p;
                break;
            }
            *o++ = static_cast<char>(hi << 4 | lo);
            p += 3;
        } else {
            *o++ = c == '+' ? plus : c;
            ++p;
        }
    }
    o_ = o;
    return bad;
}

// The bad '%' in [p, end), or nullptr. The first bad '%' is also the first '%' anywhere that lacks
// two hex digits (a well-formed escape's digits are never '%'), so blocks need no alignment.
const char* check_scalar(const char* p, const char* const end) {
    if constexpr (std::endian::native == std::endian::little) {
        // 8 bytes at a time, every '%' in them checked; exact zero-byte flags, as all of them count.
        constexpr uint64_t k_low7 = 0x7f7f7f7f7f7f7f7f;
        while (end - p >= 10) {
            uint64_t w;
            std::memcpy(&w, p, 8);
            w ^= 0x2525252525252525; // '%' bytes become zero
            for (uint64_t percent = ~(((w & k_low7) + k_low7) | w | k_low7); percent != 0; percent &= percent - 1) {
                const char* q = p + std::countr_zero(percent) / 8;
                if ((hex_value(q[1]) | hex_value(q[2])) < 0) return q;
            }
            p += 8;
        }
    }
    // From here on p may be on an escape's digits: they are not '%', so they pass as plain bytes.
    while (p < end) {
        if (*p != '%') {
            ++p;
            continue;
        }
        if (end - p < 3 || (hex_value(p[1]) | hex_value(p[2])) < 0) return p;
        p += 3;
    }
    return nullptr;
}

#if BBBHOOK_FORM_X86

// AVX2 (Haswell, Zen and later): 32 bytes a step. The decoded bytes are compacted 8 at a time
// with pshufb, the shuffle taken from this table of the kept bytes' indexes.
constexpr std::array<uint64_t, 256> k_pack8 = [] {
    std::array<uint64_t, 256> t{};
    for (unsigned keep = 0; keep < 256; ++keep) {
        unsigned n = 0;
        for (unsigned i = 0; i < 8; ++i)
            if (keep >> i & 1) t[keep] |= uint64_t{i} << (8 * n++);
    }
    return t;
}();

// A byte's hex digit class, looked up by nibbles: 0x10 for '0'-'9', 0x09 for 'A'-'F' and 'a'-'f'
// (the 9 that their low nibble, 1-6, lacks), 0 for any other byte. `value` is the digit's value,
// and below 16 for any byte, so that shifting it left by 4 in a 16-bit lane cannot spill over.
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i hex_class_avx2(__m256i v, __m256i& value) {
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    const __m256i by_low =
        _mm256_setr_epi8(0x10, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x10, 0x10, 0x10, 0, 0, 0, 0, 0, 0, 0x10, 0x19, 0x19,
                         0x19, 0x19, 0x19, 0x19, 0x10, 0x10, 0x10, 0, 0, 0, 0, 0, 0);
    const __m256i by_high = _mm256_setr_epi8(0, 0, 0, 0x10, 0x09, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
                                             0x09, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i low = _mm256_and_si256(v, nibble);
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
    const __m256i cls = _mm256_and_si256(_mm256_shuffle_epi8(by_low, low), _mm256_shuffle_epi8(by_high, high));
    value = _mm256_add_epi8(low, _mm256_and_si256(cls, _mm256_set1_epi8(9)));
    return cls;
}

// The '%' in the 32 bytes at p, and those of them not followed by two hex digits (reads 34 bytes).
struct Escapes256 {
    uint32_t percent, bad;
};
[[gnu::target("avx2"), gnu::always_inline]] inline Escapes256 escapes_avx2(__m256i v0, const char* p, __m256i& h1,
                                                                           __m256i& h2) {
    const __m256i c1 = hex_class_avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1)), h1);
    const __m256i c2 = hex_class_avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2)), h2);
    const __m256i not_hex = _mm256_cmpeq_epi8(_mm256_min_epu8(c1, c2), _mm256_setzero_si256());
    const auto percent = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8('%'))));
    return {percent, percent & static_cast<uint32_t>(_mm256_movemask_epi8(not_hex))};
}

[[gnu::target("avx2,popcnt")]] void decode_avx2(const char*& p_, const char* const end, char*& o_, bool plus_is_space) {
    const char* p = p_;
    char* o = o_;
    const __m256i percent = _mm256_set1_epi8('%');
    const __m256i plus = _mm256_set1_epi8('+');
    const __m256i plus_to_space = _mm256_set1_epi8(plus_is_space ? '+' ^ ' ' : 0); // xor'ed into each '+'
    const __m256i second_half = _mm256_setr_epi64x(0, 0x0808080808080808, 0, 0x0808080808080808);
    // A step reads 34 bytes (an escape may start at byte 31) and writes at most 32.
    while (end - p >= 34) {
        const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        __m256i h1, h2;
        const auto [pct, bad] = escapes_avx2(v0, p, h1, h2);
        if (bad != 0) break;
        const __m256i decoded = _mm256_or_si256(_mm256_slli_epi16(h1, 4), h2);
        const __m256i plain = _mm256_xor_si256(v0, _mm256_and_si256(_mm256_cmpeq_epi8(v0, plus), plus_to_space));
        const __m256i bytes = _mm256_blendv_epi8(plain, decoded, _mm256_cmpeq_epi8(v0, percent));
        // Drop each escape's two digits; those of an escape at byte 30 or 31 spill into the next step.
        const uint64_t digits = uint64_t{pct} << 1 | uint64_t{pct} << 2;
        const auto keep = static_cast<uint32_t>(~digits);
        const __m256i shuffle = _mm256_setr_epi64x(
            static_cast<long long>(k_pack8[keep & 0xff]), static_cast<long long>(k_pack8[keep >> 8 & 0xff]),
            static_cast<long long>(k_pack8[keep >> 16 & 0xff]), static_cast<long long>(k_pack8[keep >> 24]));
        const __m256i packed = _mm256_shuffle_epi8(bytes, _mm256_add_epi8(shuffle, second_half));
        const __m128i lo = _mm256_castsi256_si128(packed);
        const __m128i hi = _mm256_extracti128_si256(packed, 1);
        // Four 8-byte stores, each overwriting the previous one's unused tail.
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o), lo);
        o += _mm_popcnt_u32(keep & 0xff);
        _mm_storeh_pi(reinterpret_cast<__m64*>(o), _mm_castsi128_ps(lo));
        o += _mm_popcnt_u32(keep >> 8 & 0xff);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o), hi);
        o += _mm_popcnt_u32(keep >> 16 & 0xff);
        _mm_storeh_pi(reinterpret_cast<__m64*>(o), _mm_castsi128_ps(hi));
        o += _mm_popcnt_u32(keep >> 24);
        p += 32 + (pct >> 30);
    }
    p_ = p;
    o_ = o;
}

// The bad '%' in the 32 bytes at p, as a bit mask (reads 34 bytes).
[[gnu::target("avx2"), gnu::always_inline]] inline uint32_t bad_escapes_avx2(const char* p) {
    __m256i h1, h2;
    return escapes_avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), p, h1, h2).bad;
}

[[gnu::target("avx2")]] const char* check_avx2(const char* p, const char* const end) {
    if (end - p < 34) return check_scalar(p, end);
    for (; end - p >= 34; p += 32)
        if (uint32_t bad = bad_escapes_avx2(p)) return p + std::countr_zero(bad);
    // The last step overlaps bytes already checked (harmless: see check_scalar); a '%' in the
    // last two bytes is bad whatever precedes it.
    if (uint32_t bad = bad_escapes_avx2(end - 34)) return end - 34 + std::countr_zero(bad);
    return check_scalar(end - 2, end);
}

// AVX-512 with VBMI2 (Ice Lake, Zen 4 and later): 64 bytes a step, compacted by vpcompressb;
// masked loads and stores handle the tail, which reads as zeros.
#define BBBHOOK_TARGET_AVX512 gnu::target("avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")

// The low n bits, for n < 256 (BZHI reads 8 bits of n).
[[BBBHOOK_TARGET_AVX512, gnu::always_inline]] inline __mmask64 low_bits(size_t n) {
    return _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(n));
}

// Which bytes are hex digits, and their values (below 16 for any byte, as in hex_class_avx2).
[[BBBHOOK_TARGET_AVX512, gnu::always_inline]] inline __mmask64 hex_digits_avx512(__m512i v, __m512i& value) {
    const __m512i d = _mm512_sub_epi8(v, _mm512_set1_epi8('0'));
    const __m512i l = _mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)), _mm512_set1_epi8('a'));
    const __mmask64 is_digit = _mm512_cmplt_epu8_mask(d, _mm512_set1_epi8(10));
    const __mmask64 is_letter = _mm512_cmplt_epu8_mask(l, _mm512_set1_epi8(6));
    value = _mm512_mask_add_epi8(_mm512_and_si512(d, _mm512_set1_epi8(0x0f)), is_letter, l, _mm512_set1_epi8(10));
    return is_digit | is_letter;
}

// The 64 bytes at p, of the n left: whole, or (k_tail) only the first n, the rest read as zeros.
template <bool k_tail>
[[BBBHOOK_TARGET_AVX512, gnu::always_inline]] inline __m512i load_avx512(const char* p, size_t n) {
    if constexpr (k_tail)
        return _mm512_maskz_loadu_epi8(low_bits(n), p);
    else
        return _mm512_loadu_si512(p);
}

// The bytes at p (n >= 2 left; k_tail unless n >= 66), their '%' and those of them not followed by
// two hex digits, and the values of the two following bytes as hex digits.
struct Escapes512 {
    __m512i bytes, high, low;
    __mmask64 percent, bad;
};
template <bool k_tail>
[[BBBHOOK_TARGET_AVX512, gnu::always_inline]] inline Escapes512 escapes_avx512(const char* p, size_t n) {
    Escapes512 e;
    e.bytes = load_avx512<k_tail>(p, n);
    const __mmask64 ok1 = hex_digits_avx512(load_avx512<k_tail>(p + 1, n - 1), e.high);
    const __mmask64 ok2 = hex_digits_avx512(load_avx512<k_tail>(p + 2, n - 2), e.low);
    e.percent = _mm512_cmpeq_epi8_mask(e.bytes, _mm512_set1_epi8('%'));
    e.bad = e.percent & ~(ok1 & ok2);
    return e;
}

// Decodes one step at p (as escapes_avx512); false, having written nothing, if an escape is bad.
template <bool k_tail>
[[BBBHOOK_TARGET_AVX512, gnu::always_inline]] inline bool decode_step_avx512(const char*& p, char*& o, size_t n,
                                                                             __mmask64 plus_mask) {
    const Escapes512 e = escapes_avx512<k_tail>(p, n);
    if (e.bad != 0) return false;
    const __m512i decoded = _mm512_or_si512(_mm512_slli_epi16(e.high, 4), e.low);
    const __mmask64 plus = _mm512_cmpeq_epi8_mask(e.bytes, _mm512_set1_epi8('+')) & plus_mask;
    __m512i bytes = _mm512_mask_mov_epi8(e.bytes, plus, _mm512_set1_epi8(' '));
    bytes = _mm512_mask_mov_epi8(bytes, e.percent, decoded);
    const __mmask64 keep = ~(e.percent << 1 | e.percent << 2) & (k_tail ? low_bits(n) : ~__mmask64{0});
    const __m512i packed = _mm512_maskz_compress_epi8(keep, bytes);
    const auto count = static_cast<size_t>(_mm_popcnt_u64(keep));
    // The decoding is never longer than the input: a whole store fits while 64 bytes are left.
    if (!k_tail || n >= 64)
        _mm512_storeu_si512(o, packed);
    else
        _mm512_mask_storeu_epi8(o, low_bits(count), packed);
    o += count;
    // The digits of an escape at byte 62 or 63 spill into the next step.
    const size_t step = 64 + static_cast<size_t>(e.percent >> 62);
    p += k_tail ? std::min(n, step) : step;
    return true;
}

[[BBBHOOK_TARGET_AVX512]] void decode_avx512(const char*& p_, const char* const end, char*& o_, bool plus_is_space) {
    const char* p = p_;
    char* o = o_;
    const __mmask64 plus_mask = plus_is_space ? ~__mmask64{0} : 0;
    size_t n;
    bool ok = true;
    // A step reads 66 bytes (an escape may start at byte 63); masked loads and stores do the rest
    // but a last byte, left to the scalar decoder.
    while (ok && (n = static_cast<size_t>(end - p)) >= 66)
        ok = decode_step_avx512<false>(p, o, n, plus_mask);
    while (ok && (n = static_cast<size_t>(end - p)) >= 2)
        ok = decode_step_avx512<true>(p, o, n, plus_mask);
    p_ = p;
    o_ = o;
}

[[BBBHOOK_TARGET_AVX512]] const char* check_avx512(const char* p, const char* const end) {
    size_t n;
    for (; (n = static_cast<size_t>(end - p)) >= 66; p += 64)
        if (__mmask64 bad = escapes_avx512<false>(p, n).bad) return p + std::countr_zero(bad);
    for (; (n = static_cast<size_t>(end - p)) >= 2; p += std::min<size_t>(n, 64))
        if (__mmask64 bad = escapes_avx512<true>(p, n).bad) return p + std::countr_zero(bad);
    return check_scalar(p, end);
}
#undef BBBHOOK_TARGET_AVX512

#endif // BBBHOOK_FORM_X86

// What this CPU can run, found once.
struct Cpu {
    bool avx2 = false, avx512 = false;
};
const Cpu& cpu() {
    static const Cpu found = [] {
        Cpu c;
#if BBBHOOK_FORM_X86
        // Checks the OS's support for the wider registers too (XGETBV), not only CPUID.
        __builtin_cpu_init();
        c.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
        c.avx512 = c.avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2");
#endif
        return c;
    }();
    return found;
}

bool supported(SimdLevel level) {
    switch (level) {
    case SimdLevel::scalar: return true;
    case SimdLevel::avx2: return cpu().avx2;
    case SimdLevel::avx512: return cpu().avx512;
    }
    return false;
}

SimdLevel best_level() {
    return cpu().avx512 ? SimdLevel::avx512 : cpu().avx2 ? SimdLevel::avx2 : SimdLevel::scalar;
}

std::unexpected<FormError> bad_escape(size_t offset) {
    return std::unexpected(FormError{offset, std::string(k_bad_escape)});
}

// Shorter values (a callback's domain and timestamp) are cheaper to decode 8 bytes at a time than
// to set up a vector step for.
constexpr size_t k_simd_min = 32;

// `level` must be supported.
std::expected<void, FormError> decode(std::string_view s, std::string& out, bool plus_is_space, SimdLevel level) {
    if (s.size() < k_simd_min) level = SimdLevel::scalar;
    const size_t start = out.size();
    const char* bad = nullptr;
    // The decoding is never longer than the input: write straight into the string.
    out.resize_and_overwrite(start + s.size(), [&](char* buf, size_t) {
        char* o = buf + start;
        const char* p = s.data();
        const char* const end = p + s.size();
        switch (level) {
        case SimdLevel::scalar: break;
#if BBBHOOK_FORM_X86
        case SimdLevel::avx2: decode_avx2(p, end, o, plus_is_space); break;
        case SimdLevel::avx512: decode_avx512(p, end, o, plus_is_space); break;
#else
        default: break;
#endif
        }
        bad = decode_scalar(p, end, o, plus_is_space);
        return static_cast<size_t>(o - buf);
    });
    if (bad) return bad_escape(static_cast<size_t>(bad - s.data()));
    return {};
}

std::expected<void, FormError> check(std::string_view s, SimdLevel level) {
    if (s.size() < k_simd_min) level = SimdLevel::scalar;
    const char* const end = s.data() + s.size();
    const char* bad = nullptr;
    switch (level) {
    case SimdLevel::scalar: bad = check_scalar(s.data(), end); break;
#if BBBHOOK_FORM_X86
    case SimdLevel::avx2: bad = check_avx2(s.data(), end); break;
    case SimdLevel::avx512: bad = check_avx512(s.data(), end); break;
#else
    default: bad = check_scalar(s.data(), end); break;
#endif
    }
    if (bad) return bad_escape(static_cast<size_t>(bad - s.data()));
    return {};
}
} // namespace

namespace detail {

bool simd_level_supported(SimdLevel level) {
    return supported(level);
}

std::expected<void, FormError> percent_decode_append(std::string_view s, std::string& out, bool plus_is_space,
                                                     SimdLevel level) {
    return decode(s, out, plus_is_space, supported(level) ? level : SimdLevel::scalar);
}

std::expected<void, FormError> check_escapes(std::string_view s, SimdLevel level) {
    return check(s, supported(level) ? level : SimdLevel::scalar);
}

} // namespace detail

std::expected<void, FormError> percent_decode_append(std::string_view s, std::string& out, bool plus_is_space) {
    return decode(s, out, plus_is_space, best_level());
}

std::expected<std::string, FormError> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    if (auto r = percent_decode_append(s, out, plus_is_space); !r) return std::unexpected(r.error());
    return out;
}

std::expected<void, FormError> check_escapes(std::string_view s) {
    return check(s, best_level());
}

std::expected<std::vector<FormField>, FormError> parse_form(std::string_view body) {
    std::vector<FormField> fields;
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t end = body.find('&', pos);
        if (end == std::string_view::npos) end = body.size();
        std::string_view piece = body.substr(pos, end - pos);
        if (!piece.empty()) {
            size_t eq = piece.find('=');
            auto name = percent_decode(piece.substr(0, eq));
            if (!name) return std::unexpected(FormError{pos + name.error().offset, name.error().message});
            std::string value;
            if (eq != std::string_view::npos) {
                auto v = percent_decode(piece.substr(eq + 1));
                if (!v) return std::unexpected(FormError{pos + eq + 1 + v.error().offset, v.error().message});
                value = std::move(*v);
            }
            fields.push_back({std::move(*name), std::move(value)});
        }
        pos = end + 1;
    }
    return fields;
}

std::expected<void, FormError> check_form(std::string_view body, std::string_view required) {
    bool found = false;
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t end = body.find('&', pos);
        if (end == std::string_view::npos) end = body.size();
        std::string_view piece = body.substr(pos, end - pos);
        if (auto ok = check_escapes(piece); !ok)
            return std::unexpected(FormError{pos + ok.error().offset, ok.error().message});
        if (!found) {
            std::string_view name = piece.substr(0, piece.find('='));
            // Names are plain ASCII in practice; decode only the rare encoded one.
            if (name.find_first_of("%+") == std::string_view::npos)
                found = name == required;
            else if (auto decoded = percent_decode(name))
                found = *decoded == required;
        }
        pos = end + 1;
    }
    if (!found) return std::unexpected(FormError{body.size(), "the form has no '" + std::string(required) + "' field"});
    return {};
}

const std::string* form_value(const std::vector<FormField>& fields, std::string_view name) {
    for (const auto& f : fields)
        if (f.name == name) return &f.value;
    return nullptr;
}

} // namespace bbbhook::util
