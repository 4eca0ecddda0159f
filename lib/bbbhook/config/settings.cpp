#include "bbbhook/config/settings.hpp"

#include <algorithm>

namespace bbbhook::config {

namespace {
constexpr Spec k_specs[] = {
    {"data_dir", "--data-dir", "$STATE_DIRECTORY, else ./bbbhook-data", Kind::path,
     "Folder for bbbhook's state (the journal, the quarantine) unless set on their own"},
    {"log_level", "--log-level", "info", Kind::choice, "Log verbosity on stderr", "trace|debug|info|warn|error|off"},

    {"database", "--database", "<data_dir>/bbbhook.sqlite", Kind::path,
     "SQLite database of meetings and attendance (written by ingest, read by report)"},

    {"journal.dir", "--journal-dir", "<data_dir>/journal", Kind::path, "Folder of the append-only journal files"},
    {"journal.rotate_size", "--rotate-size", "64MiB", Kind::size, "Start a new journal file after this size"},
    {"journal.rotate_age", "--rotate-age", "1d", Kind::duration, "Start a new journal file after this age"},
    {"journal.durability", "--durability", "sync", Kind::choice,
     "sync: answer 2xx only after fdatasync; none: after write(2) only (loses events on power loss)", "sync|none"},
    {"journal.preallocate", "--preallocate", "zeros", Kind::choice,
     "zeros: prepare each next journal file filled with zeros once traffic reaches 1MiB a file, so that a sync "
     "writes only data (serve answers 1.4-1.9x as many callbacks a second under load); reserve: only reserve space "
     "with fallocate",
     "zeros|reserve"},

    {"ingest.idle_close", "--idle-close", "6h", Kind::duration,
     "A meeting without any event for this long is closed, its open connections as 'inferred'"},
    {"ingest.batch", "--batch", "20000", Kind::integer, "Journal records per database transaction"},

    {"serve.listen", "--listen", "127.0.0.1:8090", Kind::list,
     "Addresses to listen on, HOST:PORT or [IPv6]:PORT (repeat or comma-separate)"},
    {"serve.max_body", "--max-body", "1MiB", Kind::size, "Largest accepted request body (413 above)"},
    {"serve.threads", "--threads", "1", Kind::integer,
     "Event-loop threads (one loop serves tens of thousands of callbacks/s)"},
    {"serve.read_timeout", "--read-timeout", "10s", Kind::duration, "Time allowed to receive a request"},
    {"serve.quarantine", "--quarantine", "false", Kind::boolean,
     "Keep requests that fail authentication or decoding in the quarantine folder"},
    {"serve.quarantine_dir", "--quarantine-dir", "<data_dir>/quarantine", Kind::path, "Quarantine folder"},
    {"hooks.timeout", "--timeout", "15s", Kind::duration, "Time allowed for one hooks API request"},
    {"hooks.connect_timeout", "--connect-timeout", "5s", Kind::duration,
     "Time allowed to connect (TCP and TLS) to a BBB server's API"},
    {"hooks.retries", "--retries", "2", Kind::integer,
     "Further attempts after a transient failure (connect, timeout, HTTP 502-504), pauses 1s, 2s, 4s..."},
    {"hooks.ca_file", "--ca-file", "", Kind::path,
     "PEM file of the CA(s) that signed the BBB servers' certificates (default: the system's CAs)"},

    {"serve.quarantine_max", "--quarantine-max", "256MiB", Kind::size,
     "Size cap of the quarantine folder; further requests are not kept (and counted)"},
};

constexpr SourceKey k_source_keys[] = {
    {"secret", "the BBB server's shared secret (prefer secret_file)"},
    {"secret_file", "file holding the shared secret (relative to the config file's folder)"},
    {"auth", "any (default), bearer or checksum: how callbacks must prove they come from BBB"},
    {"callback_url", "the exact callback URL registered with hooks/create (checksums cover it)"},
    {"path", "request path served for this source (default: callback_url's path, else /bbb/NAME)"},
    {"legacy_checksum", "older checksum formulas to accept as well: v2, v3-constant"},
    {"api_url", "the BBB server's API URL (bbb-conf --secret's URL), for bbbhook hooks"},
    {"checksum_algorithm", "sha1, sha256 (default), sha384 or sha512: how hooks API calls are signed"},
    {"event_id", "hooks/create eventID: only these event ids are sent (default: all)"},
    {"get_raw", "hooks/create getRaw: true for BBB's raw events (default false)"},
    {"meeting_id", "hooks/create meetingID: a hook for one meeting only (not recommended)"},
};
} // namespace

std::span<const Spec> specs() {
    return k_specs;
}

const Spec* find_spec(std::string_view key) {
    auto it = std::ranges::find(k_specs, key, &Spec::key);
    return it == std::end(k_specs) ? nullptr : &*it;
}

std::string env_name(std::string_view key) {
    std::string out = "BBBHOOK_";
    for (char c : key) {
        if (c == '.' || c == '-')
            out += '_';
        else if (c >= 'a' && c <= 'z')
            out += static_cast<char>(c - 'a' + 'A');
        else
            out += c;
    }
    return out;
}

std::span<const SourceKey> source_keys() {
    return k_source_keys;
}

} // namespace bbbhook::config
