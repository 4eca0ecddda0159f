// util/flat_index: a hash index of numbers by open addressing, grown from its slots' tags alone.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "bbbhook/util/flat_index.hpp"

using namespace bbbhook;

TEST_CASE("flat index: every number inserted is found again by its item after the index has grown", "[flat_index]") {
    std::vector<std::string> items;
    util::FlatIndex index;
    auto find = [&](const std::string& key) {
        return index.find(util::short_hash(key), [&](uint32_t n) { return items[n] == key; });
    };
    for (int i = 0; i < 5000; ++i) {
        items.push_back(fmt::format("user-{}", i));
        REQUIRE(find(items.back()) == util::FlatIndex::k_none);
        index.insert(util::short_hash(items.back()), static_cast<uint32_t>(items.size() - 1));
    }
    CHECK(index.size() == 5000);
    CHECK(index.bytes() >= 5000 * 4 / 3 * 8); // at most 3/4 of its slots used
    for (uint32_t n = 0; n < items.size(); ++n)
        REQUIRE(find(items[n]) == n);
    CHECK(find("user-5000") == util::FlatIndex::k_none);
    index.clear();
    CHECK(index.bytes() == 0);
    CHECK(find("user-1") == util::FlatIndex::k_none);
}

TEST_CASE("flat index: items of the same hash are told apart by the caller's test", "[flat_index]") {
    // The people directory's case: a whole hash in common, the item decides.
    std::vector<int> items;
    util::FlatIndex index;
    const uint64_t h = 0x0123456789abcdefULL;
    for (int i = 0; i < 300; ++i) { // past two growths, all in one run of slots
        items.push_back(i * 7);
        index.insert(h, static_cast<uint32_t>(i));
    }
    for (int i = 0; i < 300; ++i)
        REQUIRE(index.find(h, [&](uint32_t n) { return items[n] == i * 7; }) == static_cast<uint32_t>(i));
    CHECK(index.find(h, [&](uint32_t n) { return items[n] == 1; }) == util::FlatIndex::k_none);
    // Another hash with the same low half: the high half is the tag.
    CHECK(index.find(h ^ (1ULL << 40), [](uint32_t) { return true; }) == util::FlatIndex::k_none);
}
