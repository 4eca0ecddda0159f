// report: the PDF writer, read back as a person would see it: pdftotext and pdfinfo (poppler-utils)
// for the text, the page count and the paper size, and pdftoppm for the pixels of a timeline bar.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "bbbhook/report/pdf.hpp"
#include "bbbhook/util/subprocess.hpp"
#include "support/support.hpp"

using namespace bbbhook;
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_generated = 1790000000000; // 2026-09-21 14:13:20Z, 17:13:20 in Athens
constexpr int64_t k_minute = 60'000;
constexpr const char* k_long_name =
    "Maximilian Alexander Konstantin von Hohenzollern-Sigmaringen-Veringen Friedrichshafen Zollernalb";

std::vector<report::Column> person_columns() {
    return {{"name", "Name", report::Kind::text, true},
            {"role", "Role", report::Kind::text, false},
            {"first_join", "First join", report::Kind::instant, false},
            {"last_leave", "Last leave", report::Kind::instant, false},
            {"online", "Online", report::Kind::duration, false},
            {"sessions", "Sessions", report::Kind::integer, false},
            {"attendance", "Attendance", report::Kind::percent, false}};
}

report::Row person_row(std::string name, int64_t i) {
    return {std::move(name),
            std::string(i == 0 ? "MODERATOR" : "VIEWER"),
            int64_t{k_generated + i * k_minute},
            i % 5 == 4 ? report::Cell{} : report::Cell{int64_t{k_generated + 3'600'000 + i * k_minute}},
            int64_t{3'723'000 + i * 1000},
            int64_t{1 + i % 3},
            87.5 - static_cast<double>(i % 10)};
}

report::Document base_document() {
    report::Document doc;
    doc.title = "Attendance by person and meeting";
    doc.filters = {{"from", "2026-10-01 (Europe/Athens)"}, {"meeting", "Physics 101"}};
    doc.generated_ms = k_generated;
    doc.time_zone = "Europe/Athens";
    doc.summary = {{"Meetings", "1"}, {"People", "7"}, {"Total online", "7:14:21"}};
    doc.columns = person_columns();
    return doc;
}

report::Document names_document() {
    report::Document doc = base_document();
    const std::vector<std::string> names{"Γιώργος Παπαδόπουλος", "Ёлка Иванова", "José Ñúñez", "Łukasz Żółć", "王小明",
                                         "Nguyễn Thị Minh Khai", k_long_name};
    for (size_t i = 0; i < names.size(); ++i)
        doc.rows.push_back(person_row(names[i], static_cast<int64_t>(i)));
    return doc;
}

struct Pdf {
    fs::path file;
    std::string text; // pdftotext -layout: pages separated by form feeds
    std::string info; // pdfinfo
};

Pdf render(test::TempDir& dir, const report::Document& doc, const report::PdfOptions& options = {}) {
    report::LocalClock clock("Europe/Athens");
    auto bytes = report::render_pdf(doc, clock, options);
    INFO((bytes ? "" : bytes.error().message));
    REQUIRE(bytes);
    REQUIRE(bytes->starts_with("%PDF-"));
    Pdf pdf;
    pdf.file = dir / "report.pdf";
    test::write_text(pdf.file, *bytes);
    auto text = util::capture_output({"pdftotext", "-q", "-layout", pdf.file.string(), "-"});
    REQUIRE(text);
    pdf.text = *text;
    auto info = util::capture_output({"pdfinfo", pdf.file.string()});
    REQUIRE(info);
    pdf.info = *info;
    return pdf;
}

// The value of a "Key:   value" line of pdfinfo.
std::string info_field(const std::string& info, std::string_view key) {
    const std::string prefix = std::string(key) + ":";
    size_t pos = info.find(prefix);
    if (pos == std::string::npos) return {};
    pos = info.find_first_not_of(' ', pos + prefix.size());
    return info.substr(pos, info.find('\n', pos) - pos);
}

int page_count(const Pdf& pdf) {
    return std::stoi(info_field(pdf.info, "Pages"));
}

// pdfinfo's "Page size: 595.276 x 841.89 pts (A4)" as whole points.
std::pair<long, long> page_size(const Pdf& pdf) {
    const std::string size = info_field(pdf.info, "Page size");
    double w = 0, h = 0;
    REQUIRE(std::sscanf(size.c_str(), "%lf x %lf", &w, &h) == 2);
    return {std::lround(w), std::lround(h)};
}

std::vector<std::string> pages(const Pdf& pdf) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t ff; (ff = pdf.text.find('\f', start)) != std::string::npos; start = ff + 1)
        out.push_back(pdf.text.substr(start, ff - start));
    return out;
}

size_t count(const std::string& haystack, std::string_view needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1))
        ++n;
    return n;
}

// A program's path, looked up in PATH (test::run does not search).
std::string in_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const size_t colon = dirs.find(':');
        const fs::path candidate = fs::path(dirs.substr(0, colon)) / program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    }
    return program;
}

bool cjk_font_installed() {
    for (const fs::path& font : report::default_cjk_fonts())
        if (fs::exists(font)) return true;
    return false;
}

// A binary PPM (P6) as pdftoppm writes it.
struct Image {
    int width = 0, height = 0;
    std::string rgb;
    struct Pixel {
        int r, g, b;
    };
    Pixel at(int x, int y) const {
        const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
        return {static_cast<unsigned char>(rgb[i]), static_cast<unsigned char>(rgb[i + 1]),
                static_cast<unsigned char>(rgb[i + 2])};
    }
};

Image read_ppm(const fs::path& file) {
    const std::string data = test::read_text(file);
    Image image;
    int max = 0, consumed = 0;
    REQUIRE(std::sscanf(data.c_str(), "P6 %d %d %d%n", &image.width, &image.height, &max, &consumed) == 3);
    REQUIRE(max == 255);
    image.rgb = data.substr(static_cast<size_t>(consumed) + 1);
    REQUIRE(image.rgb.size() == static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3);
    return image;
}

// The viewer's bar color (#2F6FDB), anti-aliasing allowed.
bool viewer_blue(Image::Pixel p) {
    return p.b > 170 && p.r < 120 && p.g < 160;
}

} // namespace

TEST_CASE("pdf: names in Greek, Cyrillic and accented Latin print as they are", "[report][pdf]") {
    test::TempDir dir;
    const Pdf pdf = render(dir, names_document());
    CHECK_THAT(pdf.text, Catch::Contains("Γιώργος"));
    CHECK_THAT(pdf.text, Catch::Contains("Παπαδόπουλος"));
    CHECK_THAT(pdf.text, Catch::Contains("Ёлка Иванова"));
    CHECK_THAT(pdf.text, Catch::Contains("José Ñúñez"));
    CHECK_THAT(pdf.text, Catch::Contains("Łukasz Żółć"));
    CHECK_THAT(pdf.text, Catch::Contains("Nguyễn Thị"));
    // The header: title, filters, generation time and time zone; the summary.
    CHECK_THAT(pdf.text, Catch::Contains("Attendance by person and meeting"));
    CHECK_THAT(pdf.text, Catch::Contains("2026-10-01 (Europe/Athens)"));
    CHECK_THAT(pdf.text, Catch::Contains("Physics 101"));
    CHECK_THAT(pdf.text, Catch::Contains("2026-09-21 17:13:20"));
    CHECK_THAT(pdf.text, Catch::Contains("Time zone"));
    CHECK_THAT(pdf.text, Catch::Contains("Europe/Athens"));
    CHECK_THAT(pdf.text, Catch::Contains("Total online"));
    CHECK_THAT(pdf.text, Catch::Contains("7:14:21"));
    // Cells: local instants, h:mm:ss, one-decimal percents, integers; a null as a dash.
    CHECK_THAT(pdf.text, Catch::Contains("2026-09-21 17:13"));
    CHECK_THAT(pdf.text, Catch::Contains("1:02:03"));
    CHECK_THAT(pdf.text, Catch::Contains("87.5%"));
    CHECK_THAT(pdf.text, Catch::Contains("\u2013"));
    // The long name is wrapped over two lines and shortened.
    CHECK_THAT(pdf.text, Catch::Contains("Maximilian"));
    CHECK_THAT(pdf.text, Catch::Contains("\u2026"));
    CHECK_THAT(pdf.text, !Catch::Contains("Zollernalb"));
    CHECK(page_count(pdf) == 1);
    CHECK_THAT(pdf.text, Catch::Contains("Page 1 of 1"));
    // The document information.
    CHECK(info_field(pdf.info, "Title") == "Attendance by person and meeting");
    CHECK(info_field(pdf.info, "Creator") == "bbbhook");
    // The fonts are embedded, with a ToUnicode map that readers accept (libharu's own is broken).
    const test::RunResult fonts = test::run({in_path("pdffonts"), pdf.file.string()});
    CHECK(fonts.code == 0);
    CHECK(count(fonts.out, "CID TrueType      Identity-H       yes yes yes") >= 2);
    CHECK(fonts.err.empty());
    CHECK_THAT(info_field(pdf.info, "CreationDate"), Catch::Contains("2026"));
}

TEST_CASE("pdf: CJK names print with an installed CJK font", "[report][pdf]") {
    if (!cjk_font_installed()) {
        WARN("no CJK font installed (fonts-wqy-microhei): skipped");
        return;
    }
    test::TempDir dir;
    report::Document doc = names_document();
    doc.rows.push_back(person_row("김민준", 8));
    doc.rows.push_back(person_row("Anna 李 (Li)", 9)); // three runs: DejaVu, the CJK font, DejaVu
    // Candidates that are missing or not fonts are skipped.
    test::write_text(dir / "broken.ttc", "not a font collection");
    report::PdfOptions options;
    options.cjk_fonts = {dir / "missing.ttf", dir / "broken.ttc"};
    for (const fs::path& font : report::default_cjk_fonts())
        options.cjk_fonts.push_back(font);
    const Pdf pdf = render(dir, doc, options);
    CHECK_THAT(pdf.text, Catch::Contains("王小明"));
    CHECK_THAT(pdf.text, Catch::Contains("Anna 李 (Li)"));            // each run goes on where the last one ended
    if (fs::exists("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")) // Hangul (Droid has none)
        CHECK_THAT(pdf.text, Catch::Contains("김민준"));
    CHECK_THAT(pdf.text, !Catch::Contains("no installed font can show"));
    auto fonts = util::capture_output({"pdffonts", pdf.file.string()});
    REQUIRE(fonts);
    CHECK(count(*fonts, "CID TrueType") >= 3); // DejaVu Sans, its bold, the CJK font(s)
}

TEST_CASE("pdf: without a CJK font a placeholder is shown and a note counts the names", "[report][pdf]") {
    test::TempDir dir;
    report::Document doc = names_document();
    doc.rows.push_back(person_row("王小明", 7)); // the same name again: counted once
    doc.rows.push_back(person_row("Anna 李", 8));
    report::PdfOptions options;
    options.cjk_fonts.clear();
    const Pdf pdf = render(dir, doc, options);
    CHECK_THAT(pdf.text, !Catch::Contains("王"));
    CHECK_THAT(pdf.text, Catch::Contains("\u25A1\u25A1\u25A1"));
    CHECK_THAT(pdf.text, Catch::Contains("Anna \u25A1"));
    CHECK_THAT(pdf.text, Catch::Contains("2 names contain characters that no installed font can show"));
    CHECK_THAT(pdf.text, Catch::Contains("fonts-wqy-microhei"));
    // Everything else is unaffected.
    CHECK_THAT(pdf.text, Catch::Contains("Ёлка Иванова"));
}

TEST_CASE("pdf: control characters print as spaces, malformed UTF-8 as a replacement character", "[report][pdf]") {
    test::TempDir dir;
    report::Document doc = base_document();
    doc.rows.push_back(person_row("Tab\there\nnewline", 1));
    doc.rows.push_back(person_row("bad \xC3 byte", 2));
    doc.rows.push_back(person_row("overlong \xE0\x80\x80 nul", 3)); // a NUL in three bytes
    const Pdf pdf = render(dir, doc);
    CHECK_THAT(pdf.text, Catch::Contains("Tab here newline"));
    CHECK_THAT(pdf.text, Catch::Contains("bad \uFFFD byte"));
    CHECK_THAT(pdf.text, Catch::Contains("overlong \uFFFD nul"));
}

// The words of a page as pdftotext -bbox sees them: the text and its left and right edge in points.
struct Word {
    std::string text;
    double x_min = 0, x_max = 0;
};

std::vector<Word> words(const Pdf& pdf, int page) {
    auto html = util::capture_output(
        {"pdftotext", "-q", "-bbox", "-f", std::to_string(page), "-l", std::to_string(page), pdf.file.string(), "-"});
    REQUIRE(html);
    std::vector<Word> out;
    for (size_t pos = 0; (pos = html->find("<word xMin=\"", pos)) != std::string::npos;) {
        Word w;
        double y_min = 0, y_max = 0;
        int consumed = 0;
        REQUIRE(std::sscanf(html->c_str() + pos, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\">%n",
                            &w.x_min, &y_min, &w.x_max, &y_max, &consumed) == 4);
        pos += static_cast<size_t>(consumed);
        w.text = html->substr(pos, html->find('<', pos) - pos);
        out.push_back(std::move(w));
    }
    return out;
}

TEST_CASE("pdf: cells stay in their column down a full page", "[report][pdf]") {
    test::TempDir dir;
    report::Document doc = base_document();
    for (int64_t i = 0; i < 120; ++i)
        doc.rows.push_back(person_row(fmt::format("Person {:04}", i), i));
    const Pdf pdf = render(dir, doc);
    REQUIRE(page_count(pdf) >= 2);
    // Left-aligned names start at the same x, right-aligned percents end at the same x.
    double name_min = 1e9, name_max = -1e9, percent_min = 1e9, percent_max = -1e9;
    size_t names = 0, percents = 0;
    for (const Word& w : words(pdf, 2)) {
        if (w.text == "Person") {
            ++names;
            name_min = std::min(name_min, w.x_min);
            name_max = std::max(name_max, w.x_min);
        } else if (w.text.ends_with('%')) {
            ++percents;
            percent_min = std::min(percent_min, w.x_max);
            percent_max = std::max(percent_max, w.x_max);
        }
    }
    CHECK(names >= 40);
    CHECK(percents >= 40);
    CHECK(name_max - name_min < 0.01);
    CHECK(percent_max - percent_min < 0.01);
}

TEST_CASE("pdf: a long table repeats its header row and numbers every page", "[report][pdf]") {
    test::TempDir dir;
    report::Document doc = base_document();
    for (int64_t i = 0; i < 300; ++i)
        doc.rows.push_back(person_row(fmt::format("Person {:04}", i), i));
    size_t calls = 0, last_done = 0, last_total = 0;
    report::PdfOptions options;
    options.progress = [&](size_t done, size_t total) {
        ++calls;
        last_done = done;
        last_total = total;
    };
    const Pdf pdf = render(dir, doc, options);
    const int n = page_count(pdf);
    CHECK(n >= 6);
    CHECK(n <= 9);
    const auto text_pages = pages(pdf);
    REQUIRE(text_pages.size() == static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        INFO("page " << i + 1);
        CHECK_THAT(text_pages[static_cast<size_t>(i)], Catch::Contains(fmt::format("Page {} of {}", i + 1, n)));
        CHECK_THAT(text_pages[static_cast<size_t>(i)], Catch::Contains("Sessions"));
        CHECK_THAT(text_pages[static_cast<size_t>(i)], Catch::Contains("First join"));
    }
    // Every row once, in order, none lost at a page break.
    size_t previous = 0;
    for (int i = 0; i < 300; ++i) {
        const std::string name = fmt::format("Person {:04}", i);
        INFO(name);
        CHECK(count(pdf.text, name) == 1);
        const size_t at = pdf.text.find(name);
        CHECK(at >= previous);
        previous = at;
    }
    CHECK(calls >= static_cast<size_t>(n));
    CHECK(last_total == 300);
    CHECK(last_done == 300);
}

TEST_CASE("pdf: A4 and Letter, portrait and landscape", "[report][pdf]") {
    test::TempDir dir;
    const report::Document doc = names_document();
    struct Case {
        report::Paper paper;
        report::Orientation orientation;
        std::pair<long, long> size;
    };
    for (const Case& c : {Case{report::Paper::a4, report::Orientation::portrait, {595, 842}},
                          Case{report::Paper::a4, report::Orientation::landscape, {842, 595}},
                          Case{report::Paper::letter, report::Orientation::portrait, {612, 792}},
                          Case{report::Paper::letter, report::Orientation::landscape, {792, 612}}}) {
        report::PdfOptions options;
        options.paper = c.paper;
        options.orientation = c.orientation;
        const Pdf pdf = render(dir, doc, options);
        CHECK(page_size(pdf) == c.size);
        CHECK_THAT(pdf.text, Catch::Contains("Ёлка Иванова"));
    }
}

TEST_CASE("pdf: a table too wide for the page gets a smaller font, every column stays", "[report][pdf]") {
    test::TempDir dir;
    report::Document doc = base_document();
    doc.columns.clear();
    for (int c = 0; c < 12; ++c)
        doc.columns.push_back({fmt::format("c{:02}", c), fmt::format("C{:02}", c), report::Kind::duration, false});
    for (int64_t r = 0; r < 20; ++r) {
        report::Row row;
        for (int64_t c = 0; c < 12; ++c)
            row.push_back(int64_t{(r * 12 + c) * 3'600'000 + 3'723'000});
        doc.rows.push_back(row);
    }
    const Pdf pdf = render(dir, doc);
    for (int c = 0; c < 12; ++c)
        CHECK_THAT(pdf.text, Catch::Contains(fmt::format("C{:02}", c)));
    CHECK_THAT(pdf.text, Catch::Contains("240:02:03")); // the last cell, whole
    CHECK_THAT(pdf.text, !Catch::Contains("\u2026"));   // nothing shortened
}

TEST_CASE("pdf: a missing main font fails with no_input naming the package", "[report][pdf]") {
    report::LocalClock clock("Europe/Athens");
    report::PdfOptions options;
    options.font = "/nonexistent/fonts/NoSuchSans.ttf";
    auto result = report::render_pdf(names_document(), clock, options);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ExitCode::no_input);
    CHECK_THAT(result.error().message, Catch::Contains("/nonexistent/fonts/NoSuchSans.ttf"));
    CHECK_THAT(result.error().message, Catch::Contains("fonts-dejavu-core"));
}

TEST_CASE("pdf: a font libharu cannot read fails with the libharu error number", "[report][pdf]") {
    test::TempDir dir;
    test::write_text(dir / "broken.ttf", "this is not a TrueType font");
    report::LocalClock clock("Europe/Athens");
    report::PdfOptions options;
    options.font = dir / "broken.ttf";
    auto result = report::render_pdf(names_document(), clock, options);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ExitCode::internal);
    CHECK_THAT(result.error().message, Catch::Contains("libharu error 0x"));
    CHECK_THAT(result.error().message, Catch::Contains("broken.ttf"));
}

TEST_CASE("pdf: a timeline shows presences as bars and a rejoin as a gap", "[report][pdf]") {
    test::TempDir dir;
    report::Document doc = base_document();
    doc.columns.clear(); // only the chart
    report::Timeline t;
    t.meeting = "Physics 101 \u2013 Lecture 4";
    t.detail = "course 42 \u00B7 bbb1.example.org";
    t.start_ms = k_generated;
    t.end_ms = k_generated + 90 * k_minute;
    // Present the first and the last 30 minutes: left and came back.
    t.people.push_back(
        {"Γιώργος Παπαδόπουλος",
         "VIEWER",
         {{t.start_ms, t.start_ms + 30 * k_minute, false}, {t.start_ms + 60 * k_minute, t.end_ms, false}}});
    t.people.push_back({"Ёлка Иванова", "MODERATOR", {{t.start_ms + 10 * k_minute, t.end_ms, true}}});
    doc.timelines.push_back(t);
    const Pdf pdf = render(dir, doc);
    CHECK_THAT(pdf.text, Catch::Contains("Physics 101 \u2013 Lecture 4"));
    CHECK_THAT(pdf.text, Catch::Contains("course 42"));
    CHECK_THAT(pdf.text, Catch::Contains("Γιώργος Παπαδόπουλος"));
    CHECK_THAT(pdf.text, Catch::Contains("Ёлка Иванова"));
    CHECK_THAT(pdf.text, Catch::Contains("17:20")); // local-time ticks every 10 minutes
    CHECK_THAT(pdf.text, Catch::Contains("18:30"));
    CHECK_THAT(pdf.text, Catch::Contains("1:00:00")); // time present
    CHECK_THAT(pdf.text, Catch::Contains("Still present at the last event"));

    // The bar: the longest run of the viewer's blue in the page's pixels.
    const int page = page_count(pdf);
    auto ok = util::capture_output({"pdftoppm", "-r", "50", "-f", std::to_string(page), "-l", std::to_string(page),
                                    "-singlefile", pdf.file.string(), (dir / "page").string()});
    REQUIRE(ok);
    const Image image = read_ppm(dir / "page.ppm");
    int best_row = -1, best_count = 0;
    for (int y = 0; y < image.height; ++y) {
        int n = 0;
        for (int x = 0; x < image.width; ++x)
            n += viewer_blue(image.at(x, y)) ? 1 : 0;
        if (n > best_count) {
            best_count = n;
            best_row = y;
        }
    }
    REQUIRE(best_row >= 0);
    int first = image.width, last = -1;
    for (int x = 0; x < image.width; ++x)
        if (viewer_blue(image.at(x, best_row))) {
            first = std::min(first, x);
            last = std::max(last, x);
        }
    const int span = last - first;
    REQUIRE(span > image.width / 3);
    const auto at = [&](double f) { return image.at(first + static_cast<int>(f * span), best_row); };
    // Present at 15 and 75 minutes of 90, absent at 45: the gap is the light track, not blue.
    CHECK(viewer_blue(at(0.15)));
    CHECK(viewer_blue(at(0.85)));
    const Image::Pixel gap = at(0.5);
    CHECK_FALSE(viewer_blue(gap));
    CHECK(gap.r > 200);
    CHECK(gap.g > 200);
    CHECK(gap.b > 200);
}

// The dark pixels of a one-page document whose title is `title`.
size_t title_ink(const std::string& title) {
    test::TempDir dir;
    report::Document doc = base_document();
    doc.title = title;
    doc.columns.clear();
    doc.summary.clear();
    const Pdf pdf = render(dir, doc);
    auto ok =
        util::capture_output({"pdftoppm", "-q", "-r", "72", "-singlefile", pdf.file.string(), (dir / "page").string()});
    REQUIRE(ok);
    const Image image = read_ppm(dir / "page.ppm");
    size_t dark = 0;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const Image::Pixel p = image.at(x, y);
            dark += p.r + p.g + p.b < 300 ? 1 : 0;
        }
    return dark;
}

TEST_CASE("pdf: letters made of nested composite glyphs print whole", "[report][pdf]") {
    // libharu 2.3 embeds only the first level of a composite glyph: "Ё" (Cyrillic Е, itself a
    // composite, plus a diaeresis) and "ự" (ư, itself u with a horn, plus a dot) lost their base
    // letter and printed as bare accents, with less ink than the plain letter.
    CHECK(title_ink("ЁЁЁЁЁЁЁЁЁЁ") > title_ink("ЕЕЕЕЕЕЕЕЕЕ"));
    CHECK(title_ink("ựựựựựựựựựự") > title_ink("uuuuuuuuuu"));
}

TEST_CASE("pdf: a document without rows says so", "[report][pdf]") {
    test::TempDir dir;
    const Pdf pdf = render(dir, base_document());
    CHECK_THAT(pdf.text, Catch::Contains("No rows match the filters."));
    CHECK_THAT(pdf.text, Catch::Contains("Page 1 of 1"));
}

// Not a test: the time to render 10,000 rows, printed (speed goals are never assertions).
TEST_CASE("pdf: time to render 10,000 rows", "[.][pdf-bench]") {
    report::Document doc = names_document();
    doc.rows.clear();
    const std::vector<std::string> names{"Γιώργος Παπαδόπουλος", "Ёлка Иванова", "José Ñúñez", "Łukasz Żółć",
                                         "Nguyễn Thị Minh Khai", "Ann Smith",    k_long_name};
    for (int64_t i = 0; i < 10'000; ++i)
        doc.rows.push_back(person_row(names[static_cast<size_t>(i) % 7], i));
    report::LocalClock clock("Europe/Athens");
    for (int run = 0; run < 3; ++run) {
        const auto start = std::chrono::steady_clock::now();
        auto bytes = report::render_pdf(doc, clock, {});
        const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        REQUIRE(bytes);
        WARN(fmt::format("10,000 rows: {:.1f} ms, {} bytes", ms, bytes->size()));
    }
}
