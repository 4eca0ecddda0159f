// util/fold: search keys (NFKD, no accents, full case folding, NFC) and the SQL function
// bbbhook_fold, for case- and accent-insensitive name filters in Greek, Cyrillic, Latin and CJK.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bbbhook/util/fold.hpp"
#include "bbbhook/util/sqlite.hpp"

using namespace bbbhook;
using util::fold_for_search;
using util::folded_contains;

namespace {

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        size_t n = 0;
        uint32_t cp = 0, min = 0;
        if (b < 0x80)
            n = 0, cp = b;
        else if ((b & 0xE0) == 0xC0)
            n = 1, cp = b & 0x1F, min = 0x80;
        else if ((b & 0xF0) == 0xE0)
            n = 2, cp = b & 0x0F, min = 0x800;
        else if ((b & 0xF8) == 0xF0)
            n = 3, cp = b & 0x07, min = 0x10000;
        else
            return false;
        if (i + n >= s.size() && n > 0) return false; // truncated
        for (size_t k = 1; k <= n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (n > 0 && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
        i += n + 1;
    }
    return true;
}

// One code point as UTF-8 (the caller skips surrogates).
std::string utf8(uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

// True if `filter` (as a user types it) finds `name`.
bool finds(std::string_view filter, std::string_view name) {
    return folded_contains(name, fold_for_search(filter));
}

} // namespace

TEST_CASE("fold: Greek names match whatever the case and the accents", "[util][fold]") {
    CHECK(fold_for_search("γιώργος") == "γιωργοσ");
    CHECK(fold_for_search("ΓΙΩΡΓΟΣ") == "γιωργοσ");
    CHECK(fold_for_search("Γιώργος") == "γιωργοσ");
    for (std::string_view filter : {"γιώργος", "ΓΙΩΡΓΟΣ", "Γιώργος", "γιωργος", "ΓΙΏΡΓΟΣ"})
        for (std::string_view name : {"Γιώργος Παπαδόπουλος", "ΓΙΩΡΓΟΣ ΝΙΚΟΛΑΟΥ", "Παπαδόπουλος Γιώργος"}) {
            INFO(filter << " in " << name);
            CHECK(finds(filter, name));
        }
    CHECK_FALSE(finds("γιώργος", "Ελένη Γεωργίου"));

    CHECK(fold_for_search("Ελένη") == fold_for_search("ΕΛΕΝΗ"));
    CHECK(fold_for_search("Ελένη") == "ελενη");
    CHECK(finds("ελενη", "ΕΛΈΝΗ ΚΩΝΣΤΑΝΤΙΝΙΔΟΥ"));
    // Dialytika and the ancient iota subscript are marks too: ϊ ≈ ι, ᾳ ≈ α.
    CHECK(fold_for_search("Ϊάσονας") == "ιασονασ");
    CHECK(fold_for_search("ᾼ") == "α");
}

TEST_CASE("fold: final sigma matches sigma", "[util][fold]") {
    for (std::string_view name : {"ΟΔΥΣΣΕΑΣ", "οδυσσεας", "οδυσσέας", "Οδυσσέας", "ΟΔΥΣΣΈΑΣ"}) {
        INFO(name);
        CHECK(fold_for_search(name) == "οδυσσεασ");
    }
    // A filter ending in σ (typed in capitals) finds a name ending in ς, and the reverse.
    CHECK(finds("ΝΙΚΟΣ", "Νίκος Δημητρίου"));
    CHECK(finds("νίκος", "ΝΙΚΟΣ ΔΗΜΗΤΡΙΟΥ"));
}

TEST_CASE("fold: Cyrillic, with ё as е and й as и", "[util][fold]") {
    CHECK(fold_for_search("Ёлка") == "елка");
    CHECK(fold_for_search("ЁЛКА") == fold_for_search("елка"));
    CHECK(finds("елкин", "Дмитрий Ёлкин"));
    CHECK(finds("ЁЛКИН", "дмитрий елкин"));
    // Decided: NFD splits й into и + breve and every nonspacing mark goes, so й ≈ и, as in most
    // search engines (a filter may find a little more, never less).
    CHECK(fold_for_search("Йошкар-Ола") == "иошкар-ола");
    CHECK(finds("андреи", "Андрей Соколов"));
    CHECK(finds("андрей", "АНДРЕИ СОКОЛОВ"));
    // Ukrainian ї and Belarusian ў decompose the same way.
    CHECK(fold_for_search("КИЇВ") == fold_for_search("київ"));
    CHECK(fold_for_search("Ўладзімір") == "уладзімір"); // the і stays Belarusian і (U+0456)
}

TEST_CASE("fold: accented Latin, ß and letters without a decomposition", "[util][fold]") {
    CHECK(fold_for_search("José") == "jose");
    CHECK(fold_for_search("JOSE") == "jose");
    CHECK(fold_for_search("JOSÉ") == "jose");
    CHECK(finds("jose", "José Ramírez-García"));
    CHECK(finds("GARCIA", "José Ramírez-García"));
    CHECK(fold_for_search("Müller") == fold_for_search("MULLER"));
    CHECK(finds("muller", "Anna MÜLLER"));
    CHECK(fold_for_search("Dvořák") == "dvorak");
    CHECK(fold_for_search("François Çelik") == "francois celik");
    // Full case folding: ß and capital ẞ are ss.
    CHECK(fold_for_search("Straße") == "strasse");
    CHECK(fold_for_search("STRASSE") == "strasse");
    CHECK(fold_for_search("STRAẞE") == "strasse");
    CHECK(finds("weiss", "Weiß, Johanna"));
    // İ decomposes to I + dot above: it folds to i.
    CHECK(fold_for_search("İstanbul") == "istanbul");
    // Ł, ø, đ and Turkish ı have no decomposition: they fold in case only (documented limit).
    CHECK(fold_for_search("ŁUKASZ") == "łukasz");
    CHECK(finds("łukasz", "ŁUKASZ NOWAK"));
    CHECK_FALSE(finds("lukasz", "Łukasz Nowak"));
    CHECK(fold_for_search("Søren") == "søren");
    CHECK(fold_for_search("Işık") == "isık");
}

TEST_CASE("fold: CJK stays as it is, kana keep their voicing", "[util][fold]") {
    CHECK(fold_for_search("田中太郎") == "田中太郎");
    CHECK(finds("田中", "田中太郎"));
    CHECK_FALSE(finds("田中", "中田太郎"));
    CHECK(fold_for_search("김민준") == "김민준"); // Hangul: NFKD splits the syllables, NFC joins them
    CHECK(finds("민준", "김민준"));
    CHECK(fold_for_search("王小明") == "王小明");
    // The kana voicing marks are not accents: ガ is not カ.
    CHECK(fold_for_search("ガクト") == "ガクト");
    CHECK(fold_for_search("ガクト") != fold_for_search("カクト"));
    CHECK(fold_for_search("ぱんだ") != fold_for_search("はんた"));
}

TEST_CASE("fold: compatibility forms fold too (NFKD)", "[util][fold]") {
    CHECK(fold_for_search("ＪＯＳＥ") == "jose"); // fullwidth
    CHECK(fold_for_search("ｶﾞｸﾄ") == "ガクト");   // halfwidth katakana and voicing mark
    CHECK(fold_for_search("Ｇｉｏｒｇｏｓ") == "giorgos");
    CHECK(fold_for_search("ﬁlippo") == "filippo");                 // ligature
    CHECK(fold_for_search("Anna\u00A0Schmidt") == "anna schmidt"); // no-break space
    // Invisible default-ignorable code points go: a soft hyphen, a zero-width space.
    CHECK(fold_for_search("Jo\u00ADsé") == "jose");
    CHECK(fold_for_search("Mari\u200Ba") == "maria");
    CHECK(finds("maria", "MARI\u200BA"));
}

TEST_CASE("fold: ASCII takes a fast path with the same result", "[util][fold]") {
    CHECK(fold_for_search("Anna Schmidt") == "anna schmidt");
    CHECK(fold_for_search("O'Brien-SMITH 3rd") == "o'brien-smith 3rd");
    CHECK(fold_for_search(std::string_view("a\0B", 3)) == std::string_view("a\0b", 3));
    // Appending "é" sends the same text through ICU: the ASCII part must not change.
    for (int c = 0; c < 0x80; ++c) {
        const std::string ascii(1, static_cast<char>(c));
        INFO("byte " << c);
        CHECK(fold_for_search(ascii + "é") == fold_for_search(ascii) + "e");
    }
}

TEST_CASE("fold: empty strings", "[util][fold]") {
    CHECK(fold_for_search("").empty());
    CHECK(folded_contains("", ""));
    CHECK(folded_contains("Γιώργος", ""));
    CHECK_FALSE(folded_contains("", "a"));
    // A filter of accents only folds to nothing, and then finds everything.
    CHECK(fold_for_search("\u0301\u0308").empty());
}

TEST_CASE("fold: invalid UTF-8 becomes U+FFFD and never throws", "[util][fold]") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(fold_for_search("\xFF") == fffd);
    CHECK(fold_for_search("Ab\xFF"
                          "É") == "ab" + fffd + "e");
    CHECK(fold_for_search("Jos\xC3") == "jos" + fffd);                   // truncated é
    CHECK(fold_for_search("\xC0\xAF") == fffd + fffd);                   // overlong '/'
    CHECK(fold_for_search("\xED\xA0\x80x") == fffd + fffd + fffd + "x"); // a surrogate
    for (std::string_view bad : {"\x80", "\xC3", "\xE2\x82", "\xF4\x90\x80\x80", "\xFE\xFF", "Γιώ\xCF", "\xCE"}) {
        std::string key;
        REQUIRE_NOTHROW(key = fold_for_search(bad));
        CHECK(valid_utf8(key));
        CHECK(key.find(fffd) != std::string::npos);
    }
    // The valid parts still match.
    CHECK(finds("γιωργος", "\xFFΓΙΏΡΓΟΣ\xFE"));
}

TEST_CASE("fold: every code point folds to valid UTF-8, and folding a key changes nothing", "[util][fold]") {
    size_t bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        const std::string key = fold_for_search(utf8(cp));
        if (!valid_utf8(key) || fold_for_search(key) != key) {
            UNSCOPED_INFO("U+" << std::hex << cp);
            ++bad;
        }
    }
    CHECK(bad == 0);
}

TEST_CASE("fold: bbbhook_fold filters names inside SQLite queries", "[util][fold]") {
    auto opened = util::Db::open(":memory:");
    REQUIRE(opened);
    util::Db& db = *opened;
    REQUIRE(util::register_sqlite_fold(db));
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    const std::vector<std::string> names = {
        "Γιώργος Παπαδόπουλος", "ΓΙΩΡΓΟΣ ΝΙΚΟΛΑΟΥ", "Ελένη Γεωργίου", "Дмитрий Ёлкин", "Андрей Соколов",
        "José Ramírez",         "JOSÉ MÜLLER",      "Weiß, Johanna",  "田中太郎",      "Anna Schmidt",
    };
    {
        util::Transaction tx(db);
        auto insert = db.prepare("INSERT INTO t (name) VALUES (?1)");
        for (const auto& n : names) {
            insert.bind(1, n).run();
            insert.reset();
        }
        insert.bind(1, nullptr).run(); // a row without a name
        tx.commit();
    }
    auto matching = [&](std::string_view filter) {
        auto q = db.prepare("SELECT name FROM t WHERE instr(bbbhook_fold(name), ?1) > 0 ORDER BY id");
        q.bind(1, fold_for_search(filter));
        std::vector<std::string> out;
        while (q.step())
            out.push_back(q.text(0));
        return out;
    };
    using V = std::vector<std::string>;
    CHECK(matching("γιώργος") == V{"Γιώργος Παπαδόπουλος", "ΓΙΩΡΓΟΣ ΝΙΚΟΛΑΟΥ"});
    CHECK(matching("ΓΕΩΡΓΙΟΥ") == V{"Ελένη Γεωργίου"});
    CHECK(matching("елкин") == V{"Дмитрий Ёлкин"});
    CHECK(matching("андреи") == V{"Андрей Соколов"});
    CHECK(matching("jose") == V{"José Ramírez", "JOSÉ MÜLLER"});
    CHECK(matching("muller") == V{"JOSÉ MÜLLER"});
    CHECK(matching("WEISS") == V{"Weiß, Johanna"});
    CHECK(matching("田中") == V{"田中太郎"});
    CHECK(matching("SCHMIDT") == V{"Anna Schmidt"});
    CHECK(matching("nobody").empty());
    CHECK(matching("") == names); // an empty filter keeps every named row

    // NULL in, NULL out; numbers are read as text; invalid UTF-8 becomes U+FFFD.
    auto scalar = db.prepare("SELECT bbbhook_fold(NULL) IS NULL, bbbhook_fold(42), bbbhook_fold('ΣΟΦΊΑ'), "
                             "bbbhook_fold(CAST(x'ff41' AS TEXT))");
    REQUIRE(scalar.step());
    CHECK(scalar.int64(0) == 1);
    CHECK(scalar.text(1) == "42");
    CHECK(scalar.text(2) == "σοφια");
    CHECK(scalar.text(3) == "\xEF\xBF\xBD"
                            "a");
    // Deterministic: usable where SQLite demands it (a CHECK constraint, an index expression).
    CHECK_NOTHROW(db.exec("CREATE TABLE d (name TEXT CHECK (bbbhook_fold(name) <> 'x'))"));
    CHECK_NOTHROW(db.exec("INSERT INTO d VALUES ('Ёлка')"));
}
