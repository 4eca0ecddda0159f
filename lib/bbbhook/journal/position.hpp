#pragma once
// A place in a journal folder: a file name (not a path) and a byte offset in it.
#include <compare>
#include <cstdint>
#include <string>

namespace bbbhook::journal {

struct Position {
    std::string file;    // e.g. "000000000042-20261125T221100Z.journal"; empty = before the first file
    uint64_t offset = 0; // byte offset in that file
    auto operator<=>(const Position&) const = default;
};

} // namespace bbbhook::journal
