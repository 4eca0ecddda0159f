#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>

#include "bbbhook/util/checkpointer.hpp"
#include "bbbhook/util/sqlite.hpp"
#include "support/support.hpp"

using namespace bbbhook;

namespace {

constexpr int64_t k_page = 4096;

// `commits` transactions of `rows` rows of 3 KiB each: a little more than `rows` pages each.
void write(util::Db& db, int commits, int rows) {
    util::Stmt insert(db, "INSERT INTO t (payload) VALUES (?)");
    std::string payload(3000, 'x');
    for (int c = 0; c < commits; ++c) {
        util::Transaction tx(db);
        for (int r = 0; r < rows; ++r) {
            payload[0] = static_cast<char>('a' + (c + r) % 26);
            insert.bind(1, std::string_view(payload)).run();
            insert.reset();
        }
        tx.commit();
    }
}

int64_t wal_pages(const std::filesystem::path& db) {
    auto wal = std::filesystem::path(db.string() + "-wal");
    return std::filesystem::exists(wal) ? static_cast<int64_t>(std::filesystem::file_size(wal)) / k_page : 0;
}

int64_t autocheckpoint(util::Db& db) {
    auto st = db.prepare("PRAGMA wal_autocheckpoint");
    REQUIRE(st.step());
    return st.int64(0);
}

util::Db open(const std::filesystem::path& path) {
    auto db = util::Db::open(path);
    REQUIRE(db);
    db->exec("PRAGMA page_size=4096; CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);");
    return std::move(*db);
}

} // namespace

TEST_CASE("with a WAL checkpointer, commits no longer checkpoint, and the writer gets its own back after",
          "[checkpointer]") {
    test::TempDir tmp;
    auto path = tmp / "db.sqlite";
    util::Db db = open(path);
    db.exec("PRAGMA wal_autocheckpoint=100");
    {
        // Thresholds that are never reached: nothing copies the WAL back.
        auto checkpointer = util::WalCheckpointer::start(db, {.background_pages = 1 << 30, .wait_pages = 1 << 30});
        REQUIRE(checkpointer);
        write(db, 40, 10); // about 400 pages
        CHECK(wal_pages(path) > 400);
        CHECK((*checkpointer)->stats().checkpoints == 0);
    }
    CHECK(autocheckpoint(db) == 100);
    // SQLite's own checkpoint is back: the next commit copies the WAL and the one after starts it
    // over, so the file stops growing (it would by about 400 pages).
    int64_t before = wal_pages(path);
    write(db, 40, 10);
    CHECK(wal_pages(path) < before + 20);
}

TEST_CASE("a WAL checkpointer copies the WAL on its own thread and keeps it bounded", "[checkpointer]") {
    test::TempDir tmp;
    auto path = tmp / "db.sqlite";
    util::Db db = open(path);
    auto checkpointer = util::WalCheckpointer::start(db, {.background_pages = 50, .wait_pages = 300});
    REQUIRE(checkpointer);
    write(db, 200, 10); // about 2,000 pages through the WAL
    auto stats = (*checkpointer)->stats();
    CHECK(stats.checkpoints >= 1);
    // The WAL started over instead of holding every commit: at most wait_pages and one commit.
    CHECK(wal_pages(path) < 300 + 20);
    checkpointer->reset();
    // Everything is in the database for another connection.
    auto reader = util::Db::open(path, util::Db::Mode::read_only);
    REQUIRE(reader);
    auto count = reader->prepare("SELECT COUNT(*) FROM t");
    REQUIRE(count.step());
    CHECK(count.int64(0) == 2000);
}

TEST_CASE("a commit that leaves wait_pages in the WAL waits for a complete checkpoint", "[checkpointer]") {
    test::TempDir tmp;
    auto path = tmp / "db.sqlite";
    util::Db db = open(path);
    // No background checkpoints: only the commits that reach wait_pages make one, and wait.
    auto checkpointer = util::WalCheckpointer::start(db, {.background_pages = 1 << 30, .wait_pages = 100});
    REQUIRE(checkpointer);
    write(db, 100, 10); // about 1,000 pages
    auto stats = (*checkpointer)->stats();
    CHECK(stats.waits >= 5);
    CHECK(stats.checkpoints == stats.waits);
    CHECK(wal_pages(path) < 100 + 20);
    // Copied back each time: the database file holds nearly all the rows' pages.
    CHECK(static_cast<int64_t>(std::filesystem::file_size(path)) / k_page > 800);
}

TEST_CASE("a WAL checkpointer copies the WAL back when asked to, without a commit", "[checkpointer]") {
    test::TempDir tmp;
    auto path = tmp / "db.sqlite";
    util::Db db = open(path);
    auto checkpointer = util::WalCheckpointer::start(db, {.background_pages = 1 << 30, .wait_pages = 1 << 30});
    REQUIRE(checkpointer);
    write(db, 20, 10); // about 200 pages, all in the WAL
    CHECK(std::filesystem::file_size(path) / k_page < 10);
    (*checkpointer)->request();
    for (int i = 0; i < 500 && (*checkpointer)->stats().checkpoints == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK((*checkpointer)->stats().checkpoints == 1);
    CHECK(std::filesystem::file_size(path) / k_page > 190);
}
