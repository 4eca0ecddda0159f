// journal: record format, writer (group commit, rotation, sealing, failure), reader (positions,
// torn tails, corrupt records).
#include <catch2/catch.hpp>
#include <condition_variable>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <mutex>
#include <set>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bbbhook/journal/format.hpp"
#include "bbbhook/journal/reader.hpp"
#include "bbbhook/journal/writer.hpp"
#include "support/support.hpp"

using namespace bbbhook;
using namespace bbbhook::journal;

namespace {

std::string body_of(int i, size_t size = 200) {
    std::string b =
        fmt::format("domain=bbb.example.test&event=%5B%7B%22n%22%3A{}%7D%5D&timestamp={}&pad=", i, 1795551035614 + i);
    b.resize(std::max(size, b.size()), 'x');
    return b;
}

Record request(std::string_view body, std::string_view source = "bbb1") {
    return Record{RecordType::request, bbb::AuthMethod::checksum, 1795551035614, source,
                  "127.0.0.1:40000",   "/bbb/bbb1?x=1",           body};
}

std::unique_ptr<Writer> open_writer(const std::filesystem::path& dir, uint64_t rotate_size = 64ull << 20,
                                    std::chrono::milliseconds rotate_age = std::chrono::hours(24)) {
    auto w = Writer::open({dir, rotate_size, rotate_age, Durability::sync});
    REQUIRE(w);
    return std::move(*w);
}

struct ReadAll {
    std::vector<std::string> bodies;
    std::vector<Position> positions;
    std::vector<ReadItem> problems; // corrupt and torn_tail items
    ReadItem end;
};

ReadAll read_all(const std::filesystem::path& dir, Position from = {}) {
    ReadAll out;
    auto reader = Reader::open(dir, from);
    REQUIRE(reader);
    for (;;) {
        auto item = reader->next();
        REQUIRE(item);
        if (item->kind == ReadItem::Kind::end) {
            out.end = *item;
            return out;
        }
        if (item->kind == ReadItem::Kind::record) {
            out.bodies.emplace_back(item->record.body);
            out.positions.push_back(item->at);
        } else {
            out.problems.push_back(*item);
        }
    }
}

std::vector<std::string> journal_files(const std::filesystem::path& dir) {
    auto files = list_files(dir);
    REQUIRE(files);
    return *files;
}

// Writes `n` records in a child process that then dies without closing the writer: no seal,
// like a crash (or kill -9) of serve.
void crash_after_writing(const std::filesystem::path& dir, int n, int first = 0) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        auto w = Writer::open({dir, 64ull << 20, std::chrono::hours(24), Durability::sync});
        if (!w) ::_exit(2);
        for (int i = 0; i < n; ++i)
            if (!(*w)->append(request(body_of(first + i)))) ::_exit(3);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
}

void flip_byte(const std::filesystem::path& file, uint64_t offset) {
    ::chmod(file.c_str(), 0640);
    int fd = ::open(file.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    char c = 0;
    REQUIRE(::pread(fd, &c, 1, static_cast<off_t>(offset)) == 1);
    c = static_cast<char>(c ^ 0x20);
    REQUIRE(::pwrite(fd, &c, 1, static_cast<off_t>(offset)) == 1);
    ::close(fd);
}

} // namespace

TEST_CASE("a record round-trips and its CRC catches any flipped byte", "[journal][format]") {
    std::string bytes;
    const std::string body = body_of(1); // Record holds views
    auto rec = request(body);
    encode_record(bytes, rec);
    CHECK(bytes.size() == encoded_size(rec));
    auto d = decode_record(bytes);
    REQUIRE(d.status == DecodeStatus::ok);
    CHECK(d.size == bytes.size());
    CHECK(d.record.body == rec.body);
    CHECK(d.record.source == "bbb1");
    CHECK(d.record.remote == "127.0.0.1:40000");
    CHECK(d.record.target == "/bbb/bbb1?x=1");
    CHECK(d.record.received_ms == 1795551035614);
    CHECK(d.record.auth == bbb::AuthMethod::checksum);

    for (size_t i = 4; i < bytes.size(); ++i) { // every byte after the magic
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        INFO("flipped byte " << i);
        CHECK(decode_record(bad).status != DecodeStatus::ok);
    }
    CHECK(decode_record(std::string_view(bytes).substr(0, bytes.size() - 1)).status == DecodeStatus::need_more);
    CHECK(decode_record(std::string_view(bytes).substr(0, 6)).status == DecodeStatus::need_more);
    CHECK(decode_record("XXXXXXXXXXXXXXXX").status == DecodeStatus::corrupt);
}

TEST_CASE("file names sort in write order and are recognized", "[journal][format]") {
    CHECK(file_name(42, 1795551035614) == "000000000042-20261124T201035Z.journal");
    CHECK(file_sequence("000000000042-20261124T201035Z.journal") == 42u);
    CHECK_FALSE(file_sequence("42-20261124T201035Z.journal"));
    CHECK_FALSE(file_sequence(".lock"));
    CHECK(file_name(9, 0) < file_name(10, 0));
}

TEST_CASE("concurrent appends are all durable, in distinct positions, and read back in order", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    constexpr int k_threads = 8, k_each = 200;
    std::vector<std::vector<Position>> positions(k_threads);
    std::vector<std::string> failures(k_threads); // Catch2 assertions are not thread-safe: checked below
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < k_each; ++i) {
                auto p = w->append(request(body_of(t * 1000 + i)));
                if (!p) {
                    failures[t] = p.error().message;
                    return;
                }
                positions[t].push_back(*p);
            }
        });
    for (auto& th : threads)
        th.join();
    for (const auto& f : failures)
        REQUIRE(f.empty());
    // Group commit: far fewer syncs than records when writers are concurrent.
    CHECK(w->metrics().records == k_threads * k_each);
    CHECK(w->metrics().sync_seconds.count() < static_cast<uint64_t>(k_threads * k_each));
    w->close();

    std::set<Position> all;
    for (const auto& v : positions) {
        for (size_t i = 1; i < v.size(); ++i)
            CHECK(v[i - 1] < v[i]); // a thread's own appends stay in order
        all.insert(v.begin(), v.end());
    }
    CHECK(all.size() == k_threads * k_each);

    auto read = read_all(tmp.path());
    CHECK(read.problems.empty());
    REQUIRE(read.bodies.size() == k_threads * k_each);
    std::set<Position> read_positions(read.positions.begin(), read.positions.end());
    CHECK(read_positions == all); // every acknowledged position holds a record
    std::multiset<std::string> expected;
    for (int t = 0; t < k_threads; ++t)
        for (int i = 0; i < k_each; ++i)
            expected.insert(body_of(t * 1000 + i));
    CHECK(std::multiset<std::string>(read.bodies.begin(), read.bodies.end()) == expected);
}

TEST_CASE("append_async completes every record once it is durable, in order, in few syncs", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    constexpr int k_n = 500;
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::optional<Position>> done(k_n);
    int completed = 0;
    for (int i = 0; i < k_n; ++i)
        w->append_async(request(body_of(i)), [&, i](Result<Position> r) {
            std::lock_guard lk(mutex);
            REQUIRE(r);
            done[static_cast<size_t>(i)] = *r;
            ++completed;
            cv.notify_one();
        });
    {
        std::unique_lock lk(mutex);
        REQUIRE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return completed == k_n; }));
    }
    for (int i = 1; i < k_n; ++i)
        CHECK(*done[static_cast<size_t>(i - 1)] < *done[static_cast<size_t>(i)]);
    CHECK(w->metrics().sync_seconds.count() < static_cast<uint64_t>(k_n)); // queued appends share syncs
    w->close();
    // After close, appends fail at once instead of waiting forever.
    bool failed = false;
    w->append_async(request(body_of(0)),
                    [&](Result<Position> r) { failed = !r && r.error().code == ExitCode::temp_fail; });
    CHECK(failed);
    auto read = read_all(tmp.path());
    REQUIRE(read.bodies.size() == k_n);
    CHECK(read.bodies.front() == body_of(0));
    CHECK(read.bodies.back() == body_of(k_n - 1));
}

TEST_CASE("files rotate by size, rotated files are sealed and read-only, reading crosses files", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path(), 8192);
    for (int i = 0; i < 40; ++i)
        REQUIRE(w->append(request(body_of(i, 1000))));
    w->close();
    auto files = journal_files(tmp.path());
    REQUIRE(files.size() >= 4);
    for (const auto& f : files) {
        struct stat st {};
        REQUIRE(::stat((tmp.path() / f).c_str(), &st) == 0);
        CHECK(st.st_size < 8192 + 2000);    // at most one batch past the limit
        CHECK((st.st_mode & 0777) == 0440); // sealed (close() seals the last one too)
        // The last record of every file is a seal.
        auto bytes = test::read_text(tmp.path() / f);
        CHECK(bytes.find("{\"records\":") != std::string::npos);
    }
    auto read = read_all(tmp.path());
    REQUIRE(read.bodies.size() == 40);
    for (int i = 0; i < 40; ++i)
        CHECK(read.bodies[static_cast<size_t>(i)] == body_of(i, 1000));
    CHECK(read.problems.empty());
}

TEST_CASE("space is reserved ahead of the writes, never shown as content, and freed when a file is sealed",
          "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    REQUIRE(w->append(request(body_of(1, 1000))));
    auto files = journal_files(tmp.path());
    REQUIRE(files.size() == 1);
    auto path = tmp.path() / files[0];
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    const auto written = static_cast<off_t>(test::read_text(path).size());
    CHECK(st.st_size == written); // readers see exactly the records, no reserved zeros
    // The reserve is allocated (8 MiB) on file systems that support fallocate (ext4, xfs, tmpfs).
    CHECK(st.st_blocks * 512 >= 8 << 20);
    w->close(); // seals the file
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(st.st_blocks * 512 < 64 << 10); // only what was written is left
    auto read = read_all(tmp.path());
    REQUIRE(read.bodies.size() == 1);
    CHECK(read.problems.empty());
}

TEST_CASE("an idle file is sealed when it reaches its age", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path(), 64ull << 20, std::chrono::seconds(1));
    REQUIRE(w->append(request(body_of(1))));
    std::string first = w->current_file();
    // The flusher checks the age once a second while idle.
    for (int i = 0; i < 40 && w->metrics().files_sealed == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(w->metrics().files_sealed == 1);
    auto p = w->append(request(body_of(2)));
    REQUIRE(p);
    CHECK(p->file != first);
    CHECK(p->file > first);
}

TEST_CASE("rotate() seals the current file and the next append starts a new one", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    auto a = w->append(request(body_of(1)));
    REQUIRE(a);
    w->rotate();
    for (int i = 0; i < 50 && w->metrics().files_sealed == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto b = w->append(request(body_of(2)));
    REQUIRE(b);
    CHECK(b->file > a->file);
}

TEST_CASE("a reopened journal continues in a new file and never appends to an old one", "[journal][writer]") {
    test::TempDir tmp;
    Position first;
    {
        auto w = open_writer(tmp.path());
        auto p = w->append(request(body_of(1)));
        REQUIRE(p);
        first = *p;
    }
    auto size_before = std::filesystem::file_size(tmp.path() / first.file);
    auto w = open_writer(tmp.path());
    auto p = w->append(request(body_of(2)));
    REQUIRE(p);
    CHECK(p->file > first.file);
    CHECK(*file_sequence(p->file) == *file_sequence(first.file) + 1);
    CHECK(std::filesystem::file_size(tmp.path() / first.file) == size_before);
}

TEST_CASE("only one writer may hold a journal folder", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    auto second = Writer::open({tmp.path(), 64ull << 20, std::chrono::hours(24), Durability::sync});
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ExitCode::temp_fail);
    CHECK(second.error().message.find("in use") != std::string::npos);
}

TEST_CASE("a failed write answers an error, leaves no partial record, and the writer recovers", "[journal][writer]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    REQUIRE(w->append(request(body_of(1, 1000))));
    REQUIRE(w->append(request(body_of(2, 1000))));
    auto file = w->current_file();
    auto good_size = std::filesystem::file_size(tmp.path() / file);

    // The file system refuses to grow the file (EFBIG, as a full disk refuses with ENOSPC).
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = good_size + 500;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto failed = w->append(request(body_of(3, 1000)));
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);

    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ExitCode::io);
    CHECK_FALSE(w->healthy());
    CHECK(w->last_error().find("File too large") != std::string::npos);
    CHECK(w->metrics().write_errors >= 1);
    CHECK(std::filesystem::file_size(tmp.path() / file) == good_size); // the partial write was cut off

    // Writing works again: a new file, and healthy again.
    auto again = w->append(request(body_of(4, 1000)));
    REQUIRE(again);
    CHECK(again->file > file);
    CHECK(w->healthy());
    w->close();

    auto read = read_all(tmp.path());
    CHECK(read.problems.empty());
    REQUIRE(read.bodies.size() == 3);
    CHECK(read.bodies[0] == body_of(1, 1000));
    CHECK(read.bodies[1] == body_of(2, 1000));
    CHECK(read.bodies[2] == body_of(4, 1000));
}

TEST_CASE("reading resumes from a position", "[journal][reader]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path(), 4096);
    for (int i = 0; i < 20; ++i)
        REQUIRE(w->append(request(body_of(i, 500))));
    w->close();
    auto all = read_all(tmp.path());
    REQUIRE(all.bodies.size() == 20);
    for (size_t start : {size_t{0}, size_t{7}, size_t{19}}) {
        auto rest = read_all(tmp.path(), all.positions[start]);
        REQUIRE(rest.bodies.size() == 20 - start);
        CHECK(rest.bodies.front() == all.bodies[start]);
    }
    // A checkpoint at the very end yields nothing more.
    auto after = read_all(tmp.path(), all.end.next);
    CHECK(after.bodies.empty());
}

TEST_CASE("the reader follows a growing journal", "[journal][reader]") {
    test::TempDir tmp;
    auto w = open_writer(tmp.path());
    REQUIRE(w->append(request(body_of(1))));
    auto reader = Reader::open(tmp.path());
    REQUIRE(reader);
    auto item = reader->next();
    REQUIRE(item);
    CHECK(item->kind == ReadItem::Kind::record);
    item = reader->next();
    REQUIRE(item);
    CHECK(item->kind == ReadItem::Kind::end);
    REQUIRE(w->append(request(body_of(2))));
    w->rotate();
    for (int i = 0; i < 50 && w->metrics().files_sealed == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(w->append(request(body_of(3))));
    std::vector<std::string> more;
    for (;;) {
        item = reader->next();
        REQUIRE(item);
        if (item->kind == ReadItem::Kind::end) break;
        REQUIRE(item->kind == ReadItem::Kind::record);
        more.emplace_back(item->record.body);
    }
    CHECK(more == std::vector<std::string>{body_of(2), body_of(3)});
}

TEST_CASE("a torn tail in the newest file is left pending, once a later file exists it is reported and skipped",
          "[journal][reader]") {
    test::TempDir tmp;
    crash_after_writing(tmp.path(), 5);
    auto before = read_all(tmp.path());
    REQUIRE(before.bodies.size() == 5);
    Position last = before.positions.back();
    // The crash tore the last write in half.
    std::filesystem::resize_file(tmp.path() / last.file, last.offset + 100);

    auto read = read_all(tmp.path());
    CHECK(read.bodies.size() == 4);
    CHECK(read.problems.empty());
    CHECK(read.end.pending_bytes == 100);
    CHECK(read.end.next == last); // the checkpoint stays before the incomplete record

    // serve restarts: a new file appears, so the old file will never grow again.
    {
        auto w = open_writer(tmp.path());
        REQUIRE(w->append(request(body_of(99))));
    }
    auto again = read_all(tmp.path(), read.end.next);
    REQUIRE(again.problems.size() == 1);
    CHECK(again.problems[0].kind == ReadItem::Kind::torn_tail);
    CHECK(again.problems[0].at == last);
    CHECK(again.problems[0].length == 100);
    CHECK(again.bodies == std::vector<std::string>{body_of(99)});
}

TEST_CASE("a damaged length in the newest file waits until the file is final, then is skipped", "[journal][reader]") {
    test::TempDir tmp;
    crash_after_writing(tmp.path(), 4);
    auto before = read_all(tmp.path());
    REQUIRE(before.bodies.size() == 4);
    flip_byte(tmp.path() / before.positions[1].file, before.positions[1].offset + 6); // length += 2^21
    auto pending = read_all(tmp.path());
    CHECK(pending.bodies.size() == 1);
    CHECK(pending.end.pending_bytes > 0);
    {
        auto w = open_writer(tmp.path());
        REQUIRE(w->append(request(body_of(9))));
    }
    auto read = read_all(tmp.path());
    CHECK(read.bodies == std::vector<std::string>{body_of(0), body_of(2), body_of(3), body_of(9)});
    REQUIRE(read.problems.size() == 1);
    CHECK(read.problems[0].kind == ReadItem::Kind::corrupt);
    CHECK(read.problems[0].at == before.positions[1]);
}

TEST_CASE("a corrupt record is reported with its offset and skipped, the records after it are read",
          "[journal][reader]") {
    test::TempDir tmp;
    std::vector<Position> pos;
    {
        auto w = open_writer(tmp.path());
        for (int i = 0; i < 6; ++i) {
            auto p = w->append(request(body_of(i)));
            REQUIRE(p);
            pos.push_back(*p);
        }
    }
    flip_byte(tmp.path() / pos[2].file, pos[2].offset + 60); // inside record 2
    flip_byte(tmp.path() / pos[4].file, pos[4].offset + 5);  // record 4's length field

    auto read = read_all(tmp.path());
    CHECK(read.bodies == std::vector<std::string>{body_of(0), body_of(1), body_of(3), body_of(5)});
    REQUIRE(read.problems.size() == 2);
    CHECK(read.problems[0].kind == ReadItem::Kind::corrupt);
    CHECK(read.problems[0].at == pos[2]);
    CHECK(read.problems[0].length == pos[3].offset - pos[2].offset);
    CHECK(read.problems[0].next == pos[3]);
    CHECK(read.problems[1].at == pos[4]);
    CHECK(read.end.pending_bytes == 0);
}

TEST_CASE("reading into one reused item gives what reading new items gives, across files and damage",
          "[journal][reader]") {
    test::TempDir tmp;
    std::vector<Position> pos;
    {
        auto w = open_writer(tmp.path(), 8192);
        for (int i = 0; i < 30; ++i) {
            auto p = w->append(request(body_of(i, 1000 + static_cast<size_t>(i))));
            REQUIRE(p);
            pos.push_back(*p);
        }
    }
    REQUIRE(journal_files(tmp.path()).size() >= 3);
    flip_byte(tmp.path() / pos[12].file, pos[12].offset + 60);
    // As a string per item: kind, where, how long, what follows, and the record's fields.
    auto describe = [](const ReadItem& item) {
        return fmt::format("{} {}:{} {} -> {}:{} {} {} {} {}", static_cast<int>(item.kind), item.at.file,
                           item.at.offset, item.length, item.next.file, item.next.offset, item.pending_bytes,
                           item.kind == ReadItem::Kind::record ? item.record.source : "",
                           item.kind == ReadItem::Kind::record ? item.record.body : "", item.record.received_ms);
    };
    std::vector<std::string> fresh, reused;
    auto a = Reader::open(tmp.path());
    REQUIRE(a);
    for (;;) {
        auto item = a->next();
        REQUIRE(item);
        if (item->kind != ReadItem::Kind::record) item->record = {};
        fresh.push_back(describe(*item));
        if (item->kind == ReadItem::Kind::end) break;
    }
    auto b = Reader::open(tmp.path());
    REQUIRE(b);
    ReadItem item;
    for (;;) {
        REQUIRE(b->next(item));
        ReadItem copy = item;
        if (copy.kind != ReadItem::Kind::record) copy.record = {};
        reused.push_back(describe(copy));
        if (item.kind == ReadItem::Kind::end) break;
    }
    CHECK(fresh.size() == 31); // 29 records, the corrupt one, the end
    CHECK(reused == fresh);
}

TEST_CASE("a damaged file header is reported and the file's records are still read", "[journal][reader]") {
    test::TempDir tmp;
    {
        auto w = open_writer(tmp.path());
        for (int i = 0; i < 3; ++i)
            REQUIRE(w->append(request(body_of(i))));
    }
    auto file = tmp.path() / journal_files(tmp.path()).front();
    flip_byte(file, 2);
    auto read = read_all(tmp.path());
    CHECK(read.bodies.size() == 3);
    REQUIRE(read.problems.size() == 1);
    CHECK(read.problems[0].kind == ReadItem::Kind::corrupt);
    CHECK(read.problems[0].at.offset == 0);
    CHECK(read.problems[0].length == k_file_header_size);
}

TEST_CASE("zeros after a crash at the end of an older file are a torn tail", "[journal][reader]") {
    test::TempDir tmp;
    crash_after_writing(tmp.path(), 1, 1);
    auto first = journal_files(tmp.path()).front();
    auto path = tmp.path() / first;
    std::filesystem::resize_file(path, std::filesystem::file_size(path) + 4096); // size persisted, data not
    auto pending = read_all(tmp.path());
    CHECK(pending.bodies == std::vector<std::string>{body_of(1)});
    CHECK(pending.end.pending_bytes == 4096); // newest file: may still be written
    {
        auto w = open_writer(tmp.path());
        REQUIRE(w->append(request(body_of(2))));
    }
    auto read = read_all(tmp.path());
    CHECK(read.bodies == std::vector<std::string>{body_of(1), body_of(2)});
    REQUIRE(read.problems.size() == 1);
    CHECK(read.problems[0].kind == ReadItem::Kind::torn_tail);
    CHECK(read.problems[0].length == 4096);
}

TEST_CASE("bytes after a seal are reported, not silently skipped", "[journal][reader]") {
    test::TempDir tmp;
    {
        auto w = open_writer(tmp.path());
        REQUIRE(w->append(request(body_of(1))));
    } // closing seals the file
    auto path = tmp.path() / journal_files(tmp.path()).front();
    ::chmod(path.c_str(), 0640);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) + 10);
    auto read = read_all(tmp.path());
    CHECK(read.bodies == std::vector<std::string>{body_of(1)});
    REQUIRE(read.problems.size() == 1);
    CHECK(read.problems[0].kind == ReadItem::Kind::torn_tail);
    CHECK(read.problems[0].length == 10);
}

TEST_CASE("checkpoints past the end of a file are refused, a missing file continues with the next",
          "[journal][reader]") {
    test::TempDir tmp;
    {
        auto w = open_writer(tmp.path());
        REQUIRE(w->append(request(body_of(1))));
    }
    auto name = journal_files(tmp.path()).front();
    auto size = std::filesystem::file_size(tmp.path() / name);
    auto bad = Reader::open(tmp.path(), {name, size + 1});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ExitCode::data);

    auto read = read_all(tmp.path(), {"000000000000-20000101T000000Z.journal", 123});
    CHECK(read.bodies == std::vector<std::string>{body_of(1)});
}

// ---------------------------------------------------------------------------------------------
// Spare files: later files prepared with zeros ahead (journal/spare.hpp), and how readers treat
// a zero-filled file.

namespace {

// A writer that prepares spares: with 64 KiB files, once a file holds 16 KiB (rotate_size / 4).
std::unique_ptr<Writer> open_spare_writer(const std::filesystem::path& dir, uint64_t rotate_size = 64 << 10) {
    auto w = Writer::open({dir, rotate_size, std::chrono::hours(24), Durability::sync, true});
    REQUIRE(w);
    return std::move(*w);
}

uint32_t header_flags(const std::filesystem::path& file) {
    auto bytes = test::read_text(file);
    REQUIRE(is_valid_file_header(bytes));
    return file_header_flags(bytes);
}

std::vector<std::string> spare_files_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (SpareFiles::is_spare_name(e.path().filename().string())) names.push_back(e.path().filename().string());
    return names;
}

// Appends body_of(i, 2000) for i = first, first+1, ... until a record lands in a zero-filled
// file (a spare put in place); returns the bodies appended and the position of the last one.
std::pair<std::vector<std::string>, Position> append_until_zero_filled(Writer& w, const std::filesystem::path& dir,
                                                                       int first = 0) {
    std::vector<std::string> bodies;
    for (int i = first;; ++i) {
        REQUIRE(i < first + 5000);
        auto p = w.append(request(body_of(i, 2000)));
        REQUIRE(p);
        bodies.push_back(body_of(i, 2000));
        if (header_flags(dir / p->file) & k_flag_zero_filled) return {bodies, *p};
        // A spare is prepared while the current file fills; give the preparer a moment.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void zero_range(const std::filesystem::path& file, uint64_t from, uint64_t to) {
    ::chmod(file.c_str(), 0640);
    int fd = ::open(file.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    std::string zeros(static_cast<size_t>(to - from), '\0');
    REQUIRE(::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(from)) == static_cast<ssize_t>(zeros.size()));
    ::close(fd);
}

} // namespace

TEST_CASE("with spares, later files are prepared with zeros, and sealed files and what readers see are unchanged",
          "[journal][writer][spare]") {
    test::TempDir tmp;
    std::vector<std::string> written;
    {
        auto w = open_spare_writer(tmp.path());
        for (int i = 0; w->metrics().files_from_spares < 3; ++i) {
            REQUIRE(i < 5000);
            REQUIRE(w->append(request(body_of(i, 2000))));
            written.push_back(body_of(i, 2000));
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        CHECK(header_flags(tmp.path() / w->current_file()) == k_flag_zero_filled);
        // While it is written, a zero-filled file is as long as its zeros.
        CHECK(std::filesystem::file_size(tmp.path() / w->current_file()) >= 64 << 10);
    } // closing seals the last file and removes the spare prepared for the next one
    auto files = journal_files(tmp.path());
    CHECK(header_flags(tmp.path() / files.front()) == 0); // the first file: no spare was ready yet
    size_t zero_filled = 0;
    for (const auto& f : files) {
        auto path = tmp.path() / f;
        zero_filled += header_flags(path) & k_flag_zero_filled;
        // Sealing cut the zeros: the file ends with its seal record.
        auto bytes = test::read_text(path);
        CHECK(bytes.ends_with("}"));
        CHECK(bytes.rfind("{\"records\":") != std::string::npos);
        auto size = data_size(path);
        REQUIRE(size);
        CHECK(*size == bytes.size());
    }
    CHECK(zero_filled >= 3);
    CHECK(spare_files_in(tmp.path()).empty());
    auto read = read_all(tmp.path());
    CHECK(read.problems.empty());
    CHECK(read.bodies == written);
    CHECK(read.end.pending_bytes == 0);
}

TEST_CASE("a reader stops at the zeros of a file being written and reads the records written there later",
          "[journal][reader][spare]") {
    test::TempDir tmp;
    auto w = open_spare_writer(tmp.path());
    auto [written, last] = append_until_zero_filled(*w, tmp.path());
    auto size = data_size(tmp.path() / last.file);
    REQUIRE(size);
    CHECK(*size < std::filesystem::file_size(tmp.path() / last.file)); // zeros follow the records

    auto reader = Reader::open(tmp.path());
    REQUIRE(reader);
    std::vector<std::string> seen;
    auto drain = [&] {
        for (;;) {
            auto item = reader->next();
            REQUIRE(item);
            if (item->kind == ReadItem::Kind::end) return *item;
            REQUIRE(item->kind == ReadItem::Kind::record);
            seen.emplace_back(item->record.body);
        }
    };
    auto end = drain();
    CHECK(seen == written);
    CHECK(end.pending_bytes == 0); // zeros are not a pending record
    CHECK(end.next.file == last.file);

    // The same reader, the same file, which did not grow: the new records are read.
    for (int i = 100000; i < 100003; ++i) {
        auto p = w->append(request(body_of(i, 2000)));
        REQUIRE(p);
        CHECK(p->file == last.file);
        written.push_back(body_of(i, 2000));
    }
    drain();
    CHECK(seen == written);
}

TEST_CASE("after a crash, a zero-filled file's zeros are not a torn tail, but a torn record before them is",
          "[journal][reader][spare]") {
    test::TempDir tmp;
    const auto dir = tmp.path();
    // serve is killed while it writes a zero-filled file (no seal; a spare may be left behind).
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        auto w = Writer::open({dir, 64 << 10, std::chrono::hours(24), Durability::sync, true});
        if (!w) ::_exit(2);
        for (int i = 0;; ++i) {
            auto p = (*w)->append(request(body_of(i, 2000)));
            if (!p) ::_exit(3);
            if (file_header_flags(test::read_text(dir / p->file)) & k_flag_zero_filled) ::_exit(0);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);

    auto crashed = read_all(dir);
    REQUIRE(crashed.bodies.size() > 8);
    CHECK(crashed.problems.empty());
    CHECK(crashed.end.pending_bytes == 0);
    const Position last = crashed.positions.back();
    REQUIRE(header_flags(dir / last.file) == k_flag_zero_filled);

    SECTION("the zeros end the file once a later file exists") {
        {
            auto w = open_spare_writer(dir);
            CHECK(spare_files_in(dir).empty()); // a spare left by the crash holds nothing: removed
            REQUIRE(w->append(request(body_of(99))));
        }
        auto read = read_all(dir);
        CHECK(read.problems.empty());
        CHECK(read.bodies.size() == crashed.bodies.size() + 1);
        CHECK(read.bodies.back() == body_of(99));
    }
    SECTION("the last record was torn: pending while the file is newest, then a torn tail of its written bytes") {
        auto record_end = data_size(dir / last.file);
        REQUIRE(record_end);
        zero_range(dir / last.file, last.offset + 100, *record_end); // only its first 100 bytes reached the disk
        auto pending = read_all(dir);
        CHECK(pending.bodies.size() == crashed.bodies.size() - 1);
        CHECK(pending.problems.empty());
        CHECK(pending.end.next == last);
        CHECK(pending.end.pending_bytes == 100);
        {
            auto w = open_spare_writer(dir);
            REQUIRE(w->append(request(body_of(99))));
        }
        auto read = read_all(dir);
        REQUIRE(read.problems.size() == 1);
        CHECK(read.problems[0].kind == ReadItem::Kind::torn_tail);
        CHECK(read.problems[0].at == last);
        CHECK(read.problems[0].length == 100);
        CHECK(read.bodies.size() == crashed.bodies.size());
        CHECK(read.bodies.back() == body_of(99));
    }
}

TEST_CASE("in a zero-filled file still being written, a damaged record is skipped only once the file is final",
          "[journal][reader][spare]") {
    test::TempDir tmp;
    auto w = open_spare_writer(tmp.path());
    auto [before, first] = append_until_zero_filled(*w, tmp.path());
    std::vector<Position> pos;
    for (int i = 0; i < 4; ++i) {
        auto p = w->append(request(body_of(1000 + i, 2000)));
        REQUIRE(p);
        REQUIRE(p->file == first.file);
        pos.push_back(*p);
    }
    // A record seen in part (being written) looks like this one: no valid record at its place.
    flip_byte(tmp.path() / pos[1].file, pos[1].offset + 60);
    auto pending = read_all(tmp.path());
    CHECK(pending.problems.empty());
    CHECK(pending.bodies.size() == before.size() + 1);
    CHECK(pending.end.next == pos[1]);
    CHECK(pending.end.pending_bytes >= 3 * 2000);

    w->close(); // sealed: final
    auto read = read_all(tmp.path());
    REQUIRE(read.problems.size() == 1);
    CHECK(read.problems[0].kind == ReadItem::Kind::corrupt);
    CHECK(read.problems[0].at == pos[1]);
    CHECK(read.bodies.size() == before.size() + 3);
    CHECK(read.bodies.back() == body_of(1003, 2000));
}

TEST_CASE("a full disk takes the spare's space for the records", "[journal][writer][spare]") {
    test::TempDir tmp;
    test::SmallDisk small(tmp / "disk", "2m");
    if (!small.mounted()) {
        WARN("cannot mount a tmpfs here (needs CAP_SYS_ADMIN): skipped");
        return;
    }
    const auto dir = tmp / "disk" / "journal";
    auto w = open_spare_writer(dir);
    std::vector<std::string> acknowledged;
    for (int i = 0; !w->spare_ready(); ++i) { // 16 KiB in the first file: a spare is prepared
        REQUIRE(i < 200);
        REQUIRE(w->append(request(body_of(i, 2000))));
        acknowledged.push_back(body_of(i, 2000));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    test::fill_disk(tmp / "disk" / "filler", 0);
    // The current file cannot grow (more than the rest of its last page): that batch fails, and
    // the spare is given back ...
    auto failed = w->append(request(body_of(500, 20000)));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("No space left on device") != std::string::npos);
    CHECK_FALSE(w->spare_ready());
    CHECK(spare_files_in(dir).empty());
    // ... so that the next records fit, without waiting for anyone to free space.
    for (int i = 501; i < 505; ++i) {
        REQUIRE(w->append(request(body_of(i, 2000))));
        acknowledged.push_back(body_of(i, 2000));
    }
    w->close();
    auto read = read_all(dir);
    CHECK(read.bodies == acknowledged);
}
