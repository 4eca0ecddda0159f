#!/usr/bin/env bash
# report_bench.sh: `bbbhook report` (issue 5) against the tools people would use instead, in the
# same run: the CSV of 1,000,000 person-meeting rows against `sqlite3 -csv` exporting the same rows
# (same joins, filters and order), and a 10,000-row PDF against LibreOffice converting the same CSV.
# Standalone: not part of the test suite. See docs/BENCHMARKS.md.
#
# Usage: tests/bench/report_bench.sh [--markdown] [--keep] [--regenerate] [BUILD_DIR]
#
#   BUILD_DIR     build folder with a Release build of cmd/bbbhook (default: build-bench). If the
#                 binary is missing, it is configured and built there first:
#                   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
#                         -DBBBHOOK_BUILD_TESTS=OFF -DBBBHOOK_BUILD_MAN=OFF
#                   ninja -C build-bench bbbhook
#                 An existing binary is used as it is: rebuild it yourself after changing the code.
#   --markdown    also print a Markdown block ready for docs/BENCHMARKS.md
#   --keep        keep the work folder (outputs, PDFs, LibreOffice profile) instead of deleting it
#   --regenerate  make the database again even if a cached one is up to date
#
# The database: the schema is made by the real binary (`bbbhook ingest` of an empty journal), then
# filled by sqlite3 with recursive CTEs: BENCH_MEETINGS finished meetings (default 20,000, spread
# over a year, 07:00-19:00 UTC) x 50 people = 1,000,000 person-meeting rows, 400 Moodle courses on 3
# servers, names in Latin scripts with accents, Greek, Cyrillic and CJK, guests, one interval per
# row plus rejoins for 1 in 10, breakout rooms in 1 meeting of 25, and 20 running meetings that the
# report leaves out. It is cached as BUILD_DIR/report-bench-g<generator>-<schema hash>-<meetings>.sqlite
# (226 MB) and made again only when missing, when GENERATOR below changes, or when the
# schema the binary creates changes.
#
# Environment (the defaults are the benchmark in docs/BENCHMARKS.md):
#   BENCH_MEETINGS=20000   finished meetings of 50 people in the database
#   BENCH_REPS=3           timed runs of each CSV command (alternating), after one warm-up run each
#   BENCH_PDF_REPS=3       timed runs of each PDF command (alternating), after one warm-up run each
#   BENCH_PDF_MEETINGS=200 meetings (of 50 people) in the PDF report
#
# Writes about 3.5 GB of CSV files (one per run) into a work folder in BUILD_DIR and deletes it at the end.
# Needs: sqlite3, GNU time, pdfinfo (poppler-utils), libreoffice (libreoffice-calc-nogui) —
# scripts/install-deps --bench. No network. Every process started here is stopped by its PID, also
# on failure or Ctrl-C.
# Exit status: 0 every goal and check passed, 1 a goal or a check failed, 2 the benchmark could not run.

set -euo pipefail
export LC_ALL=C.UTF-8

BENCH_NAME=report_bench
BENCH_EXTRA_FLAGS=(regenerate)
# shellcheck source=tests/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_parse_args "$@"

MEETINGS="${BENCH_MEETINGS:-20000}"
REPS="${BENCH_REPS:-3}"
PDF_REPS="${BENCH_PDF_REPS:-3}"
PDF_MEETINGS="${BENCH_PDF_MEETINGS:-200}"
PEOPLE=50 # per meeting; the generator below is written for 50
for v in MEETINGS REPS PDF_REPS PDF_MEETINGS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive number"
done
((PDF_MEETINGS < MEETINGS)) || die "BENCH_PDF_MEETINGS must be smaller than BENCH_MEETINGS"

# Bump when the generator's SQL changes: cached databases of other versions are made again.
GENERATOR=1

# Goals (issue 5, docs/BENCHMARKS.md).
GOAL_CSV_RATIO="0.8" # bbbhook CSV rows/s >= 0.8 x sqlite3 -csv rows/s, at 1,000,000 rows
GOAL_PDF_RATIO="10"  # bbbhook PDF >= 10 x faster than LibreOffice converting the same CSV, 10,000 rows

for tool in sqlite3 pdfinfo awk sha1sum; do
    command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps --bench)"
done
[[ -x /usr/bin/time ]] || die "GNU time is missing (scripts/install-deps --bench)"
command -v libreoffice >/dev/null || die "libreoffice is not installed (scripts/install-deps --bench: libreoffice-calc-nogui)"

# ---------------------------------------------------------------------------------------------
# Processes: every PID started here is recorded, and the EXIT trap stops what is still running
# (with its descendants: libreoffice is a script that starts oosplash, which starts soffice.bin).

PIDS=()
WORK=""
GEN_TMP=""

descendants_of() { # PID: all its descendants, children first
    local k
    for k in $(cat /proc/"$1"/task/*/children 2>/dev/null || true); do
        echo "$k"
        descendants_of "$k"
    done
}

alive() { # PID: running (not gone, not a zombie)
    local state
    state="$(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | cut -c1)" || return 1
    [[ -n "$state" && "$state" != Z ]]
}

stop_pids() { # PID...: SIGTERM, wait up to 5 s, then SIGKILL
    local pid i any
    for pid in "$@"; do alive "$pid" && kill -s TERM "$pid" 2>/dev/null; done
    for ((i = 0; i < 50; i++)); do
        any=0
        for pid in "$@"; do alive "$pid" && any=1; done
        ((any)) || break
        sleep 0.1
    done
    for pid in "$@"; do
        if alive "$pid"; then
            log "PID $pid did not stop on SIGTERM; sending SIGKILL"
            kill -s KILL "$pid" 2>/dev/null || true
        fi
    done
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local rc=$? i pid
    trap - EXIT INT TERM
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[i]}"
        [[ -n "$pid" ]] || continue
        # The deepest descendants first, so that each parent is still there to reap its child.
        # shellcheck disable=SC2046 # a list of PIDs
        stop_pids $(descendants_of "$pid" | tac)
        stop_pids "$pid"
        wait "$pid" 2>/dev/null || true
    done
    [[ -z "$GEN_TMP" ]] || rm -f -- "$GEN_TMP" "$GEN_TMP-wal" "$GEN_TMP-shm" "$GEN_TMP-journal"
    bench_drop_work
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_bg CMD...: runs CMD in the background, records its PID and waits for it; returns its status
run_bg() {
    local pid rc=0
    "$@" &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || rc=$?
    PIDS[${#PIDS[@]} - 1]=""
    return "$rc"
}

# ---------------------------------------------------------------------------------------------
# The binary

bench_binary

# The work folder is inside the build folder, on the same disk as the database.
WORK="$(mktemp -d "$BUILD_DIR/report-bench.XXXXXX")"
: >"$WORK/empty.conf"
BB=("$BIN" --config "$WORK/empty.conf" --log-level warn)

# ---------------------------------------------------------------------------------------------
# Machine facts

CPU_MODEL="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
CORES="$(nproc)"
KERNEL="$(uname -sr)"
MEM_TOTAL="$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
# shellcheck disable=SC1091 # a system file
OS="$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")"
[[ -r /etc/debian_version ]] && OS="$OS ($(cat /etc/debian_version))"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
SQLITE_VERSION="$(sqlite3 --version | awk '{print $1}')"
LO_VERSION="$(libreoffice --version 2>/dev/null | awk 'NR==1{print $1, $2}')"
COMMIT="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$REPO" diff --quiet HEAD -- lib cmd 2>/dev/null || COMMIT="$COMMIT + uncommitted changes in lib/ or cmd/"
[[ -z "$(git -C "$REPO" ls-files --others --exclude-standard -- lib cmd 2>/dev/null)" ]] ||
    COMMIT="${COMMIT/ + uncommitted changes in lib\/ or cmd\//} + uncommitted changes in lib/ or cmd/"
BIN_DATE="$(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"
if [[ -n "$(find "$REPO/lib" "$REPO/cmd" -type f -newer "$BIN" -print -quit 2>/dev/null)" ]]; then
    BIN_DATE="$BIN_DATE, OLDER than some sources in lib/ or cmd/"
    log "warning: $BIN is older than some sources; rebuild it with: ninja -C $BUILD_DIR bbbhook"
fi

# ---------------------------------------------------------------------------------------------
# The database

# The schema as the binary makes it, from an empty journal (this also proves it does).
mkdir -p "$WORK/journal"
"${BB[@]}" ingest --journal-dir "$WORK/journal" --database "$WORK/schema.sqlite" >/dev/null ||
    die "bbbhook ingest could not create the schema"
SCHEMA_HASH="$(sqlite3 -readonly "$WORK/schema.sqlite" \
    "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name); PRAGMA user_version;" |
    sha1sum | cut -c1-8)"
DB="$BUILD_DIR/report-bench-g$GENERATOR-$SCHEMA_HASH-$MEETINGS.sqlite"

# The generator. Meeting m (0-based) is of course c = 7m mod 400 (each course meets 50 times a year)
# on server c mod 3 + 1; its k-th person (k = 0..49) is one of the course's 75 people, the teacher
# (moderator) first; every 4th meeting has a guest instead of its 50th person. Times: 55 meetings
# a day, 13 minutes apart from 07:00 UTC plus up to 4 minutes, for 45-120 minutes. Everything is
# a function of m and k, so the same parameters make the same database.
generate_sql() { # MEETINGS
    local M="$1"
    cat <<SQL
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
BEGIN;
CREATE TEMP TABLE latin_first (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO latin_first (s) VALUES ('José'), ('François'), ('Zoë'), ('Łukasz'), ('Søren'), ('Ingrid'),
  ('Ana María'), ('João'), ('Björn'), ('Chloé'), ('Maximilian'), ('Émilie'), ('Jürgen'), ('Núria'), ('Ömer'),
  ('Siobhán'), ('Małgorzata'), ('Anaïs'), ('Mohammed'), ('Elif'), ('Kateřina'), ('Pedro'), ('Anna'), ('Liam');
CREATE TEMP TABLE latin_last (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO latin_last (s) VALUES ('García'), ('Müller'), ('O''Brien'), ('Nowak'), ('Dubois'), ('Kowalczyk'),
  ('Fernández'), ('Schröder'), ('Smith, Jr.'), ('Novák'), ('Jørgensen'), ('Rossi'), ('Yılmaz'), ('Lefèvre'),
  ('Çelik'), ('Dvořák'), ('Ferreira'), ('van der Berg'), ('Ní Bhriain'), ('Müller-Lüdenscheidt'), ('Andersson'),
  ('Martínez'), ('Kim'), ('Wiśniewska');
CREATE TEMP TABLE greek_first (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO greek_first (s) VALUES ('Γιώργος'), ('Μαρία'), ('Δημήτρης'), ('Ελένη'), ('Νίκος'), ('Κατερίνα'),
  ('Ιωάννης'), ('Σοφία'), ('Κωνσταντίνος'), ('Αικατερίνη'), ('Παναγιώτης'), ('Δέσποινα');
CREATE TEMP TABLE greek_last (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO greek_last (s) VALUES ('Παπαδόπουλος'), ('Παπαδοπούλου'), ('Γεωργίου'), ('Οικονόμου'), ('Νικολάου'),
  ('Βασιλείου'), ('Κωνσταντινίδης'), ('Αθανασίου'), ('Μακρή'), ('Ζαφειρίου'), ('Χριστοδούλου'), ('Λαμπράκη');
CREATE TEMP TABLE cyr_first (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO cyr_first (s) VALUES ('Иван'), ('Ольга'), ('Дмитрий'), ('Наталья'), ('Сергей'), ('Анна'),
  ('Олександр'), ('Марія'), ('Алексей'), ('Екатерина');
CREATE TEMP TABLE cyr_last (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO cyr_last (s) VALUES ('Петров'), ('Иванова'), ('Смирнов'), ('Кузнецова'), ('Шевченко'), ('Коваленко'),
  ('Соколов'), ('Попова'), ('Бондаренко'), ('Волков');
CREATE TEMP TABLE cjk_family (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO cjk_family (s) VALUES ('王'), ('李'), ('张'), ('刘'), ('陈'), ('佐藤'), ('鈴木'), ('高橋'), ('田中'), ('杨');
CREATE TEMP TABLE cjk_given (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO cjk_given (s) VALUES ('伟'), ('娜'), ('敏'), ('静'), ('洋'), ('花子'), ('一郎'), ('陽菜'), ('翔太'), ('丽');
CREATE TEMP TABLE subjects (i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO subjects (s) VALUES ('Physics I'), ('Φυσική Ι'), ('Linear Algebra'), ('Γραμμική Άλγεβρα'),
  ('Organic Chemistry'), ('Математический анализ'), ('Introducción a la programación'), ('Économie politique'),
  ('Deutsch für Anfänger'), ('日本語 初級'), ('History of Art'), ('Ιστορία της Τέχνης'), ('Databases'),
  ('Statistik'), ('Microbiology'), ('Programmation fonctionnelle'), ('Medieval Literature'), ('Психология'),
  ('Machine Learning'), ('Ελληνική Φιλοσοφία');

INSERT INTO servers (id, domain) VALUES (1, 'bbb1.uni.example.edu'), (2, 'bbb2.uni.example.edu'),
  (3, 'bbb.campus.example.gr');

-- The 30,000 course members (75 per course), Moodle users: user_key is the Moodle user id.
INSERT INTO people (id, server_id, user_key, external_user_id, name, name_ms, is_guest)
WITH RECURSIVE n(p) AS (SELECT 1 UNION ALL SELECT p + 1 FROM n WHERE p < 30000)
SELECT p, ((p - 1) / 75) % 3 + 1, 1000 + 7 * p, 1000 + 7 * p,
  CASE WHEN p % 20 < 12 THEN (SELECT s FROM latin_first WHERE i = (p * 7) % 24 + 1) || ' ' ||
                             (SELECT s FROM latin_last WHERE i = (p * 11) % 24 + 1)
       WHEN p % 20 < 15 THEN (SELECT s FROM greek_first WHERE i = (p * 5) % 12 + 1) || ' ' ||
                             (SELECT s FROM greek_last WHERE i = (p * 7) % 12 + 1)
       WHEN p % 20 < 18 THEN (SELECT s FROM cyr_first WHERE i = (p * 3) % 10 + 1) || ' ' ||
                             (SELECT s FROM cyr_last WHERE i = (p * 7) % 10 + 1)
       ELSE (SELECT s FROM cjk_family WHERE i = (p * 3) % 10 + 1) || (SELECT s FROM cjk_given WHERE i = (p * 7) % 10 + 1)
  END,
  1756684800000, 0
FROM n;

-- The meetings: $M finished ones, then 20 still running on the last day, then 2 breakout rooms for
-- every 25th finished meeting. gm.m numbers them for the formulas; gm.kind says which they are.
CREATE TEMP TABLE gm (id INTEGER PRIMARY KEY, m INTEGER, c INTEGER, created INTEGER, ended INTEGER,
  kind TEXT, parent INTEGER, room INTEGER);
INSERT INTO gm (id, m, c, created, ended, kind)
WITH RECURSIVE n(m) AS (SELECT 0 UNION ALL SELECT m + 1 FROM n WHERE m < $M + 19)
SELECT m + 1, m, (m * 7) % 400, t, t + (45 + (m * 37) % 76) * 60000, CASE WHEN m < $M THEN 'done' ELSE 'running' END
FROM (SELECT m, 1756684800000 + (m / 55) * 86400000 + 25200000 + (m % 55) * 780000 + ((m * 7919) % 240) * 1000
             + (m * 31) % 1000 AS t FROM n);
UPDATE gm SET created = (SELECT created FROM gm WHERE m = $M - 1) + (m - $M + 1) * 60000, ended = NULL
WHERE kind = 'running';
INSERT INTO gm (id, m, c, created, ended, kind, parent, room)
SELECT $M + 21 + 2 * (p.m / 25) + r.room - 1, p.m, p.c, p.created + 1200000, p.created + 2100000, 'breakout', p.id, r.room
FROM gm p, (SELECT 1 AS room UNION ALL SELECT 2) r WHERE p.kind = 'done' AND p.m % 25 = 10;

-- Internal and external ids look like BBB's and Moodle's: 40 hex digits (sha1), then the create
-- time, or the course and activity ids.
INSERT INTO meetings (id, server_id, internal_id, external_id, name, create_time_ms, created_ms, ended_ms,
  end_reason, is_breakout, parent_internal_id, metadata, moodle_course_id, moodle_site, first_event_ms,
  last_event_ms, event_count, recorded, finalized)
SELECT g.id, g.c % 3 + 1,
  printf('%08x%08x%08x%08x%08x-%d', (g.id * 2654435761 + 1) % 4294967296, (g.id * 2246822519 + 7) % 4294967296,
         (g.id * 3266489917 + 13) % 4294967296, (g.id * 668265263 + 17) % 4294967296,
         (g.id * 374761393 + 19) % 4294967296, g.created),
  printf('%08x%08x%08x%08x%08x-%d-%d', ((g.m + 1) * 2246822519 + 3) % 4294967296, ((g.m + 1) * 3266489917 + 5) % 4294967296,
         ((g.m + 1) * 668265263 + 11) % 4294967296, ((g.m + 1) * 374761393 + 23) % 4294967296,
         ((g.m + 1) * 2654435761 + 29) % 4294967296, g.c, 1000 + 10 * g.c + (g.m / 400) % 10)
    || CASE WHEN g.kind = 'breakout' THEN '-' || g.room ELSE '' END,
  (SELECT s FROM subjects WHERE i = g.c % 20 + 1) || ' ' || (101 + g.c / 20) || ' — Lecture ' || (g.m / 400 + 1)
    || CASE WHEN g.kind = 'breakout' THEN ' (Room ' || g.room || ')' ELSE '' END,
  g.created, g.created,
  g.ended,
  CASE WHEN g.kind = 'running' THEN NULL WHEN g.m % 20 = 0 AND g.kind = 'done' THEN 'inferred' ELSE 'ended' END,
  g.kind = 'breakout',
  CASE WHEN g.kind = 'breakout' THEN (SELECT printf('%08x%08x%08x%08x%08x-%d',
         (p.id * 2654435761 + 1) % 4294967296, (p.id * 2246822519 + 7) % 4294967296,
         (p.id * 3266489917 + 13) % 4294967296, (p.id * 668265263 + 17) % 4294967296,
         (p.id * 374761393 + 19) % 4294967296, p.created) FROM gm p WHERE p.id = g.parent) END,
  '{"bbb-context-id":"' || g.c || '","bbb-origin":"Moodle","bbb-origin-server-name":"moodle.example.edu"}',
  g.c, 'moodle.example.edu', g.created,
  COALESCE(g.ended, g.created + 3000000), 240, g.m % 3 = 0, g.kind <> 'running'
FROM gm g ORDER BY g.id;

-- Person-meeting rows of the finished and running meetings: 50 each. A person of 1 in 10 rows
-- left for 5 minutes and rejoined (two intervals, two connections).
CREATE TEMP TABLE ga AS
WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < $PEOPLE - 1)
SELECT g.id AS meeting_id, g.m, g.k, g.created, g.ended, g.last_event,
  CASE WHEN g.k = $PEOPLE - 1 AND g.m % 4 = 0 THEN 30000 + g.m / 4 + 1
       ELSE g.c * 75 + (g.k + (g.m / 400) * 11) % 75 + 1 END AS person_id,
  g.created + ((g.k * 37) % 600) * 1000 + (g.k * 13) % 1000 AS first_join,
  CASE WHEN g.ended IS NULL AND g.k % 3 = 0 THEN NULL
       WHEN g.k = 0 THEN g.last_event ELSE g.last_event - ((g.k * 53) % 300) * 1000 END AS last_leave,
  (g.m + g.k) % 10 = 0 AS rejoin,
  printf('w_%012llx', ((g.m * 64 + g.k) * 2654435761 + 12345) % 281474976710656) AS conn1,
  printf('w_%012llx', ((g.m * 64 + g.k) * 2246822519 + 67890) % 281474976710656) AS conn2
FROM (SELECT gm.*, COALESCE(gm.ended, gm.created + 3000000) AS last_event, k.k FROM gm, k
      WHERE gm.kind <> 'breakout') g;

-- Guests: one person per guest row (user_key is the connection id, no external user id).
INSERT INTO people (id, server_id, user_key, external_user_id, name, name_ms, is_guest)
SELECT a.person_id, (SELECT server_id FROM meetings WHERE id = a.meeting_id), a.conn1, NULL,
  CASE a.m % 4 WHEN 0 THEN 'Guest' WHEN 1 THEN 'Gast' WHEN 2 THEN 'Invitado' ELSE 'Επισκέπτης' END || ' '
    || (a.m % 97 + 1),
  a.first_join, 1
FROM ga a WHERE a.person_id > 30000 ORDER BY a.person_id;

INSERT INTO attendance (meeting_id, person_id, name, role, first_join_ms, last_leave_ms, online_ms, joins,
  talk_ms, webcam_ms, presenter_ms, chat_messages, raise_hands, reactions, poll_votes)
SELECT a.meeting_id, a.person_id, p.name, CASE WHEN a.k = 0 THEN 'MODERATOR' ELSE 'VIEWER' END, a.first_join,
  a.last_leave, COALESCE(a.last_leave, a.last_event) - a.first_join - CASE WHEN a.rejoin THEN 300000 ELSE 0 END,
  1 + a.rejoin,
  CASE WHEN a.k = 0 THEN (COALESCE(a.last_leave, a.last_event) - a.first_join) * 6 / 10
       WHEN (a.m * 31 + a.k * 17) % 7 = 0 THEN ((a.m + a.k) % 300) * 1000 ELSE 0 END,
  CASE WHEN (a.m + a.k) % 5 = 0 THEN (COALESCE(a.last_leave, a.last_event) - a.first_join) / 2 ELSE 0 END,
  CASE WHEN a.k = 0 THEN COALESCE(a.last_leave, a.last_event) - a.first_join ELSE 0 END,
  (a.m * 7 + a.k * 3) % 6, (a.m + a.k * 7) % 4 = 0, (a.m * 3 + a.k) % 5, (a.m + a.k) % 3
FROM ga a JOIN people p ON p.id = a.person_id ORDER BY a.meeting_id, a.person_id;

-- Intervals: one per row, or two around a 5-minute gap for a rejoin.
INSERT INTO intervals (meeting_id, connection_id, joined_ms, person_id, name, role, left_ms, closed_by)
SELECT a.meeting_id, a.conn1, a.first_join, a.person_id, p.name, CASE WHEN a.k = 0 THEN 'MODERATOR' ELSE 'VIEWER' END,
  CASE WHEN a.rejoin THEN a.first_join + (COALESCE(a.last_leave, a.last_event) - a.first_join - 300000) / 2
       ELSE a.last_leave END,
  CASE WHEN a.rejoin THEN 'left' WHEN a.last_leave IS NULL THEN 'open'
       WHEN a.last_leave = a.ended THEN 'meeting-ended' ELSE 'left' END
FROM ga a JOIN people p ON p.id = a.person_id
UNION ALL
SELECT a.meeting_id, a.conn2, a.first_join + (COALESCE(a.last_leave, a.last_event) - a.first_join - 300000) / 2 + 300000,
  a.person_id, p.name, CASE WHEN a.k = 0 THEN 'MODERATOR' ELSE 'VIEWER' END, a.last_leave,
  CASE WHEN a.last_leave IS NULL THEN 'open' WHEN a.last_leave = a.ended THEN 'meeting-ended' ELSE 'left' END
FROM ga a JOIN people p ON p.id = a.person_id WHERE a.rejoin
ORDER BY 1, 2, 3;

-- Breakout rooms: people 1-10 of the parent go to room 1, 11-20 to room 2, as BBB's own users
-- "<parent connection id>-<room>", for 15 minutes.
CREATE TEMP TABLE gb AS
SELECT g.id AS meeting_id, g.room, g.created, a.person_id AS parent_person, a.conn1 || '-' || g.room AS user_key,
  printf('w_%012llx', ((a.m * 64 + a.k) * 374761393 + g.room) % 281474976710656) AS conn,
  p.name, 30000 + ($M + 20) / 4 + 1 + (g.id - $M - 21) * 10 + (a.k - 1) % 10 + 1 AS person_id, a.k
FROM gm g JOIN ga a ON a.meeting_id = g.parent AND a.k BETWEEN 10 * g.room - 9 AND 10 * g.room
JOIN people p ON p.id = a.person_id
WHERE g.kind = 'breakout';
INSERT INTO people (id, server_id, user_key, external_user_id, name, name_ms, is_guest)
SELECT b.person_id, (SELECT server_id FROM meetings WHERE id = b.meeting_id), b.user_key, b.user_key, b.name,
  b.created, 0
FROM gb b ORDER BY b.person_id;
INSERT INTO attendance (meeting_id, person_id, name, role, first_join_ms, last_leave_ms, online_ms, joins,
  talk_ms, webcam_ms, presenter_ms, chat_messages, raise_hands, reactions, poll_votes)
SELECT b.meeting_id, b.person_id, b.name, 'VIEWER', b.created + b.k * 1000, b.created + 900000,
  900000 - b.k * 1000, 1, (b.k % 3) * 60000, 0, 0, b.k % 2, 0, 0, 0
FROM gb b ORDER BY b.meeting_id, b.person_id;
INSERT INTO intervals (meeting_id, connection_id, joined_ms, person_id, name, role, left_ms, closed_by)
SELECT b.meeting_id, b.conn, b.created + b.k * 1000, b.person_id, b.name, 'VIEWER', b.created + 900000, 'left'
FROM gb b ORDER BY 1, 2, 3;
COMMIT;
SQL
}

db_rows() { # DB: the finished, non-breakout person-meeting rows
    sqlite3 -readonly "$1" "SELECT COUNT(*) FROM attendance a JOIN meetings m ON m.id = a.meeting_id
        WHERE m.finalized = 1 AND m.is_breakout = 0"
}

GENERATED=0
if ((REGENERATE)) || [[ ! -s "$DB" ]]; then
    log "making the database $DB ($MEETINGS meetings x $PEOPLE people; a minute or two)"
    rm -f "$BUILD_DIR"/report-bench-g*.sqlite "$BUILD_DIR"/report-bench-g*.sqlite-{wal,shm}
    GEN_TMP="$BUILD_DIR/report-bench.tmp.$$.sqlite"
    cp "$WORK/schema.sqlite" "$GEN_TMP"
    g0=$(date +%s%N)
    generate_sql "$MEETINGS" >"$WORK/generate.sql"
    run_bg sqlite3 -bail "$GEN_TMP" ".read $WORK/generate.sql" || die "the generator failed"
    # Closing the last connection checkpoints the WAL; what is left is one file, like ingest's.
    sqlite3 "$GEN_TMP" "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA foreign_key_check; PRAGMA integrity_check;" \
        >"$WORK/check.txt" || die "the generated database does not check"
    [[ "$(tr -d '\n' <"$WORK/check.txt")" == "0|0|0ok" ]] || die "the generated database does not check: $(head -c 300 "$WORK/check.txt")"
    rm -f "$GEN_TMP-wal" "$GEN_TMP-shm"
    mv "$GEN_TMP" "$DB"
    GEN_TMP=""
    GEN_SECONDS=$(awk -v a="$g0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b - a) / 1e9}')
    log "database made in $GEN_SECONDS s"
    GENERATED=1
fi
ROWS="$(db_rows "$DB")"
((ROWS == MEETINGS * PEOPLE)) || die "$DB holds $ROWS finished person-meeting rows, not $((MEETINGS * PEOPLE)); rerun with --regenerate"
read -r DB_MEETINGS DB_PEOPLE DB_INTERVALS DB_ALL_ROWS < <(sqlite3 -readonly -separator ' ' "$DB" \
    "SELECT (SELECT COUNT(*) FROM meetings), (SELECT COUNT(*) FROM people), (SELECT COUNT(*) FROM intervals),
            (SELECT COUNT(*) FROM attendance)")
DB_MB="$(du -m "$DB" | cut -f1)"

# ---------------------------------------------------------------------------------------------
# Measuring: wall time by the clock, CPU and peak RSS by GNU time. Outputs go to the work folder
# on the database's disk.

CLK_TCK="$(getconf CLK_TCK)"
machine_busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

# timed LABEL STDOUT CMD...: runs CMD; appends "LABEL wall_s cpu_s max_rss_kib other_%" to
# $WORK/times, where other_% is the CPU the rest of the machine used meanwhile, in % of one core.
timed() {
    local label="$1" out="$2" t0 t1 b0 b1 user sys rss
    shift 2
    b0=$(machine_busy_ticks)
    t0=$(date +%s%N)
    run_bg /usr/bin/time -f '%U %S %M' -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/err.txt" || {
        cat "$WORK/err.txt" >&2
        die "failed: $*"
    }
    t1=$(date +%s%N)
    b1=$(machine_busy_ticks)
    read -r user sys rss <"$WORK/time.txt"
    awk -v l="$label" -v a="$t0" -v b="$t1" -v u="$user" -v s="$sys" -v r="$rss" -v b0="$b0" -v b1="$b1" -v hz="$CLK_TCK" \
        'BEGIN{w = (b - a) / 1e9; o = ((b1 - b0) / hz - u - s) / w * 100; printf "%s %.3f %.2f %d %.0f\n", l, w, u + s, r, (o < 0 ? 0 : o)}' |
        tee -a "$WORK/times" >&2
}

median() { # LABEL FIELD: the median of FIELD (2 wall, 3 cpu, 4 rss) over the LABEL runs
    awk -v l="$1" -v f="$2" '$1 == l {v[++n] = $f} END {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) {t = v[i]; v[i] = v[j]; v[j] = t}
        print (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
    }' "$WORK/times"
}
maximum() { # LABEL FIELD
    awk -v l="$1" -v f="$2" '$1 == l && $f > m {m = $f} END {print m + 0}' "$WORK/times"
}

data_lines() { # FILE [HEADER_LINES]: lines of a CSV without embedded newlines, minus its header
    echo $(($(wc -l <"$1") - ${2:-0}))
}

# ---------------------------------------------------------------------------------------------
# 1. The CSV of every finished person-meeting row, against sqlite3 -csv of the same SELECT.

# lib/bbbhook/report/query.cpp's person-meeting query with the columns of the report, the same
# joins in the same order (meetings first), conditions (finished meetings, no breakout rooms: the
# defaults) and order; keep it in step with query.cpp. The breakout time: query.cpp reads the breakout_attendance view once into a map;
# here a correlated subquery on the view gives the same column (SQLite materializes the view once
# and indexes it), the fastest of the forms tried: a LEFT JOIN to the view writes the same bytes
# 10-20 % slower, and a LEFT JOIN to a MATERIALIZED CTE of it gets no index at all.
# sqlite3 writes the values as they are (milliseconds, unrounded percentages); bbbhook formats
# times in --tz, durations as seconds and h:mm:ss, and quotes and neutralizes text fields.
START="COALESCE(m.created_ms, m.first_event_ms)"
END="COALESCE(m.ended_ms, m.last_event_ms)"
SQLITE_SELECT="SELECT COALESCE(m.name, m.external_id, m.internal_id), m.external_id, m.moodle_course_id, s.domain, \
$START, COALESCE(a.name, p.name), COALESCE(p.external_user_id, p.user_key), a.role, p.is_guest, a.first_join_ms, \
a.last_leave_ms, a.online_ms, MIN(100.0, 100.0 * a.online_ms / NULLIF($END - $START, 0)), a.joins, \
COALESCE((SELECT b.breakout_ms FROM breakout_attendance b WHERE b.meeting_id = a.meeting_id AND \
b.person_id = a.person_id), 0), a.talk_ms, a.webcam_ms, a.presenter_ms, a.chat_messages, a.raise_hands, a.reactions, \
a.poll_votes, CASE WHEN m.finalized THEN COALESCE(m.end_reason, 'ended') ELSE 'running' END \
FROM meetings m CROSS JOIN attendance a ON a.meeting_id = m.id JOIN servers s ON s.id = m.server_id \
JOIN people p ON p.id = a.person_id WHERE m.finalized = 1 AND m.is_breakout = 0 \
ORDER BY $START, m.id, a.first_join_ms, a.person_id"

# Each run writes a file of its own, all deleted at the end: freeing hundreds of MB between runs
# makes a disk mounted with `discard` slow for the next one (see serve_bench.sh).
mkdir -p "$WORK/csv"
CSV_BB=("${BB[@]}" report --database "$DB" --format csv --tz UTC -o) # + FILE
CSV_SQ=(sqlite3 -readonly -csv "$DB" "$SQLITE_SELECT")
# For information: the same report to standard output, as sqlite3 writes it. With -o, bbbhook
# writes a temporary file and fsyncs it before renaming it into place; sqlite3 > FILE does not.
CSV_BB_STDOUT=("${BB[@]}" report --database "$DB" --format csv --tz UTC)

log "CSV of $ROWS rows: one warm-up run each, then $REPS timed runs each, alternating"
cat "$DB" >/dev/null # the database in the page cache for both
: >"$WORK/times"
timed warm-bbbhook-csv /dev/null "${CSV_BB[@]}" "$WORK/csv/warm-bbbhook.csv"
timed warm-sqlite3-csv "$WORK/csv/warm-sqlite3.csv" "${CSV_SQ[@]}"
for ((r = 1; r <= REPS; r++)); do
    sync -f "$WORK" 2>/dev/null || true
    timed bbbhook-csv /dev/null "${CSV_BB[@]}" "$WORK/csv/bbbhook.$r.csv"
    sync -f "$WORK" 2>/dev/null || true
    timed sqlite3-csv "$WORK/csv/sqlite3.$r.csv" "${CSV_SQ[@]}"
    sync -f "$WORK" 2>/dev/null || true
    timed bbbhook-csv-stdout "$WORK/csv/stdout.$r.csv" "${CSV_BB_STDOUT[@]}"
done
BB_CSV_ROWS="$(data_lines "$WORK/csv/bbbhook.$REPS.csv" 1)"
SQ_CSV_ROWS="$(data_lines "$WORK/csv/sqlite3.$REPS.csv")"
BB_CSV_MB="$(du -m "$WORK/csv/bbbhook.$REPS.csv" | cut -f1)"
SQ_CSV_MB="$(du -m "$WORK/csv/sqlite3.$REPS.csv" | cut -f1)"
cmp -s "$WORK/csv/bbbhook.$REPS.csv" "$WORK/csv/stdout.$REPS.csv" ||
    die "bbbhook's CSV differs between -o and standard output"
BB_CSV_S="$(median bbbhook-csv 2)"
SQ_CSV_S="$(median sqlite3-csv 2)"
BB_CSV_CPU="$(median bbbhook-csv 3)"
SQ_CSV_CPU="$(median sqlite3-csv 3)"
BB_CSV_RSS="$(maximum bbbhook-csv 4)"
SQ_CSV_RSS="$(maximum sqlite3-csv 4)"
BB_STDOUT_S="$(median bbbhook-csv-stdout 2)"
BB_STDOUT_CPU="$(median bbbhook-csv-stdout 3)"

# ---------------------------------------------------------------------------------------------
# 2. A PDF of PDF_MEETINGS meetings x 50 people, against LibreOffice converting the same rows' CSV.

# The meetings in the middle of the year: --from the first one's start (whole seconds, UTC), --to
# the start of the one after the last (exclusive). Meetings start 13 minutes apart, so these
# seconds cut exactly.
read -r PDF_FROM PDF_TO < <(sqlite3 -readonly -separator ' ' "$DB" "
    WITH s AS (SELECT COALESCE(created_ms, first_event_ms) AS t FROM meetings WHERE finalized = 1 AND is_breakout = 0)
    SELECT strftime('%Y-%m-%dT%H:%M:%S', (SELECT t FROM s ORDER BY t LIMIT 1 OFFSET $((MEETINGS / 2))) / 1000, 'unixepoch'),
           strftime('%Y-%m-%dT%H:%M:%S', (SELECT t FROM s ORDER BY t LIMIT 1 OFFSET $((MEETINGS / 2 + PDF_MEETINGS))) / 1000,
                    'unixepoch')")
[[ -n "$PDF_FROM" && -n "$PDF_TO" ]] || die "could not find the PDF's time range"
PDF_FILTERS=(--from "$PDF_FROM" --to "$PDF_TO" --tz UTC)
PDF_WANT=$((PDF_MEETINGS * PEOPLE))

mkdir -p "$WORK/lo"
PDF_BB=("${BB[@]}" report --database "$DB" "${PDF_FILTERS[@]}" -o "$WORK/bbbhook.pdf")
timed pdf-csv /dev/null "${BB[@]}" report --database "$DB" "${PDF_FILTERS[@]}" -o "$WORK/rows.csv"
PDF_CSV_ROWS="$(data_lines "$WORK/rows.csv" 1)"
# shellcheck disable=SC2054 # the commas are LibreOffice's CSV filter options
LO=(libreoffice "-env:UserInstallation=file://$WORK/lo-profile" --headless --infilter=CSV:44,34,76,1
    --convert-to pdf --outdir "$WORK/lo" "$WORK/rows.csv")

log "PDF of $PDF_WANT rows ($PDF_FROM to $PDF_TO UTC): one warm-up run each (LibreOffice's creates its"
log "fresh profile in the work folder), then $PDF_REPS timed runs each, alternating"
timed warm-bbbhook-pdf /dev/null "${PDF_BB[@]}"
timed warm-libreoffice /dev/null "${LO[@]}"
for ((r = 1; r <= PDF_REPS; r++)); do
    rm -f "$WORK/bbbhook.pdf" "$WORK/lo/rows.pdf"
    timed bbbhook-pdf /dev/null "${PDF_BB[@]}"
    timed libreoffice /dev/null "${LO[@]}"
done
[[ -s "$WORK/lo/rows.pdf" ]] || die "LibreOffice wrote no PDF"
BB_PAGES="$(pdfinfo "$WORK/bbbhook.pdf" | awk '/^Pages:/{print $2}')"
LO_PAGES="$(pdfinfo "$WORK/lo/rows.pdf" | awk '/^Pages:/{print $2}')"
BB_PDF_KB="$(($(stat -c %s "$WORK/bbbhook.pdf") / 1024))"
LO_PDF_KB="$(($(stat -c %s "$WORK/lo/rows.pdf") / 1024))"
BB_PDF_S="$(median bbbhook-pdf 2)"
LO_PDF_S="$(median libreoffice 2)"
BB_PDF_CPU="$(median bbbhook-pdf 3)"
LO_PDF_CPU="$(median libreoffice 3)"
BB_PDF_RSS="$(maximum bbbhook-pdf 4)"
LO_PDF_RSS="$(maximum libreoffice 4)"
PDF_CSV_S="$(median pdf-csv 2)"

# ---------------------------------------------------------------------------------------------
# Results

export ROWS BB_CSV_ROWS SQ_CSV_ROWS BB_CSV_S SQ_CSV_S BB_CSV_CPU SQ_CSV_CPU BB_CSV_RSS SQ_CSV_RSS BB_CSV_MB SQ_CSV_MB
export PDF_WANT PDF_CSV_ROWS BB_PAGES LO_PAGES BB_PDF_S LO_PDF_S BB_PDF_CPU LO_PDF_CPU BB_PDF_RSS LO_PDF_RSS
export BB_PDF_KB LO_PDF_KB PDF_CSV_S GOAL_CSV_RATIO GOAL_PDF_RATIO REPS PDF_REPS
VERDICT="$(awk 'BEGIN {
    csv_ratio = ENVIRON["SQ_CSV_S"] / ENVIRON["BB_CSV_S"] # rows/s over rows/s, for the same rows
    pdf_ratio = ENVIRON["LO_PDF_S"] / ENVIRON["BB_PDF_S"]
    ok_csv = csv_ratio >= ENVIRON["GOAL_CSV_RATIO"] + 0
    ok_pdf = pdf_ratio >= ENVIRON["GOAL_PDF_RATIO"] + 0
    rows = ENVIRON["ROWS"] + 0
    ok_rows = ENVIRON["BB_CSV_ROWS"] + 0 == rows && ENVIRON["SQ_CSV_ROWS"] + 0 == rows
    ok_pdf_rows = ENVIRON["PDF_CSV_ROWS"] + 0 == ENVIRON["PDF_WANT"] + 0 && ENVIRON["BB_PAGES"] + 0 > 0 &&
                  ENVIRON["LO_PAGES"] + 0 > 0
    printf "%.2f %.1f %d %d %d %d\n", csv_ratio, pdf_ratio, ok_csv, ok_pdf, ok_rows, ok_pdf_rows
}')"
read -r CSV_RATIO PDF_RATIO OK_CSV OK_PDF OK_ROWS OK_PDF_ROWS <<<"$VERDICT"
pass() { (($1)) && echo PASS || echo FAIL; }
rate() { awk -v r="$1" -v s="$2" 'BEGIN{printf "%.0f", r / s}'; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f MiB", k / 1024}'; }

OTHER_MAX="$(awk '$1 !~ /^warm-/ && $5 > m {m = $5} END {print m + 0}' "$WORK/times")"
((OTHER_MAX <= 25)) || log "warning: the rest of the machine used up to $OTHER_MAX % of a core during a timed run; the numbers may be off"

BB_CSV_CMD="bbbhook report --database DB --format csv --tz UTC -o out.csv"
BB_STDOUT_CMD="bbbhook report --database DB --format csv --tz UTC > out.csv"
SQ_CSV_CMD="sqlite3 -readonly -csv DB \"SELECT …\" > out.csv"
BB_PDF_CMD="bbbhook report --database DB --from $PDF_FROM --to $PDF_TO --tz UTC -o out.pdf"
LO_PDF_CMD="libreoffice -env:UserInstallation=file://\$WORK/lo-profile --headless --infilter=CSV:44,34,76,1 --convert-to pdf --outdir DIR rows.csv"

echo "# report_bench: $DATE on $CPU_MODEL ($CORES cores, $MEM_TOTAL), $OS, $KERNEL"
echo "# bbbhook $COMMIT, binary built $BIN_DATE ($BUILD_TYPE); sqlite3 $SQLITE_VERSION; $LO_VERSION"
echo "# database $DB_MB MB: $DB_MEETINGS meetings, $DB_PEOPLE people, $DB_ALL_ROWS attendance rows, $DB_INTERVALS intervals$( ((GENERATED)) && echo " (made in $GEN_SECONDS s)")"
echo "# the rest of the machine used at most $OTHER_MAX % of a core during any timed run"
echo "CSV, $ROWS rows (median of $REPS runs each):"
echo "  bbbhook report:  $BB_CSV_S s, $(rate "$ROWS" "$BB_CSV_S") rows/s, CPU $BB_CSV_CPU s, peak RSS $(mib "$BB_CSV_RSS"), $BB_CSV_MB MB, $BB_CSV_ROWS data rows"
echo "  (to stdout:      $BB_STDOUT_S s, $(rate "$ROWS" "$BB_STDOUT_S") rows/s, CPU $BB_STDOUT_CPU s: no temporary file, no fsync)"
echo "  sqlite3 -csv:    $SQ_CSV_S s, $(rate "$ROWS" "$SQ_CSV_S") rows/s, CPU $SQ_CSV_CPU s, peak RSS $(mib "$SQ_CSV_RSS"), $SQ_CSV_MB MB, $SQ_CSV_ROWS data rows"
echo "PDF, $PDF_CSV_ROWS rows in $PDF_MEETINGS meetings, $PDF_FROM to $PDF_TO UTC (median of $PDF_REPS runs each, after a warm-up run each):"
echo "  bbbhook report:  $BB_PDF_S s, CPU $BB_PDF_CPU s, peak RSS $(mib "$BB_PDF_RSS"), $BB_PAGES pages, $BB_PDF_KB KiB (with timelines)"
echo "  libreoffice:     $LO_PDF_S s, CPU $LO_PDF_CPU s, peak RSS $(mib "$LO_PDF_RSS"), $LO_PAGES pages, $LO_PDF_KB KiB (the CSV: bbbhook report in $PDF_CSV_S s)"
echo "goal: CSV rows/s >= $GOAL_CSV_RATIO x sqlite3's: ratio $CSV_RATIO  $(pass "$OK_CSV")"
echo "goal: PDF >= ${GOAL_PDF_RATIO}x faster than LibreOffice: ratio $PDF_RATIO  $(pass "$OK_PDF")"
echo "check: both CSVs hold the $ROWS rows  $(pass "$OK_ROWS")"
echo "check: the PDF's CSV holds the $PDF_WANT rows, both PDFs have pages  $(pass "$OK_PDF_ROWS")"

if ((MARKDOWN)); then
    cat <<EOF

Run on $DATE; bbbhook $COMMIT, binary built $BIN_DATE ($BUILD_TYPE).

| Machine | |
|---|---|
| CPU | $CPU_MODEL, $CORES cores |
| Memory | $MEM_TOTAL |
| System | $OS, $KERNEL |
| Software | sqlite3 $SQLITE_VERSION, $LO_VERSION |
| Load | the rest of the machine used at most $OTHER_MAX % of a core during any timed run |
| Database | $DB_MB MB: $DB_MEETINGS meetings, $DB_PEOPLE people, $DB_ALL_ROWS attendance rows ($ROWS finished, not breakout), $DB_INTERVALS intervals |

| CSV of $ROWS rows, median of $REPS runs | time | rows/s | CPU | peak RSS | output |
|---|---:|---:|---:|---:|---:|
| \`$BB_CSV_CMD\` | $BB_CSV_S s | $(rate "$ROWS" "$BB_CSV_S") | $BB_CSV_CPU s | $(mib "$BB_CSV_RSS") | $BB_CSV_MB MB |
| \`$BB_STDOUT_CMD\` (for information) | $BB_STDOUT_S s | $(rate "$ROWS" "$BB_STDOUT_S") | $BB_STDOUT_CPU s | | |
| \`$SQ_CSV_CMD\` | $SQ_CSV_S s | $(rate "$ROWS" "$SQ_CSV_S") | $SQ_CSV_CPU s | $(mib "$SQ_CSV_RSS") | $SQ_CSV_MB MB |

| PDF of $PDF_CSV_ROWS rows ($PDF_MEETINGS meetings), median of $PDF_REPS runs | time | CPU | peak RSS | pages | size |
|---|---:|---:|---:|---:|---:|
| \`$BB_PDF_CMD\` | $BB_PDF_S s | $BB_PDF_CPU s | $(mib "$BB_PDF_RSS") | $BB_PAGES | $BB_PDF_KB KiB |
| \`$LO_PDF_CMD\` | $LO_PDF_S s | $LO_PDF_CPU s | $(mib "$LO_PDF_RSS") | $LO_PAGES | $LO_PDF_KB KiB |

| Goal or check | Result | |
|---|---|---|
| CSV rows/s ≥ $GOAL_CSV_RATIO × sqlite3's | ratio $CSV_RATIO | **$(pass "$OK_CSV")** |
| PDF ≥ $GOAL_PDF_RATIO × faster than LibreOffice | ratio $PDF_RATIO | **$(pass "$OK_PDF")** |
| both CSVs hold every row | bbbhook $BB_CSV_ROWS, sqlite3 $SQ_CSV_ROWS of $ROWS | **$(pass "$OK_ROWS")** |
| the PDF's rows | CSV $PDF_CSV_ROWS of $PDF_WANT; pages: bbbhook $BB_PAGES, LibreOffice $LO_PAGES | **$(pass "$OK_PDF_ROWS")** |
EOF
fi

((OK_CSV && OK_PDF && OK_ROWS && OK_PDF_ROWS)) && exit 0 || exit 1
