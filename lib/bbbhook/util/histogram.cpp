#include "bbbhook/util/histogram.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace bbbhook::util {

Histogram::Histogram(std::vector<double> bounds) : m_bounds(std::move(bounds)), m_buckets(m_bounds.size() + 1) {}

void Histogram::observe(double value) {
    auto it = std::lower_bound(m_bounds.begin(), m_bounds.end(), value);
    m_buckets[static_cast<size_t>(it - m_bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
    double old = m_sum.load(std::memory_order_relaxed);
    while (!m_sum.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
    }
}

void Histogram::render(std::string& out, std::string_view name, std::string_view help) const {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < m_bounds.size(); ++i) {
        cumulative += m_buckets[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, m_bounds[i], cumulative);
    }
    cumulative += m_buckets.back().load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
    out += fmt::format("{}_sum {}\n{}_count {}\n", name, m_sum.load(std::memory_order_relaxed), name, cumulative);
}

} // namespace bbbhook::util
