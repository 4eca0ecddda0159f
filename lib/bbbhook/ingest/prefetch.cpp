#include "bbbhook/ingest/prefetch.hpp"

namespace bbbhook::ingest {

Prefetcher::Prefetcher(journal::Reader reader, PrefetchOptions options)
    : m_reader(std::move(reader)), m_options(options), m_batches(k_batches) {
    for (auto& b : m_batches)
        m_free.push_back(&b);
    m_thread = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

Prefetcher::~Prefetcher() {
    m_thread.request_stop();
    m_changed.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

Batch& Prefetcher::next() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return !m_full.empty(); });
    Batch* b = m_full.front();
    m_full.pop_front();
    return *b;
}

void Prefetcher::recycle(Batch& batch) {
    {
        std::lock_guard lock(m_mutex);
        m_free.push_back(&batch);
    }
    m_changed.notify_all();
}

Batch* Prefetcher::acquire_free(std::stop_token& stop) {
    std::unique_lock lock(m_mutex);
    if (!m_changed.wait(lock, stop, [&] { return !m_free.empty(); })) return nullptr;
    Batch* b = m_free.front();
    m_free.pop_front();
    return b;
}

void Prefetcher::publish(Batch* batch) {
    {
        std::lock_guard lock(m_mutex);
        m_full.push_back(batch);
    }
    m_changed.notify_all();
}

bool Prefetcher::stopping(const std::stop_token& stop) const {
    return stop.stop_requested() || (m_options.stop && m_options.stop->load());
}

void Prefetcher::fill(Item& out, const journal::ReadItem& in) {
    out.kind = in.kind;
    out.at = in.at; // assignments, not constructions: the strings keep their capacity
    out.next = in.next;
    out.length = in.length;
    if (in.kind != journal::ReadItem::Kind::record) return;
    out.received_ms = in.record.received_ms;
    out.source.assign(in.record.source);
    auto ok = m_decoder.decode(in.record.body, out.callback);
    out.decoded = ok.has_value();
    if (!ok) out.error = std::move(ok.error());
}

void Prefetcher::run(std::stop_token stop) {
    for (;;) {
        Batch* b = acquire_free(stop);
        if (!b) return; // the consumer is gone
        b->size = 0;
        b->at_end = b->finished = false;
        b->error.reset();
        while (b->size < k_items && !stopping(stop)) {
            if (auto st = m_reader.next(m_read); !st) {
                b->error = st.error();
                b->finished = true;
                break;
            }
            if (m_read.kind == journal::ReadItem::Kind::end) {
                b->at_end = true;
                b->finished = !m_options.follow;
                break;
            }
            if (b->size == b->storage.size()) b->storage.emplace_back();
            fill(b->storage[b->size++], m_read);
        }
        if (stopping(stop)) b->finished = true;
        bool finished = b->finished, at_end = b->at_end;
        publish(b);
        if (finished) return;
        if (at_end) {
            // Tail the journal: wait, then look for more (the reader sees growth and new files).
            for (int64_t waited = 0; waited < m_options.follow_interval.count() && !stopping(stop); waited += 100)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

} // namespace bbbhook::ingest
