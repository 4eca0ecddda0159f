// util/wal_buffer: a WAL written through the buffering VFS holds every commit, for other
// connections at once and after a crash, and a failed write fails the commit.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bbbhook/util/sqlite.hpp"
#include "bbbhook/util/wal_buffer.hpp"
#include "support/support.hpp"

using namespace bbbhook;

namespace {

util::Db open_buffered(const std::filesystem::path& path, int cache_pages) {
    auto db = util::Db::open(path, util::Db::Mode::read_write_create, util::wal_buffer_vfs());
    REQUIRE(db);
    db->exec("PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=" + std::to_string(cache_pages));
    db->exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, n INTEGER, payload BLOB)");
    return std::move(*db);
}

// Transaction c: its rows' payloads are 200 bytes to 6 KB, and it rewrites some rows of earlier
// transactions, so that a small page cache spills and writes pages of the open transaction again.
// Nothing is read after the commit (a read of the WAL would write out what is buffered).
void transaction(util::Db& db, int c) {
    util::Transaction tx(db);
    util::Stmt insert(db, "INSERT INTO t (n, payload) VALUES (?, ?)");
    int rows = 1 + (c * 7) % 40;
    for (int r = 0; r < rows; ++r) {
        std::string payload(static_cast<size_t>(200 + (c * 131 + r * 977) % 6000), static_cast<char>('a' + r % 26));
        insert.bind(1, int64_t{c}).bind_blob(2, payload).run();
        insert.reset();
    }
    db.exec("UPDATE t SET n = n + 1 WHERE id % 17 = " + std::to_string(c % 17));
    tx.commit();
}

// 300 rows of 3 KB, then each of them changed: with a small page cache, pages spilled to the WAL
// are written again in place, and the commit writes the frame headers after them again.
void spilling_transaction(util::Db& db) {
    util::Transaction tx(db);
    db.exec("INSERT INTO t (n, payload) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300) "
            "SELECT i, zeroblob(3000) FROM s");
    db.exec("UPDATE t SET n = n + 1000 WHERE id > (SELECT max(id) - 300 FROM t)");
    tx.commit();
}

// The same rows, rolled back: with a small page cache, its frames were written (or buffered), and
// the next transaction's frames go over them.
void rolled_back_transaction(util::Db& db) {
    util::Transaction tx(db);
    db.exec("INSERT INTO t (n, payload) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300) "
            "SELECT i, zeroblob(3000) FROM s");
} // not committed: rolled back

std::pair<int64_t, int64_t> contents(util::Db& db) {
    auto st = db.prepare("SELECT count(*), total(n) FROM t");
    REQUIRE(st.step());
    return {st.int64(0), st.int64(1)};
}

std::string integrity(util::Db& db) {
    auto st = db.prepare("PRAGMA integrity_check");
    REQUIRE(st.step());
    return st.text(0);
}

// Runs `child` in a forked process; returns its exit status (or 128 + signal).
template <class F> int in_child(F child) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            _exit(child());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child process: %s\n", e.what());
            _exit(250);
        } catch (...) {
            _exit(250);
        }
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

TEST_CASE("a WAL written through the buffering VFS: other connections see each commit at once",
          "[sqlite][wal_buffer]") {
    test::TempDir dir;
    auto path = dir.path() / "db.sqlite";
    int cache_pages = GENERATE(2000, 10); // 10 pages: spills, frames written again, checksums redone
    auto writer = open_buffered(path, cache_pages);
    auto reader = util::Db::open(path);
    REQUIRE(reader);
    for (int c = 0; c < 120; ++c) {
        if (c % 30 == 15) rolled_back_transaction(writer);
        transaction(writer, c);
        INFO("transaction " << c << ", cache " << cache_pages);
        auto seen = contents(*reader); // first: the writer's own read would write out its buffer
        REQUIRE(seen == contents(writer));
        if (c % 40 == 39) { // the WAL starts over after a complete checkpoint
            writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            REQUIRE(contents(*reader) == seen);
        }
    }
    CHECK(integrity(*reader) == "ok");
}

TEST_CASE("a WAL written through the buffering VFS: a crash keeps every commit and nothing else",
          "[sqlite][wal_buffer]") {
    test::TempDir dir;
    auto path = dir.path() / "db.sqlite";
    int cache_pages = GENERATE(2000, 10);
    bool mid_transaction = GENERATE(false, true);
    // The child commits 61 transactions and dies without closing (no checkpoint): the database
    // is only in the WAL, which the next connection recovers, checksum by checksum. Optionally it
    // dies in the middle of a 62nd transaction, with frames of it written and buffered.
    int status = in_child([&] {
        auto db = open_buffered(path, cache_pages);
        for (int c = 0; c < 60; ++c) {
            if (c % 20 == 10) rolled_back_transaction(db);
            transaction(db, c);
        }
        spilling_transaction(db);
        if (mid_transaction) {
            db.exec("BEGIN");
            db.exec("INSERT INTO t (n, payload) SELECT n, payload FROM t");
        }
        _exit(0);
        return 1;
    });
    REQUIRE(status == 0);
    // The same transactions without a crash, for the expected content.
    auto expected_db = open_buffered(dir.path() / "expected.sqlite", 2000);
    for (int c = 0; c < 60; ++c)
        transaction(expected_db, c);
    spilling_transaction(expected_db);
    auto db = util::Db::open(path);
    REQUIRE(db);
    INFO("cache " << cache_pages << ", died mid-transaction " << mid_transaction);
    CHECK(contents(*db) == contents(expected_db));
    CHECK(integrity(*db) == "ok");
}

TEST_CASE("a WAL written through the buffering VFS: a failed write fails the commit, not the database",
          "[sqlite][wal_buffer]") {
    test::TempDir dir;
    auto path = dir.path() / "db.sqlite";
    // The child may write files of at most 1 MB (beyond, write() fails with EFBIG): it commits
    // until a commit fails, then exits with the number of the transaction that failed.
    int failed_at = in_child([&] {
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{1 << 20, 1 << 20};
        setrlimit(RLIMIT_FSIZE, &limit);
        auto db = open_buffered(path, 2000);
        for (int c = 0; c < 250; ++c) {
            try {
                transaction(db, c);
            } catch (const Failure&) {
                return c;
            }
        }
        return 255;
    });
    REQUIRE(failed_at > 0);
    REQUIRE(failed_at < 250);
    auto expected_db = open_buffered(dir.path() / "expected.sqlite", 2000);
    for (int c = 0; c < failed_at; ++c)
        transaction(expected_db, c);
    auto db = util::Db::open(path);
    REQUIRE(db);
    CHECK(contents(*db) == contents(expected_db));
    CHECK(integrity(*db) == "ok");
}
