#include "bbbhook/util/text.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

namespace bbbhook::util {

std::string_view trim(std::string_view s) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string> split_list(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos) end = s.size();
        auto piece = trim(s.substr(start, end - start));
        if (!piece.empty()) out.emplace_back(piece);
        start = end + 1;
    }
    return out;
}

static char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

namespace {
// Splits "64MiB" into 64 and "MiB"; the number must be a non-negative integer.
std::optional<std::pair<uint64_t, std::string_view>> number_and_unit(std::string_view s) {
    s = trim(s);
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || ptr == s.data()) return std::nullopt;
    return std::pair{n, trim(std::string_view(ptr, static_cast<size_t>(s.data() + s.size() - ptr)))};
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}
} // namespace

namespace {
struct Unit {
    std::string_view name;
    uint64_t factor;
};

// "<number><unit>" scaled by the unit's factor; nullopt for an unknown unit or an overflow.
std::optional<uint64_t> parse_scaled(std::string_view s, std::span<const Unit> units) {
    auto nu = number_and_unit(s);
    if (!nu) return std::nullopt;
    for (const auto& u : units)
        if (nu->second == u.name) return checked_mul(nu->first, u.factor);
    return std::nullopt;
}

constexpr Unit k_size_units[] = {{"", 1},           {"B", 1},           {"K", 1024},         {"KiB", 1024},
                                 {"kB", 1000},      {"KB", 1000},       {"M", 1 << 20},      {"MiB", 1 << 20},
                                 {"MB", 1000000},   {"G", 1ull << 30},  {"GiB", 1ull << 30}, {"GB", 1000000000},
                                 {"T", 1ull << 40}, {"TiB", 1ull << 40}};
constexpr Unit k_duration_units[] = {{"", 1000},     {"ms", 1},      {"s", 1000},     {"m", 60000},
                                     {"min", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
} // namespace

std::optional<uint64_t> parse_size(std::string_view s) {
    return parse_scaled(s, k_size_units);
}

std::string format_size(uint64_t bytes) {
    static constexpr std::string_view names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t i = 0;
    uint64_t whole = bytes;
    while (whole >= 1024 && i + 1 < std::size(names) && whole % 1024 == 0) {
        whole /= 1024;
        ++i;
    }
    if (whole < 1024 || i + 1 == std::size(names)) return fmt::format("{} {}", whole, names[i]);
    double v = static_cast<double>(bytes);
    i = 0;
    while (v >= 1024 && i + 1 < std::size(names)) {
        v /= 1024;
        ++i;
    }
    return fmt::format("{:.1f} {}", v, names[i]);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
    auto ms = parse_scaled(s, k_duration_units);
    if (!ms || *ms > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(*ms));
}

std::string format_duration(std::chrono::milliseconds d) {
    auto ms = d.count();
    struct U {
        std::string_view name;
        int64_t ms;
    };
    static constexpr U units[] = {{"w", 604800000}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    for (const auto& u : units)
        if (ms != 0 && ms % u.ms == 0) return fmt::format("{}{}", ms / u.ms, u.name);
    return fmt::format("{}ms", ms);
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t sub = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates) {
    std::optional<std::string> best;
    size_t best_d = SIZE_MAX;
    for (const auto& c : candidates) {
        size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    // A plausible typo: at most a third of the word wrong (and at least one edit allowed).
    if (best && best_d <= std::max<size_t>(1, word.size() / 3)) return best;
    return std::nullopt;
}

std::string printable(std::string_view s, size_t max_len) {
    std::string out;
    size_t i = 0;
    for (; i < s.size() && out.size() < max_len; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out += static_cast<char>(c);
        else if (c == '\\')
            out += "\\\\";
        else
            out += fmt::format("\\x{:02x}", c);
    }
    if (i < s.size()) out += "…"; // input left over: the text was cut
    return out;
}

} // namespace bbbhook::util
