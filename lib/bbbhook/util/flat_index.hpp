#pragma once
// A hash index of numbers (positions in a vector the caller owns), by open addressing: a lookup
// reads one slot array and then the caller's item, where a node-based std::unordered_map reads a
// bucket, a node and, for a long key, the key's heap block (each a cache miss on a large map).
//
//   FlatIndex index;
//   uint64_t h = short_hash(key);
//   uint32_t n = index.find(h, [&](uint32_t i) { return items[i].key == key; });
//   if (n == FlatIndex::k_none) { items.push_back(...); index.insert(h, n = items.size() - 1); }
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace bbbhook::util {

inline uint64_t load_word(std::string_view s, size_t at) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + at, sizeof w);
    return w;
}

// A hash for short ids, a word at a time (std::hash's costs about three times as much on them).
inline uint64_t short_hash(std::string_view s) {
    constexpr uint64_t k_golden = 0x9e3779b97f4a7c15;
    auto mix = [](uint64_t h, uint64_t w) { return std::rotl((h ^ w) * k_golden, 29); };
    uint64_t h = s.size() * k_golden;
    if (s.size() >= 8) {
        for (size_t i = 0; i + 8 < s.size(); i += 8)
            h = mix(h, load_word(s, i));
        h = mix(h, load_word(s, s.size() - 8)); // the last word overlaps the one before
    } else {
        uint64_t w = 0;
        for (char ch : s)
            w = w << 8 | static_cast<unsigned char>(ch);
        h = mix(h, w);
    }
    return h * k_golden;
}

// Equality a word at a time: for short ids, a call to memcmp costs more than the comparison.
inline bool same_bytes(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    size_t n = a.size();
    if (n < 8) {
        for (size_t i = 0; i < n; ++i)
            if (a[i] != b[i]) return false;
        return true;
    }
    for (size_t i = 0; i + 8 < n; i += 8)
        if (load_word(a, i) != load_word(b, i)) return false;
    return load_word(a, n - 8) == load_word(b, n - 8);
}

class FlatIndex {
public:
    static constexpr uint32_t k_none = UINT32_MAX;

    // The number whose item `is(number)` accepts among those inserted with hash h, or k_none.
    template <class Is> uint32_t find(uint64_t h, Is&& is) const {
        if (m_slots.empty()) return k_none;
        uint32_t tag = tag_of(h); // compared before the item
        for (size_t i = tag >> m_shift;; i = (i + 1) & m_mask) {
            const Slot& slot = m_slots[i];
            if (slot.number == k_none) return k_none;
            if (slot.tag == tag && is(slot.number)) return slot.number;
        }
    }

    // Adds `number` (not in the index yet) under hash h; at most 3/4 of the slots are used.
    void insert(uint64_t h, uint32_t number) {
        if (4 * (m_count + 1) > 3 * m_slots.size()) grow();
        place(tag_of(h), number);
        ++m_count;
    }

    size_t size() const { return m_count; }
    // The slot array's bytes.
    size_t bytes() const { return m_slots.size() * sizeof(Slot); }

    void clear() {
        m_slots = {};
        m_count = 0;
        m_mask = 0;
        m_shift = 32;
    }

private:
    struct Slot {
        uint32_t number = k_none;
        uint32_t tag = 0;
    };

    // The hash's high half, its best mixed bits, is both the slot (its top bits) and the tag: an
    // index grows without asking for its items' hashes again.
    static uint32_t tag_of(uint64_t h) { return static_cast<uint32_t>(h >> 32); }

    void place(uint32_t tag, uint32_t number) {
        size_t i = tag >> m_shift;
        while (m_slots[i].number != k_none)
            i = (i + 1) & m_mask;
        m_slots[i] = {number, tag};
    }

    void grow() {
        std::vector<Slot> old = std::move(m_slots);
        size_t size = old.empty() ? 128 : 2 * old.size();
        m_shift = 32 - std::countr_zero(size);
        m_mask = size - 1;
        m_slots.assign(size, Slot{});
        for (const Slot& s : old)
            if (s.number != k_none) place(s.tag, s.number);
    }

    std::vector<Slot> m_slots;
    size_t m_count = 0;
    int m_shift = 32;
    size_t m_mask = 0;
};

} // namespace bbbhook::util
