#pragma once
// Reads and decodes the journal on its own thread, a few batches ahead of the thread that
// sessionizes and writes SQLite: CRC checks, form and JSON decoding overlap with the writes.
//
//   Prefetcher pre(std::move(reader), {.follow = false});
//   for (;;) {
//       Batch& b = pre.next();            // blocks until the reader thread has one
//       for (const Item& item : b.items()) ...;
//       bool done = b.finished;
//       pre.recycle(b);                   // hand its storage back (reused: no allocation when warm)
//       if (done) break;
//   }
//
// Memory is bounded: k_batches batches of at most k_items items each are in flight.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "bbbhook/bbb/events.hpp"
#include "bbbhook/journal/reader.hpp"

namespace bbbhook::ingest {

// One journal item as the reader thread hands it over.
struct Item {
    journal::ReadItem::Kind kind = journal::ReadItem::Kind::end; // record, corrupt or torn_tail
    journal::Position at, next;
    uint64_t length = 0;
    int64_t received_ms = 0; // record
    std::string source;      // record
    bool decoded = false;    // record: `callback` holds it; else `error` says why not
    std::string error;       // record that did not decode
    bbb::Callback callback;  // record
};

struct Batch {
    std::vector<Item> storage;
    size_t size = 0;
    bool at_end = false;   // the journal had no more after these items (for now, when following)
    bool finished = false; // the reader thread stopped: end of a one-shot read, stop, or error
    std::optional<Error> error;
    std::span<const Item> items() const { return {storage.data(), size}; }
    // The consumer may move strings out of the items (their storage is reused when recycled).
    std::span<Item> items() { return {storage.data(), size}; }
};

struct PrefetchOptions {
    bool follow = false; // at the end, wait and look again instead of finishing
    std::chrono::milliseconds follow_interval = std::chrono::seconds(1);
    const std::atomic<bool>* stop = nullptr; // set (by a signal handler) to finish early
};

class Prefetcher {
public:
    // 3,072 items, about 3 MB: the SQLite thread's bursts (a commit, ended meetings written
    // between batches) last up to ~10 ms. With 2,048 items in 4 batches the reader stalled
    // during them and the SQLite thread then waited for it, each for 15-20% of the run; smaller
    // batches also hand over sooner. 1.96 -> 1.70 s per 1M events; 16 batches were no faster
    // and cost another MB of the 64 MiB budget (docs/BENCHMARKS.md).
    static constexpr size_t k_batches = 12;
    static constexpr size_t k_items = 256;

    Prefetcher(journal::Reader reader, PrefetchOptions options);
    ~Prefetcher(); // stops the reader thread and waits for it
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    // The next batch in journal order; blocks until there is one. After a batch with
    // `finished`, do not call next() again.
    Batch& next();
    void recycle(Batch& batch);

private:
    void run(std::stop_token stop);
    Batch* acquire_free(std::stop_token& stop);
    void publish(Batch* batch);
    bool stopping(const std::stop_token& stop) const;
    void fill(Item& out, const journal::ReadItem& in);

    journal::Reader m_reader;
    journal::ReadItem m_read; // reused: its strings keep their storage
    PrefetchOptions m_options;
    bbb::CallbackDecoder m_decoder;
    std::vector<Batch> m_batches;
    std::mutex m_mutex;
    std::condition_variable_any m_changed;
    std::deque<Batch*> m_full, m_free;
    std::jthread m_thread; // last: started when everything else exists
};

} // namespace bbbhook::ingest
