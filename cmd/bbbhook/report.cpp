// `bbbhook report`: flags -> report::ReportOptions -> report::run.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "bbbhook/report/report.hpp"
#include "commands.hpp"

namespace bbbhook::cmd {

namespace {

struct ReportArgs {
    report::ReportOptions options;
    std::string format, output, paper = "a4", font;
    std::vector<std::string> cjk_fonts;
    bool landscape = false, no_timeline = false;
};

} // namespace

void setup_report(CLI::App& sub, cli::Context& ctx) {
    static ReportArgs a;
    report::ReportOptions& o = a.options;
    report::Filters& f = o.filters;
    cli::add_setting_flags(sub, ctx, {"database"});

    const std::map<std::string, report::View> views = {{"person-meeting", report::View::person_meeting},
                                                       {"session", report::View::session},
                                                       {"person", report::View::person},
                                                       {"meeting", report::View::meeting}};
    sub.add_option("--by", o.view,
                   "person-meeting: a row per person per meeting (default); session: every connection; person: "
                   "totals per person; meeting: a row per meeting")
        ->transform(CLI::CheckedTransformer(views, CLI::ignore_case).description(""))
        ->type_name("VIEW")
        ->option_text("VIEW");
    sub.add_option("-f,--format", a.format,
                   "csv, json, ndjson, pdf or table [default: from -o's extension, else table on a terminal, else csv]")
        ->transform(CLI::IsMember({"csv", "json", "ndjson", "pdf", "table"}, CLI::ignore_case).description(""))
        ->type_name("FORMAT");
    sub.add_option("-o,--output", a.output, "Write to FILE, put in place only when complete [default: stdout]")
        ->type_name("FILE");

    auto* filters = "Filters";
    sub.add_option("--from", o.from, "Meetings starting at or after: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] in --tz")
        ->type_name("WHEN")
        ->group(filters);
    sub.add_option("--to", o.to, "Meetings starting before WHEN; a date means to the end of that day")
        ->type_name("WHEN")
        ->group(filters);
    sub.add_option("--tz", o.tz, "Time zone of --from/--to and of the times shown [default: the system's]")
        ->type_name("ZONE")
        ->group(filters);
    sub.add_option("--name", f.name, "Person's name contains TEXT (ignoring case and accents)")
        ->type_name("TEXT")
        ->group(filters);
    sub.add_option("--user-id", f.user_id, "Person's external user ID (a Moodle user id), or a guest's internal ID")
        ->type_name("ID")
        ->group(filters);
    sub.add_option("--meeting", f.meeting, "Meeting's external ID, internal ID, or a part of its name")
        ->type_name("M")
        ->group(filters);
    sub.add_option("--course", f.course, "Moodle course ID (from the meeting's bbb-context-id)")
        ->type_name("ID")
        ->group(filters);
    sub.add_option("--server", f.server, "BBB server's domain")->type_name("DOMAIN")->group(filters);
    sub.add_option("--role", f.role, "moderator or viewer (the role of the person's latest join)")
        ->type_name("ROLE")
        ->group(filters);
    sub.add_option("--min-minutes", f.min_minutes, "Only people online at least N minutes in the meeting")
        ->check(CLI::NonNegativeNumber)
        ->type_name("N")
        ->group(filters);
    sub.add_option("--min-percent", f.min_percent, "Only people online at least P% of the meeting's duration")
        ->check(CLI::Range(0.0, 100.0))
        ->type_name("P")
        ->group(filters);
    sub.add_flag("--include-open", f.include_open, "Also meetings still running (times up to their last event)")
        ->group(filters);
    sub.add_flag("--include-breakouts", f.include_breakouts,
                 "Also breakout rooms as meetings of their own (their time is shown at the parent anyway)")
        ->group(filters);

    auto* looks = "Output";
    sub.add_flag("--bom", o.bom, "CSV: start with a UTF-8 byte order mark (for Excel)")->group(looks);
    sub.add_option("--paper", a.paper, "PDF: a4 or letter [default: a4]")
        ->transform(CLI::IsMember({"a4", "letter"}, CLI::ignore_case).description(""))
        ->type_name("SIZE")
        ->group(looks);
    sub.add_flag("--landscape", a.landscape, "PDF: landscape pages (more room for columns)")->group(looks);
    sub.add_option("--title", o.title, "PDF: the title [default: from --by]")->type_name("TEXT")->group(looks);
    sub.add_flag("--no-timeline", a.no_timeline, "PDF: leave out the timeline chart of each meeting")->group(looks);
    sub.add_option("--font", a.font, "PDF: the TrueType font [default: DejaVu Sans]")->type_name("FILE")->group(looks);
    sub.add_option("--cjk-font", a.cjk_fonts,
                   "PDF: TrueType font(s) for what the main font lacks (CJK); repeatable, 'none' for none "
                   "[default: the first of fonts-wqy-microhei, fonts-droid-fallback … installed]")
        ->type_name("FILE")
        ->group(looks);
    sub.footer("Examples:\n"
               "  bbbhook report --from 2026-10-01 --to 2026-10-31 --course 42 -o physics-october.pdf\n"
               "  bbbhook report --by person --name 'γιώργος' --format json\n"
               "  bbbhook report --by meeting --from 2026-10-01 --tz Europe/Athens > meetings.csv\n"
               "See bbbhook-report(1).");

    sub.callback([&ctx] {
        auto config = ctx.load_config(cli::Context::Sources::ignore);
        report::ReportOptions options = a.options;
        options.database = config.database;
        if (!a.format.empty()) // lowercase already (IsMember with ignore_case as a transform)
            options.format = a.format == "csv"      ? report::Format::csv
                             : a.format == "json"   ? report::Format::json
                             : a.format == "ndjson" ? report::Format::ndjson
                             : a.format == "pdf"    ? report::Format::pdf
                                                    : report::Format::table;
        if (!a.output.empty() && a.output != "-") options.output = a.output;
        options.timelines = !a.no_timeline;
        options.pdf.paper = a.paper == "letter" ? report::Paper::letter : report::Paper::a4; // made lowercase
        options.pdf.orientation = a.landscape ? report::Orientation::landscape : report::Orientation::portrait;
        if (!a.font.empty()) {
            options.pdf.font = a.font;
            options.pdf.bold_font.clear(); // titles in the same font
        }
        if (!a.cjk_fonts.empty()) {
            options.pdf.cjk_fonts.clear();
            for (const auto& file : a.cjk_fonts)
                if (file != "none") options.pdf.cjk_fonts.emplace_back(file);
        }
        options.progress = ::isatty(STDERR_FILENO) == 1;
        options.stdout_tty = ::isatty(STDOUT_FILENO) == 1;
        size_t rows = value_or_throw(report::run(options));
        if (rows == 0) spdlog::warn("no rows match these filters");
    });
}

} // namespace bbbhook::cmd
