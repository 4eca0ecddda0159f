#pragma once
// A fixed-bucket histogram with atomic counters, rendered in Prometheus text format.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bbbhook::util {

class Histogram {
public:
    // `bounds` are the upper bounds ("le") of the buckets, ascending; +Inf is implicit.
    explicit Histogram(std::vector<double> bounds);

    void observe(double value);
    // Appends "# TYPE" and the _bucket/_sum/_count lines; `labels` is e.g. `source="a"` or "".
    void render(std::string& out, std::string_view name, std::string_view help) const;
    uint64_t count() const { return m_count.load(std::memory_order_relaxed); }

private:
    std::vector<double> m_bounds;
    std::vector<std::atomic<uint64_t>> m_buckets; // one per bound, plus +Inf
    std::atomic<uint64_t> m_count{0};
    std::atomic<double> m_sum{0};
};

} // namespace bbbhook::util
