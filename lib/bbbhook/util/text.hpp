#pragma once
// Small text helpers: trimming, splitting, sizes ("64MiB") and durations ("1d", "250ms").
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bbbhook::util {

std::string_view trim(std::string_view s);
// Splits on `sep`, trimming each piece and dropping empty pieces.
std::vector<std::string> split_list(std::string_view s, char sep = ',');
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// Parses "1048576", "512KiB", "64MiB", "1GiB", "10MB" (powers of 1000 for kB/MB/GB).
std::optional<uint64_t> parse_size(std::string_view s);
// Human-readable size: "64 MiB", "1.5 KiB", "12 B".
std::string format_size(uint64_t bytes);

// Parses "250ms", "30s", "5m", "12h", "1d", "2w" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);
std::string format_duration(std::chrono::milliseconds d);

// Levenshtein distance, for "did you mean …?" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates);

// Escapes control bytes, backslashes and non-ASCII bytes (as \xNN) for safe one-line logging
// of untrusted text; cuts at max_len with a mark.
std::string printable(std::string_view s, size_t max_len = 200);

} // namespace bbbhook::util
