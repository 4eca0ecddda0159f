#pragma once
// Spare journal files, prepared ahead on their own thread: a hidden file in the journal folder
// with the file header (flag k_flag_zero_filled) and zeros up to its capacity, synced. The writer
// renames one into place when it starts its next file.
//
// Why: an fdatasync after an append that grows a file, or that writes into blocks fallocate only
// reserved, must also write the inode (size, extents) before the cache flush. Overwriting blocks
// that already hold (zero) data needs only the data write and the flush: on ext4 that halved
// the time of a group commit, and serve answered 1.4 to 1.9 times as many callbacks a second
// under load (docs/BENCHMARKS.md). The zeros go through the page cache (an append to a page not
// in memory would first read it from disk) and are written back in small pieces, so that they
// never stand long in the disk queue in front of a sync; the thread runs at the lowest CPU and
// I/O priorities.
//
//   SpareFiles spares(dir, capacity);
//   spares.request();                   // start preparing one, if none is ready or in progress
//   if (auto s = spares.take()) ...;    // a ready spare (fd, hidden path, capacity), or nothing
//
// Nothing here blocks the caller. A spare is prepared only while at least four capacities are
// free on the file system, so that a spare does not take the space the journal's own records
// need (and the writer discards a ready one when a write fails for lack of space); a failure only means no spare (the
// writer then appends to a plain file). The destructor stops the thread and removes a spare that was not taken.
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bbbhook/util/fd.hpp"

namespace bbbhook::journal {

class SpareFiles {
public:
    struct Spare {
        util::UniqueFd fd; // open for reading and writing
        std::filesystem::path path;
        uint64_t capacity = 0; // bytes of header and zeros: records fit below this without growing the file
    };

    SpareFiles(std::filesystem::path dir, uint64_t capacity);
    ~SpareFiles();
    SpareFiles(const SpareFiles&) = delete;
    SpareFiles& operator=(const SpareFiles&) = delete;

    void request();
    std::optional<Spare> take();
    bool ready();
    // Removes a ready spare: its space goes back to the file system (after a failed write).
    void discard();

    // Hidden spare files are named ".spare-*.journal.tmp"; leftovers of a crash are removed here.
    static void remove_leftovers(const std::filesystem::path& dir);
    static bool is_spare_name(std::string_view name);

private:
    void run();
    std::optional<Spare> prepare();

    std::filesystem::path m_dir;
    uint64_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_wanted = false; // guarded by m_mutex
    bool m_stop = false;
    std::optional<Spare> m_ready;
    uint64_t m_counter = 0; // names: owned by the thread
    std::thread m_thread;   // last: started when everything else exists
};

} // namespace bbbhook::journal
