#include "bbbhook/journal/inspect.hpp"

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bbbhook/journal/reader.hpp"
#include "bbbhook/journal/writer.hpp"
#include "bbbhook/util/form.hpp"
#include "bbbhook/util/time.hpp"

namespace bbbhook::journal {

std::optional<Position> parse_position(std::string_view text) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Position{std::string(text), 0};
    Position p{std::string(text.substr(0, colon)), 0};
    auto off = text.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(off.data(), off.data() + off.size(), p.offset);
    if (ec != std::errc() || ptr != off.data() + off.size()) return std::nullopt;
    return p;
}

std::string event_ids(std::string_view body) {
    auto fields = util::parse_form(body);
    if (!fields) return "?";
    const std::string* event = util::form_value(*fields, "event");
    if (!event) return "?";
    auto j = nlohmann::json::parse(*event, nullptr, false);
    if (j.is_discarded()) return "?";
    if (!j.is_array()) j = nlohmann::json::array({j});
    // Whatever the sender put there (an authenticated sender may send any JSON), never throw.
    auto string_at = [](const nlohmann::json& e, const char* a, const char* b) -> const std::string* {
        if (!e.is_object() || !e.contains(a) || !e[a].is_object() || !e[a].contains(b)) return nullptr;
        return e[a][b].is_string() ? e[a][b].get_ptr<const std::string*>() : nullptr;
    };
    std::string out;
    for (const auto& e : j) {
        const std::string* id = string_at(e, "data", "id");
        if (!id) id = string_at(e, "envelope", "name");
        if (!id) id = string_at(e, "header", "name");
        if (!out.empty()) out += ",";
        out += id ? *id : "?";
    }
    return out;
}

namespace {
void warn_item(const ReadItem& item, const std::filesystem::path& dir) {
    const char* what = item.kind == ReadItem::Kind::corrupt ? "corrupt region" : "torn tail";
    std::fprintf(stderr, "bbbhook: warning: %s:%llu: %s of %llu bytes skipped\n", (dir / item.at.file).c_str(),
                 static_cast<unsigned long long>(item.at.offset), what, static_cast<unsigned long long>(item.length));
}
} // namespace

ExitCode dump(const DumpOptions& o, std::FILE* out) {
    auto reader = value_or_throw(Reader::open(o.dir, o.from));
    uint64_t n = 0;
    if (!o.json && !o.events)
        std::fprintf(out, "%-45s %-24s %-16s %-10s %6s  %s\n", "FILE:OFFSET", "RECEIVED (UTC)", "SOURCE", "AUTH",
                     "BYTES", "EVENTS");
    while (!o.limit || n < *o.limit) {
        auto item = value_or_throw(reader.next());
        if (item.kind == ReadItem::Kind::end) {
            if (item.pending_bytes)
                std::fprintf(stderr,
                             "bbbhook: note: %s:%llu: %llu bytes of an incomplete record (still being written?)\n",
                             (o.dir / item.at.file).c_str(), static_cast<unsigned long long>(item.at.offset),
                             static_cast<unsigned long long>(item.pending_bytes));
            break;
        }
        if (item.kind != ReadItem::Kind::record) {
            warn_item(item, o.dir);
            continue;
        }
        ++n;
        const Record& r = item.record;
        if (o.events) {
            // The `event` field's elements as sent: one JSON document per line.
            auto fields = util::parse_form(r.body);
            const std::string* event = fields ? util::form_value(*fields, "event") : nullptr;
            auto j = event ? nlohmann::ordered_json::parse(*event, nullptr, false) : nlohmann::ordered_json();
            if (j.is_array())
                for (const auto& e : j)
                    std::fprintf(out, "%s\n", e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else if (o.json) {
            nlohmann::ordered_json j;
            j["file"] = item.at.file;
            j["offset"] = item.at.offset;
            j["received"] = util::format_iso_utc_ms(r.received_ms);
            j["received_ms"] = r.received_ms;
            j["source"] = r.source;
            j["remote"] = r.remote;
            j["auth"] = bbb::auth_method_name(r.auth);
            j["target"] = r.target;
            j["body"] = r.body;
            std::fprintf(out, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
            std::string where = fmt::format("{}:{}", item.at.file, item.at.offset);
            std::fprintf(out, "%-45s %-24s %-16.*s %-10s %6zu  %s\n", where.c_str(),
                         util::format_iso_utc_ms(r.received_ms).c_str(), static_cast<int>(r.source.size()),
                         r.source.data(), std::string(bbb::auth_method_name(r.auth)).c_str(), r.body.size(),
                         event_ids(r.body).c_str());
        }
    }
    return ExitCode::ok;
}

ExitCode verify(const std::filesystem::path& dir, std::FILE* out, VerifySummary* summary) {
    VerifySummary s;
    auto files = value_or_throw(list_files(dir));
    s.files = files.size();
    auto reader = value_or_throw(Reader::open(dir));
    for (;;) {
        auto item = value_or_throw(reader.next());
        if (item.kind == ReadItem::Kind::end) {
            s.pending_bytes = item.pending_bytes;
            break;
        }
        switch (item.kind) {
        case ReadItem::Kind::record: ++s.records; break;
        case ReadItem::Kind::corrupt:
            ++s.corrupt_regions;
            s.corrupt_bytes += item.length;
            warn_item(item, dir);
            break;
        case ReadItem::Kind::torn_tail:
            ++s.torn_tails;
            s.torn_bytes += item.length;
            warn_item(item, dir);
            break;
        case ReadItem::Kind::end: break;
        }
    }
    std::fprintf(out,
                 "%llu file(s), %llu record(s); %llu corrupt region(s) (%llu bytes), %llu torn tail(s) (%llu bytes), "
                 "%llu byte(s) pending in the newest file\n",
                 static_cast<unsigned long long>(s.files), static_cast<unsigned long long>(s.records),
                 static_cast<unsigned long long>(s.corrupt_regions), static_cast<unsigned long long>(s.corrupt_bytes),
                 static_cast<unsigned long long>(s.torn_tails), static_cast<unsigned long long>(s.torn_bytes),
                 static_cast<unsigned long long>(s.pending_bytes));
    if (summary) *summary = s;
    return s.corrupt_regions || s.torn_tails ? ExitCode::data : ExitCode::ok;
}

} // namespace bbbhook::journal
