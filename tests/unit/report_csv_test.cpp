// report: CSV fields and records (RFC 4180), formula-injection neutralization, the BOM, h:mm:ss.
#include <catch2/catch.hpp>
#include <vector>

#include "bbbhook/report/csv.hpp"

using namespace bbbhook;

TEST_CASE("csv: plain fields stay as they are, others are quoted with quotes doubled", "[report][csv]") {
    CHECK(report::csv_field("Γιώργος Παπαδόπουλος") == "Γιώργος Παπαδόπουλος");
    CHECK(report::csv_field("") == "");
    CHECK(report::csv_field("Smith, John") == "\"Smith, John\"");
    CHECK(report::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(report::csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(report::csv_field("cr\r") == "\"cr\r\"");
}

TEST_CASE("csv: cells a spreadsheet would evaluate are neutralized", "[report][csv]") {
    CHECK(report::csv_field("=HYPERLINK(\"http://evil.example\",\"x\")") ==
          "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"");
    CHECK(report::csv_field("+1") == "'+1");
    CHECK(report::csv_field("-2+3") == "'-2+3");
    CHECK(report::csv_field("@SUM(A1)") == "'@SUM(A1)");
    CHECK(report::csv_field("\tx") == "'\tx");
    CHECK(report::csv_field("\rx") == "\"'\rx\"");
    CHECK(report::csv_field("a=b") == "a=b");
    // A number the program wrote is not text a user typed: left alone.
    CHECK(report::csv_field("-5", false) == "-5");
}

TEST_CASE("csv: records end in CRLF, numeric fields are not neutralized, the BOM on request", "[report][csv]") {
    std::string out;
    std::vector<std::string> header{"name", "online_s", "online"};
    report::append_csv_record(out, header);
    std::vector<std::string> row{"-Ann", "-1", "0:00:00"};
    const bool numeric[] = {false, true, false};
    report::append_csv_record(out, row, numeric);
    CHECK(out == "name,online_s,online\r\n'-Ann,-1,0:00:00\r\n");
    CHECK(report::csv_preamble({.bom = true}) == "\xEF\xBB\xBF");
    CHECK(report::csv_preamble({}).empty());
}

TEST_CASE("csv: durations as h:mm:ss, hours past 24 not wrapped", "[report][csv]") {
    CHECK(report::format_hms(0) == "0:00:00");
    CHECK(report::format_hms(999) == "0:00:00");
    CHECK(report::format_hms(61'000) == "0:01:01");
    CHECK(report::format_hms(3'723'000) == "1:02:03");
    CHECK(report::format_hms(97'389'000) == "27:03:09");
    CHECK(report::format_hms(-5) == "0:00:00");
}
