#!/usr/bin/env bash
# ingest_bench.sh: `bbbhook ingest` of a simulated journal into a fresh database, against
# `jq -c '.data.id'` over the same events written one per line, in the same run.
#
#   tests/bench/ingest_bench.sh [--markdown] [BUILD_DIR]        (BUILD_DIR: default build-bench)
#   BENCH_EVENTS="1000000 5000000"   callbacks to simulate, one measurement each
#
# Goals (issue 3): ingest >= 7x jq's events/s at 1M events; ingest's peak RSS <= 64 MiB at every
# size and flat from 1M to 5M (here: the 5M peak within 25 % of the 1M peak).
# Needs: jq, GNU time (/usr/bin/time) — scripts/install-deps --bench. Writes a few GB under
# BUILD_DIR while it runs and deletes them at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

markdown=0
[[ "${1:-}" == "--markdown" ]] && { markdown=1; shift; }
build="${1:-build-bench}"
sizes="${BENCH_EVENTS:-1000000 5000000}"
bin="$build/cmd/bbbhook"

die() { echo "ingest_bench: $*" >&2; exit 2; }
command -v jq >/dev/null || die "jq is missing (scripts/install-deps --bench)"
[[ -x /usr/bin/time ]] || die "GNU time is missing (scripts/install-deps --bench)"
if [[ ! -x "$bin" ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBBBHOOK_BUILD_TESTS=OFF -DBBBHOOK_BUILD_MAN=OFF >/dev/null
    ninja -C "$build" bbbhook >/dev/null
fi
newer=$(find lib cmd -newer "$bin" -name '*.[ch]pp' | head -1)
[[ -z "$newer" ]] || echo "ingest_bench: warning: $newer is newer than $bin; rebuild it" >&2

work=$(mktemp -d -p "$build" ingest-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
: >"$work/empty.conf"

# measure CMD...: runs it under GNU time; prints "seconds max_rss_kib"
measure() {
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || {
        cat "$work/err.txt" >&2
        die "failed: $*"
    }
    cat "$work/time.txt"
}

rows=()
for n in $sizes; do
    dir="$work/$n"
    mkdir -p "$dir"
    "$bin" --config "$work/empty.conf" simulate --seed 1 --callbacks "$n" --journal-dir "$dir/journal" >"$dir/sim.txt"
    "$bin" --config "$work/empty.conf" journal dump --events --journal-dir "$dir/journal" >"$dir/events.ndjson"
    events=$(wc -l <"$dir/events.ndjson")
    journal_mb=$(du -sm "$dir/journal" | cut -f1)
    sync
    read -r jq_s jq_kib < <(measure jq -c '.data.id' "$dir/events.ndjson")
    read -r in_s in_kib < <(measure "$bin" --config "$work/empty.conf" --log-level warn ingest \
        --journal-dir "$dir/journal" --database "$dir/db.sqlite")
    db_mb=$(du -sm "$dir/db.sqlite" | cut -f1)
    rows+=("$n $events $journal_mb $jq_s $jq_kib $in_s $in_kib $db_mb")
    rm -rf "$dir"
done

awk -v md="$markdown" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    -v cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" -v cores="$(nproc)" \
    -v commit="$(git rev-parse --short HEAD)$(git diff --quiet -- lib cmd || echo '+dirty')" '
function eps(e, s) { return s > 0 ? e / s : 0 }
{
    n[NR] = $1; ev[NR] = $2; jmb[NR] = $3; jqs[NR] = $4; jqk[NR] = $5; ins[NR] = $6; ink[NR] = $7; dbmb[NR] = $8
}
END {
    sep = (md ? " | " : "  ")
    printf "%s%s on %s (%d cores), bbbhook %s\n", (md ? "" : "# "), date, cpu, cores, commit
    if (md) print "\n| callbacks | events | journal | jq events/s | ingest events/s | ratio | ingest time | ingest peak RSS | jq peak RSS | database |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= NR; i++) {
        r = eps(ev[i], ins[i]) / eps(ev[i], jqs[i])
        if (md) printf "| %d | %d | %d MB | %.0f | %.0f | %.2f | %.2f s | %.1f MiB | %.1f MiB | %d MB |\n", n[i], ev[i], jmb[i], eps(ev[i], jqs[i]), eps(ev[i], ins[i]), r, ins[i], ink[i] / 1024, jqk[i] / 1024, dbmb[i]
        else printf "callbacks %d: events %d (journal %d MB): jq %.0f events/s, ingest %.0f events/s (%.2f s), ratio %.2f; ingest peak RSS %.1f MiB (jq %.1f MiB); database %d MB\n", n[i], ev[i], jmb[i], eps(ev[i], jqs[i]), eps(ev[i], ins[i]), ins[i], r, ink[i] / 1024, jqk[i] / 1024, dbmb[i]
    }
    ok = 1
    r1 = eps(ev[1], ins[1]) / eps(ev[1], jqs[1])
    printf "%sgoal: ingest >= 7x jq events/s at %d callbacks (%.2f)%s%s\n", (md ? "\n" : ""), n[1], r1, sep, (r1 >= 7 ? "PASS" : "FAIL")
    for (i = 1; i <= NR; i++) {
        printf "goal: ingest peak RSS <= 64 MiB at %d callbacks (%.1f MiB)%s%s\n", n[i], ink[i] / 1024, sep, (ink[i] <= 65536 ? "PASS" : "FAIL")
        if (ink[i] > 65536) ok = 0
    }
    if (NR > 1) {
        flat = (ink[NR] <= ink[1] * 1.25)
        printf "goal: peak RSS flat from %d to %d callbacks (%.1f -> %.1f MiB)%s%s\n", n[1], n[NR], ink[1] / 1024, ink[NR] / 1024, sep, (flat ? "PASS" : "FAIL")
        if (!flat) ok = 0
    }
    if (r1 < 7) ok = 0
    exit (ok ? 0 : 1)
}' < <(printf '%s\n' "${rows[@]}")
