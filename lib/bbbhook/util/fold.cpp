#include "bbbhook/util/fold.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <fmt/format.h>
#include <new>
#include <sqlite3.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include "bbbhook/util/sqlite.hpp"

namespace bbbhook::util {

namespace {

// ICU's normalizers are immutable, thread-safe singletons owned by ICU; fetch them once.
struct Normalizers {
    const icu::Normalizer2* nfkd;
    const icu::Normalizer2* nfc;
};

const Normalizers& normalizers() {
    static const Normalizers n = [] {
        UErrorCode ec = U_ZERO_ERROR;
        Normalizers r{icu::Normalizer2::getNFKDInstance(ec), icu::Normalizer2::getNFCInstance(ec)};
        if (U_FAILURE(ec))
            throw Failure(ExitCode::internal, fmt::format("ICU normalization data: {}", u_errorName(ec)));
        return r;
    }();
    return n;
}

// Marks that change which letter it is in every language we see are kept: the kana voicing
// marks (か/が, は/ぱ are different syllables; NFKD splits が and halfwidth ｶﾞ alike into
// か + U+3099, and NFC puts them back). Every other nonspacing mark is an accent for search
// purposes, й and ё included: Russian users type е for ё, and search engines treat й ≈ и.
// Default-ignorable code points (soft hyphen, ZWJ/ZWNJ, BOM, variation selectors) are invisible
// and would break a substring match, as NFKC_Casefold also decides.
bool dropped(UChar32 c) {
    if (c == 0x3099 || c == 0x309A) return false;
    return u_charType(c) == U_NON_SPACING_MARK || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

// Compacts `s` in place, without allocating.
void drop_marks(icu::UnicodeString& s) {
    const int32_t len = s.length();
    UChar* buf = s.getBuffer(len);
    if (buf == nullptr) throw std::bad_alloc();
    int32_t in = 0, out = 0;
    while (in < len) {
        const int32_t start = in;
        UChar32 c;
        U16_NEXT(buf, in, len, c);
        if (dropped(c)) continue;
        for (int32_t i = start; i < in; ++i)
            buf[out++] = buf[i];
    }
    s.releaseBuffer(out);
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

void sqlite_fold(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    // Text first, then its length: the conversion may change the byte count.
    const unsigned char* text = sqlite3_value_text(argv[0]);
    if (text == nullptr) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    const auto size = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
    // Exceptions must not cross SQLite's C frames.
    try {
        std::string key = fold_for_search(std::string_view(reinterpret_cast<const char*>(text), size));
        sqlite3_result_text64(ctx, key.data(), key.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } catch (const std::bad_alloc&) {
        sqlite3_result_error_nomem(ctx);
    } catch (const std::exception& e) {
        sqlite3_result_error(ctx, e.what(), -1);
    }
}

} // namespace

std::string fold_for_search(std::string_view utf8) {
    // NFKD, mark removal and case folding are all the identity on ASCII except A-Z → a-z, and
    // most names in a Western deployment are ASCII: skip ICU for them.
    if (is_ascii(utf8)) {
        std::string key(utf8);
        for (char& c : key)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        return key;
    }
    if (utf8.size() > INT32_MAX) throw Failure(ExitCode::data, "text too long to fold (over 2 GiB)");
    const Normalizers& n = normalizers();
    UErrorCode ec = U_ZERO_ERROR;

    // Ill-formed UTF-8 becomes U+FFFD here: keys are always valid UTF-8, as SQLite wants TEXT.
    icu::UnicodeString text =
        icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    // NFKD rather than NFD: fullwidth letters, ligatures, halfwidth katakana and the like are the
    // same name typed on another keyboard, and a search key is never shown.
    icu::UnicodeString key;
    n.nfkd->normalize(text, key, ec);
    drop_marks(key);
    // Full folding (not lowercasing): ς → σ, ß → ss. Checked over every code point with ICU 72:
    // folding an NFKD, mark-free string gives an NFKD, mark-free string, so one pass is enough.
    key.foldCase(U_FOLD_CASE_DEFAULT);
    n.nfc->normalize(key, text, ec);
    if (U_FAILURE(ec)) {
        if (ec == U_MEMORY_ALLOCATION_ERROR) throw std::bad_alloc();
        throw Failure(ExitCode::internal, fmt::format("ICU normalization: {}", u_errorName(ec)));
    }
    std::string out;
    text.toUTF8String(out);
    return out;
}

bool folded_contains(std::string_view haystack, std::string_view needle_folded) {
    if (needle_folded.empty()) return true;
    // Byte search is exact on UTF-8: a valid needle can only match at a character boundary.
    return fold_for_search(haystack).find(needle_folded) != std::string::npos;
}

Status register_sqlite_fold(Db& db) {
    // Fail here rather than on the first row if ICU's data is missing.
    try {
        normalizers();
    } catch (const Failure& f) {
        return make_error(f.code(), f.what());
    }
    int rc = sqlite3_create_function_v2(db.handle(), "bbbhook_fold", 1,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr, sqlite_fold,
                                        nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        return make_error(ExitCode::internal,
                          fmt::format("sqlite: cannot register bbbhook_fold: {}", sqlite3_errmsg(db.handle())));
    return {};
}

} // namespace bbbhook::util
