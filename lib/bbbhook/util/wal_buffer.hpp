#pragma once
// An SQLite VFS that writes a WAL file's appends in large pieces.
//
// SQLite writes a WAL frame as two pwrite calls, its 24-byte header and its page: for ingest,
// 40,000 calls per 1M events, 12% of the SQLite thread's samples on a paravirtualized VM
// (docs/BENCHMARKS.md). This VFS is the default one, except that the appends to a WAL file are
// gathered in a 64 KiB buffer, written when it is full, before any other call on that file (read,
// sync, size, truncate, close, a write elsewhere) and right after a transaction's commit frame:
// the commit is in the file, as before, by the time SQLite publishes it to other connections. A
// crash loses only frames of a transaction that had not committed, which SQLite ignores anyway;
// a failed write fails the SQLite call that caused it, as before.
//
//   auto db = util::Db::open(path, util::Db::Mode::read_write_create, util::wal_buffer_vfs());
namespace bbbhook::util {

// The VFS's name, registered (not as the default) on the first call. Thread-safe.
const char* wal_buffer_vfs();

} // namespace bbbhook::util
