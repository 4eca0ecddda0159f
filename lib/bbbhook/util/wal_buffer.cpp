#include "bbbhook/util/wal_buffer.hpp"

#include <cstdint>
#include <cstring>
#include <sqlite3.h>

#include "bbbhook/util/error.hpp"

namespace bbbhook::util {

namespace {

// The default VFS writes at most 128 KiB - 1 bytes a call (it masks the length: its pages are at
// most 64 KiB), so the buffer is written in one call of at most 64 KiB.
constexpr sqlite3_int64 k_buffer_size = 64 * 1024;
constexpr int k_frame_header = 24; // a WAL frame's header; bytes 4-7: the database size at a commit

// A WAL file: SQLite allocates szOsFile bytes, this struct, then the default VFS's file.
struct WalFile {
    sqlite3_file base;
    sqlite3_file* real;
    char* buffer;
    sqlite3_int64 start; // the file offset of buffer[0]
    sqlite3_int64 size;  // bytes in the buffer
    sqlite3_int64 next;  // where the last write ended: a run of appends starts only there
    bool commit;         // the last write buffered was a commit frame's header: its page ends it
};
static_assert(sizeof(WalFile) % 8 == 0); // the default VFS's file follows it

sqlite3_vfs* g_default = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

WalFile* wal(sqlite3_file* f) {
    return reinterpret_cast<WalFile*>(f);
}

int flush(WalFile* f) {
    if (f->size == 0) return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buffer, static_cast<int>(f->size), f->start);
    f->size = 0; // on failure the frames are dropped: the call that fails rolls their transaction back
    return rc;
}

bool is_commit_header(const void* data, int n) {
    if (n != k_frame_header) return false;
    const auto* b = static_cast<const unsigned char*>(data);
    return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int wal_write(sqlite3_file* file, const void* data, int n, sqlite3_int64 at) {
    WalFile* f = wal(file);
    bool after_commit_header = f->commit;
    f->commit = false;
    bool buffered = true;
    if (f->size > 0 && at >= f->start && at + n <= f->start + f->size) {
        // A frame of this transaction written again (its page changed after a cache spill), or
        // over the frames of a transaction that rolled back.
        std::memcpy(f->buffer + (at - f->start), data, static_cast<size_t>(n));
    } else if ((f->size > 0 ? at == f->start + f->size : at == f->next) && f->size + n <= k_buffer_size) {
        // An append. A run starts only where the last write ended: the frame headers that SQLite
        // writes again before a commit (their checksums) go straight to the file.
        if (f->size == 0) f->start = at;
        std::memcpy(f->buffer + f->size, data, static_cast<size_t>(n));
        f->size += n;
        f->next = at + n;
    } else {
        buffered = false;
        if (int rc = flush(f); rc != SQLITE_OK) return rc;
        if (int rc = f->real->pMethods->xWrite(f->real, data, n, at); rc != SQLITE_OK) return rc;
        f->next = at + n;
    }
    if (buffered && is_commit_header(data, n)) {
        f->commit = true;
        return SQLITE_OK;
    }
    // The page after a commit frame's header: the transaction is complete, and goes to the file.
    return after_commit_header ? flush(f) : SQLITE_OK;
}

int wal_read(sqlite3_file* file, void* data, int n, sqlite3_int64 at) {
    WalFile* f = wal(file);
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xRead(f->real, data, n, at);
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
    WalFile* f = wal(file);
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    f->next = -1;
    return f->real->pMethods->xTruncate(f->real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
    WalFile* f = wal(file);
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
    WalFile* f = wal(file);
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileSize(f->real, size);
}

int wal_close(sqlite3_file* file) {
    WalFile* f = wal(file);
    int rc = flush(f);
    sqlite3_free(f->buffer);
    f->buffer = nullptr;
    int closed = f->real->pMethods->xClose(f->real);
    return rc != SQLITE_OK ? rc : closed;
}

int wal_lock(sqlite3_file* file, int level) {
    return wal(file)->real->pMethods->xLock(wal(file)->real, level);
}
int wal_unlock(sqlite3_file* file, int level) {
    return wal(file)->real->pMethods->xUnlock(wal(file)->real, level);
}
int wal_check_reserved_lock(sqlite3_file* file, int* out) {
    return wal(file)->real->pMethods->xCheckReservedLock(wal(file)->real, out);
}
int wal_file_control(sqlite3_file* file, int op, void* arg) {
    return wal(file)->real->pMethods->xFileControl(wal(file)->real, op, arg);
}
int wal_sector_size(sqlite3_file* file) {
    return wal(file)->real->pMethods->xSectorSize(wal(file)->real);
}
int wal_device_characteristics(sqlite3_file* file) {
    return wal(file)->real->pMethods->xDeviceCharacteristics(wal(file)->real);
}

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    // Any other file is the default VFS's own, in the memory SQLite gave (szOsFile is larger).
    if (!(flags & SQLITE_OPEN_WAL)) return g_default->xOpen(g_default, name, file, flags, out_flags);
    WalFile* f = wal(file);
    f->base.pMethods = nullptr;
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    if (int rc = g_default->xOpen(g_default, name, f->real, flags, out_flags); rc != SQLITE_OK) return rc;
    f->buffer = static_cast<char*>(sqlite3_malloc64(k_buffer_size));
    if (!f->buffer) {
        f->real->pMethods->xClose(f->real);
        return SQLITE_NOMEM;
    }
    f->start = f->size = 0;
    f->next = -1;
    f->commit = false;
    f->base.pMethods = &g_methods;
    return SQLITE_OK;
}

const char* register_vfs() {
    g_default = sqlite3_vfs_find(nullptr);
    if (!g_default) throw Failure(ExitCode::internal, "sqlite: no default VFS");
    g_vfs = *g_default; // every other call goes to the default VFS, with its own data
    g_vfs.zName = "bbbhook-wal-buffer";
    g_vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + g_default->szOsFile;
    g_vfs.pNext = nullptr;
    g_vfs.xOpen = open_file;
    g_methods = sqlite3_io_methods{};
    g_methods.iVersion = 1; // a WAL file has no shared memory nor memory-mapped pages
    g_methods.xClose = wal_close;
    g_methods.xRead = wal_read;
    g_methods.xWrite = wal_write;
    g_methods.xTruncate = wal_truncate;
    g_methods.xSync = wal_sync;
    g_methods.xFileSize = wal_file_size;
    g_methods.xLock = wal_lock;
    g_methods.xUnlock = wal_unlock;
    g_methods.xCheckReservedLock = wal_check_reserved_lock;
    g_methods.xFileControl = wal_file_control;
    g_methods.xSectorSize = wal_sector_size;
    g_methods.xDeviceCharacteristics = wal_device_characteristics;
    if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) throw Failure(ExitCode::internal, "sqlite: VFS not registered");
    return g_vfs.zName;
}

} // namespace

const char* wal_buffer_vfs() {
    static const char* name = register_vfs();
    return name;
}

} // namespace bbbhook::util
