#pragma once
// Search keys for names: case- and accent-insensitive substring matching with ICU, in C++ and
// inside SQLite queries. "γιώργος" finds "ΓΙΩΡΓΟΣ", "jose" finds "José", "елка" finds "Ёлка".
//
// A key is made in four steps (fold.cpp says why each):
//   1. NFKD: canonical and compatibility decomposition (é → e + ◌́, ﬁ → fi, Ａ → A, ｶ → カ);
//   2. drop nonspacing marks (accents, tonos, dialytika, breve, háček …) except the kana voicing
//      marks ◌゙ ◌゚ (が is not か), and default-ignorable code points (soft hyphen, ZWJ, BOM);
//   3. full Unicode case folding (ς and Σ → σ, ß and ẞ → ss, İ → i);
//   4. NFC.
// Consequences worth knowing: й matches и and ё matches е (like most search engines);
// letters without a decomposition keep their identity: "ł" (Łukasz), "ø", "đ", Turkish "ı" fold
// only in case (ŁUKASZ ≈ łukasz, but "lukasz" does not find "Łukasz"); CJK is unchanged.
// A key is for comparison only, never for display; and never store keys or index them (an ICU
// upgrade can change them): compute them in each query.
#include <string>
#include <string_view>

#include "bbbhook/util/error.hpp"

namespace bbbhook::util {

class Db;

// The search key of `utf8` (steps above), as NFC UTF-8. Never fails on input: each ill-formed
// UTF-8 sequence becomes U+FFFD, so the key is always valid UTF-8. Pure ASCII takes a fast path
// (ASCII lowercase). Thread-safe. Throws Failure(data) for text over 2 GiB (ICU's limit; SQLite
// stops at 1 GB), Failure(internal) if ICU's data cannot be loaded, std::bad_alloc.
std::string fold_for_search(std::string_view utf8);

// True if fold_for_search(haystack) contains `needle_folded`, which must already be a key: fold
// the needle once, outside the loop. An empty needle is contained in everything.
bool folded_contains(std::string_view haystack, std::string_view needle_folded);

// Registers the SQL function bbbhook_fold(x) on this connection: fold_for_search of x as TEXT
// (NULL gives NULL; numbers and blobs are read as their text), deterministic and innocuous, so
// that a filter is one bound parameter:
//   SELECT name FROM people WHERE instr(bbbhook_fold(name), ?1) > 0   -- ?1 = fold_for_search(filter)
// Fails with ExitCode::internal if SQLite refuses the registration.
Status register_sqlite_fold(Db& db);

} // namespace bbbhook::util
