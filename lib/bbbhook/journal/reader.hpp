#pragma once
// Reads a journal folder in write order, from a Position. Used by `ingest` and `journal dump`.
//
//   auto reader = Reader::open(dir, checkpoint);      // checkpoint {} = from the beginning
//   for (;;) {
//       auto item = reader->next();                    // Result<ReadItem>
//       if (!item) ...;                                // I/O error (no_input / io)
//       switch (item->kind) {
//       case ReadItem::Kind::record:    use item->record; checkpoint = item->next; break;
//       case ReadItem::Kind::corrupt:   warn about item->at; checkpoint = item->next; break;
//       case ReadItem::Kind::torn_tail: warn; checkpoint = item->next; break;   // always final
//       case ReadItem::Kind::end:       stop (or wait and call next() again to follow)
//       }
//   }
//
// What counts as what:
// - record: a whole record whose CRC checks; its views live until the next call.
// - corrupt: bytes that are not a valid record, followed by a valid record in the same file
//   (bit rot, a damaged sector). Skipped and reported, never returned as data.
// - torn_tail: undecodable bytes at the end of a file that will never grow again (a later file
//   exists, or it ends with a seal): the last write before a crash, never acknowledged; or
//   bytes after a seal. Reported and skipped.
// - end: nothing more to read now. An undecodable tail of the newest, unsealed file is not
//   skipped: it may still be being written, so `end` is returned with `pending_bytes` and the
//   position before it (it becomes a torn_tail or corrupt item once the file is final).
// Seal records end a file and are not returned.
//
// Zero-filled files (header flag k_flag_zero_filled: a spare prepared by the writer) are as long
// as their zeros, not their records. Zeros where a record should start are unwritten space: the
// end of the records for now, and for good once the file is final. Their size does not fence a
// record that is being written, so a reader may see one in part: in such a file nothing is
// skipped as corrupt until the file is final.
#include <filesystem>
#include <string>
#include <vector>

#include "bbbhook/journal/format.hpp"
#include "bbbhook/journal/position.hpp"
#include "bbbhook/util/error.hpp"
#include "bbbhook/util/fd.hpp"

namespace bbbhook::journal {

struct ReadItem {
    enum class Kind { record, corrupt, torn_tail, end };
    Kind kind = Kind::end;
    Record record;              // kind == record
    Position at;                // where the item starts
    Position next;              // where reading continues after it: the checkpoint to store
    uint64_t length = 0;        // bytes of the record, corrupt region or torn tail
    uint64_t pending_bytes = 0; // kind == end: bytes of an incomplete tail in the newest file
};

class Reader {
public:
    // Fails with no_input if the folder cannot be listed, with data if `from` points past the end
    // of its file. A `from.file` that no longer exists continues with the next file after it.
    static Result<Reader> open(std::filesystem::path dir, Position from = {});

    Result<ReadItem> next();
    // The same into `out`, whose strings are reused (the hot path of ingest).
    Status next(ReadItem& out);

    // The position reading continues from.
    Position position() const { return {current_name(), m_offset}; }

private:
    explicit Reader(std::filesystem::path dir) : m_dir(std::move(dir)) {}
    std::string current_name() const { return m_index < m_files.size() ? m_files[m_index] : m_after_last; }
    Status refresh_files();
    Status open_current();
    bool is_last_file() const { return m_index + 1 >= m_files.size(); }
    // Bytes [offset, offset+n) of the current file, fewer at its end. Valid until the next call.
    Result<std::string_view> view(uint64_t offset, size_t n);
    Status restat();
    // The next offset >= from where a valid record starts, or nullopt.
    Result<std::optional<uint64_t>> find_next_record(uint64_t from);
    void advance_file();
    // Whether the current file will never grow: a later file exists, or it ends with a seal.
    Result<bool> is_final();
    Result<bool> ends_with_seal();
    // Where the bytes of the current file that are not zeros end (>= from).
    Result<uint64_t> data_end(uint64_t from);

    std::filesystem::path m_dir;
    std::vector<std::string> m_files;
    size_t m_index = 0;
    std::string m_after_last; // position name when past the last file
    std::string m_name;       // m_files[m_index] while next() runs
    util::UniqueFd m_fd;
    uint64_t m_size = 0;
    uint64_t m_offset = 0;
    bool m_header_checked = false;
    bool m_after_seal = false;
    bool m_zero_filled = false; // the current file's header has k_flag_zero_filled
    std::string m_buf;
    uint64_t m_buf_start = 0;
};

// The bytes of a journal file that hold data: its size, or for a zero-filled file up to the end
// of its last non-zero byte (an unsealed file's zeros are space prepared ahead). Fails with
// no_input or io.
Result<uint64_t> data_size(const std::filesystem::path& file);

} // namespace bbbhook::journal
