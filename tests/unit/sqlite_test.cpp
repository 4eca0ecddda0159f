#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "bbbhook/util/sqlite.hpp"
#include "support/support.hpp"

using namespace bbbhook;

TEST_CASE("RowBatch writes every row, whatever their number, with NULLs, integers and text", "[sqlite][rowbatch]") {
    test::TempDir tmp;
    auto db = util::Db::open(tmp / "db.sqlite");
    REQUIRE(db);
    db->exec("CREATE TABLE t (n INTEGER NOT NULL, label TEXT, value INTEGER)");
    for (int count : {0, 1, 3, 4, 5, 11}) {
        INFO(count);
        db->exec("DELETE FROM t");
        std::vector<std::string> labels; // outlive the batch's writes
        for (int i = 0; i < count; ++i)
            labels.push_back(i % 3 == 0 ? "" : fmt::format("label {}", i));
        util::RowBatch rows(*db, "INSERT INTO t (n, label, value)", 3, 4); // statements of 1 to 4 rows
        for (int i = 0; i < count; ++i)
            rows.add(i)
                .add_ref_or_null(labels[static_cast<size_t>(i)])
                .add(i % 2 ? std::optional<int64_t>(i * 10) : std::nullopt);
        rows.flush();
        rows.flush(); // nothing left: writes nothing
        std::string expected, got;
        for (int i = 0; i < count; ++i)
            expected += fmt::format("{}|{}|{}\n", i, i % 3 == 0 ? "null" : fmt::format("label {}", i),
                                    i % 2 ? std::to_string(i * 10) : "null");
        auto st = db->prepare("SELECT n, COALESCE(label, 'null'), COALESCE(value, 'null') FROM t ORDER BY n");
        while (st.step())
            got += fmt::format("{}|{}|{}\n", st.int64(0), st.text(1), st.text(2));
        CHECK(got == expected);
    }
}
