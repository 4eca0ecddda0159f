#!/usr/bin/env bash
# serve_bench.sh: load benchmark of `bbbhook serve` (durability sync) against nginx reading and
# logging the same request bodies. Standalone: not part of the test suite. See docs/BENCHMARKS.md.
#
# Usage: tests/bench/serve_bench.sh [--markdown] [--keep] [BUILD_DIR]
#
#   BUILD_DIR   build folder with a Release build of cmd/bbbhook (default: build-bench). If the
#               binary is missing, it is configured and built there first:
#                 cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
#                       -DBBBHOOK_BUILD_TESTS=OFF -DBBBHOOK_BUILD_MAN=OFF
#                 ninja -C build-bench bbbhook
#               An existing binary is used as it is: rebuild it yourself after changing the code.
#   --markdown  also print a Markdown block ready for docs/BENCHMARKS.md
#   --keep      keep the work folder (configs, logs, journal, wrk output) instead of deleting it
#
# What it does: starts serve (durability sync, journal on the repository's disk) and nginx (reads
# every body and logs it, no sync) on free 127.0.0.1 ports, warms both up, then runs the same wrk
# load (POST of a ~1 KiB user-joined callback) against serve and nginx in turn, BENCH_ROUNDS times,
# and compares the median rounds with the goals.
#
# Environment (the defaults are the benchmark in docs/BENCHMARKS.md):
#   BENCH_DURATION=10s  BENCH_CONNECTIONS=32  BENCH_WRK_THREADS=2  BENCH_WARMUP=2s  BENCH_ROUNDS=3
#   BENCH_SERVE_THREADS=   (empty: serve's default --threads; set it to try more event loops)
#   BENCH_DURABILITY=sync  (none only for investigation: the goals are about sync)
#   BENCH_NGINX_MODE=auto  (auto|echo|proxy: how nginx reads the body, see nginx_config below)
#
# Only 127.0.0.1 is used. Every process started here is stopped by its PID, also on failure.
# Exit status: 0 every goal and check passed, 1 a goal or a check failed, 2 the benchmark could not run.

set -euo pipefail
export LC_ALL=C

BENCH_NAME=serve_bench
BENCH_EXTRA_FLAGS=()
# shellcheck source=tests/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_parse_args "$@"

DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
WRK_THREADS="${BENCH_WRK_THREADS:-2}"
WARMUP="${BENCH_WARMUP:-2s}"
ROUNDS="${BENCH_ROUNDS:-3}"
SERVE_THREADS="${BENCH_SERVE_THREADS:-}"
NGINX_MODE="${BENCH_NGINX_MODE:-auto}"
DURABILITY="${BENCH_DURABILITY:-sync}"
[[ "$DURABILITY" == sync || "$DURABILITY" == none ]] || die "BENCH_DURABILITY must be sync or none"
[[ "$NGINX_MODE" =~ ^(auto|echo|proxy)$ ]] || die "BENCH_NGINX_MODE must be auto, echo or proxy"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"

# Goals (docs/BENCHMARKS.md).
GOAL_RATIO="0.6"   # serve requests/s >= 0.6 x nginx requests/s
GOAL_P99_MS="2"    # serve p99 latency <= 2 ms
GOAL_RSS_KIB=32768 # serve peak RSS (VmHWM) <= 32 MiB

# The registered callback URL (checksums cover it) and the path serve answers it on.
CALLBACK_URL="https://moodle.example.test/bbbhook/bbb/moodle"
CALLBACK_PATH="/bbbhook/bbb/moodle"
SECRET="benchSecret0123456789abcdefghijklmnopqrstuv"

for tool in wrk nginx curl sha1sum ss awk getconf; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
NGINX_BIN="$(command -v nginx)"
CLK_TCK="$(getconf CLK_TCK)"

# ---------------------------------------------------------------------------------------------
# Processes: every PID started here is recorded, and the EXIT trap stops what is still running.

PIDS=()
WORK=""

stop_pid() { # PID [SIGNAL]: signal the process, wait up to 5 s, then SIGKILL it
    local pid="$1" sig="${2:-TERM}" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -s "$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "PID $pid did not stop on SIG$sig; sending SIGKILL"
        kill -s KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

children_of() { # PID: its direct children (the workers of an nginx master)
    cat /proc/"$1"/task/*/children 2>/dev/null || true
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local rc=$? i pid kids k
    trap - EXIT INT TERM
    # Newest first: samplers and wrk before the servers; an nginx master's workers after it.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[i]}"
        [[ -n "$pid" ]] || continue
        kids="$(children_of "$pid")"
        stop_pid "$pid"
        for k in $kids; do kill -0 "$k" 2>/dev/null && kill -s KILL "$k" 2>/dev/null; done
    done
    bench_drop_work
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() { # PID: it was stopped on purpose
    local i
    for i in "${!PIDS[@]}"; do [[ "${PIDS[i]}" == "$1" ]] && PIDS[i]=""; done
    return 0
}

# ---------------------------------------------------------------------------------------------
# The binary

bench_binary

# The work folder is inside the build folder: on the same disk as the repository, so that the
# journal's fdatasync reaches a real disk (/tmp may be a tmpfs).
WORK="$(mktemp -d "$BUILD_DIR/serve-bench.XXXXXX")"

# ---------------------------------------------------------------------------------------------
# Machine facts

CPU_MODEL="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
CORES="$(nproc)"
KERNEL="$(uname -sr)"
MEM_TOTAL="$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
read -r JDEV JFSTYPE JMOUNT < <(df -P -T "$WORK" | awk 'NR==2{print $1, $2, $7}')
JDISK="$JDEV ($JFSTYPE on $JMOUNT)"
blk="$(basename "$(readlink -f "$JDEV")")"
[[ -e "/sys/class/block/$blk/partition" ]] && blk="$(basename "$(readlink -f "/sys/class/block/$blk/..")")"
if [[ -r "/sys/block/$blk/queue/rotational" ]]; then
    model="$(tr -s ' ' 2>/dev/null <"/sys/block/$blk/device/model" | sed 's/ *$//' || true)"
    [[ "$blk" == vd* ]] && model="${model:-virtio block device}"
    JDISK="$JDISK${model:+, $model}, queue/rotational=$(cat "/sys/block/$blk/queue/rotational")"
fi
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
NGINX_VERSION="$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')"
WRK_VERSION="$(wrk --version 2>&1 | awk 'NR==1{print $2}' || true)"
COMMIT="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$REPO" diff --quiet HEAD -- lib cmd 2>/dev/null || COMMIT="$COMMIT + uncommitted changes in lib/ or cmd/"
BIN_DATE="$(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"
if [[ -n "$(find "$REPO/lib" "$REPO/cmd" -type f -newer "$BIN" -print -quit 2>/dev/null)" ]]; then
    BIN_DATE="$BIN_DATE, OLDER than some sources in lib/ or cmd/"
    log "warning: $BIN is older than some sources; rebuild it with: ninja -C $BUILD_DIR bbbhook"
fi

# ---------------------------------------------------------------------------------------------
# The callback: a raw UserJoinedMeetingEvtMsg (what a global hook with getRaw receives) for a
# Moodle meeting, form-encoded like bbb-webhooks v3.5 does it (URLSearchParams; keys domain,
# event, timestamp), about 1 KiB. Compare tests/fixtures/bbb-webhooks/captured/callbacks/.

form_encode() { # WHATWG application/x-www-form-urlencoded encoding of one value (bytes, C locale)
    local s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "$c" in
        [A-Za-z0-9*._-]) out+="$c" ;;
        ' ') out+="+" ;;
        *) out+="$(printf '%%%02X' "'$c")" ;;
        esac
    done
    printf '%s' "$out"
}

# mod_bigbluebuttonbn's meeting id: <meetingid>-<course id>-<activity id>[<group id>]; BBB's
# internal id is sha1(external id)-<create time>; the user's extId is the Moodle user id.
EXT_MEETING_ID="8f5c2a9e4b7d1f3a6c0e9b2d5f8a1c4e7b0d3f6a-215-1873[42]"
INT_MEETING_ID="$(printf '%s' "$EXT_MEETING_ID" | sha1sum | cut -c1-40)-1795551035614"
USER_ID="w_k3vq8p2mzl7d"
EVENT_JSON='[{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"'"$INT_MEETING_ID"'","userId":"'"$USER_ID"'"},"timestamp":1795551040038},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"'"$INT_MEETING_ID"'","userId":"'"$USER_ID"'"},"body":{"intId":"'"$USER_ID"'","extId":"4711","name":"Zoë Müller-Lüdenscheidt","role":"VIEWER","guest":false,"authed":true,"guestStatus":"ALLOW","emoji":"none","reactionEmoji":"none","raiseHand":false,"away":false,"pin":false,"presenter":false,"locked":true,"avatar":"https://moodle.example.test/pluginfile.php/90321/user/icon/boost/f1?rev=4471","color":"#5e35b1","clientType":"HTML5"}}}]'
BODY="domain=bbb.example.test&event=$(form_encode "$EVENT_JSON")&timestamp=1795551040041"
BODY_BYTES="${#BODY}"
# bbb-webhooks v3.4+: sha1(callbackURL + rawBody + secret), appended as ?checksum= (bbb-webhooks.md §3.2).
CHECKSUM="$(printf '%s%s%s' "$CALLBACK_URL" "$BODY" "$SECRET" | sha1sum | cut -c1-40)"
TARGET="$CALLBACK_PATH?checksum=$CHECKSUM"
printf '%s' "$BODY" >"$WORK/body.txt"

# The wrk script: POST the body with bbb-webhooks' headers and report everything as one
# machine-readable BENCH line from done(). No per-response Lua hook: it would cost wrk CPU on every
# answer and slow the closed loop for both servers; wrk itself counts answers with a status >= 400
# (summary.errors.status), and the journal check below proves every other answer was a 2xx.
LUA_BODY="$(sed 's/[\\"]/\\&/g' "$WORK/body.txt")"
cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.body = "$LUA_BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8"
wrk.headers["User-Agent"] = "node-fetch"
wrk.headers["Accept"] = "*/*"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f ok=%d non2xx=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "errors=%d\\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), summary.requests - e.status,
    e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout))
end
EOF

# ---------------------------------------------------------------------------------------------
# Helpers

field() { # NAME FILE: the value of NAME= on the file's BENCH line
    sed -n 's/^BENCH .*\b'"$1"'=\([^ ]*\).*/\1/p' "$2" | tail -n1
}

free_port() { # a TCP port nothing listens on (a start that loses a race is retried)
    local used p
    used="$(ss -Htln 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}')"
    for (( ; ; )); do
        p=$((20000 + RANDOM % 30000))
        grep -qx "$p" <<<"$used" || {
            echo "$p"
            return
        }
    done
}

status_kib() { # PID FIELD: VmRSS or VmHWM of a process in KiB
    awk -v f="$2:" '$1 == f {print $2}' /proc/"$1"/status 2>/dev/null || true
}

cpu_ticks() { # PID WITH_CHILDREN: utime+stime of the process (and its direct children), in clock ticks
    local sum=0 p t
    for p in "$1" $( (($2)) && children_of "$1"); do
        # After the ")" that ends the command name, utime and stime are the 12th and 13th fields.
        t="$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13}')"
        sum=$((sum + ${t:-0}))
    done
    echo "$sum"
}

machine_busy_ticks() { # all CPUs: user+nice+system+irq+softirq+steal
    awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

children_cpu_ticks() { # FILE with the output of `times`: CPU of this shell's reaped children
    awk -v t="$CLK_TCK" 'NR == 2 {gsub(/[ms]/, " "); printf "%.0f", ($1 * 60 + $2 + $3 * 60 + $4) * t}' "$1"
}

# Samples the RSS of PID (plus its children when WITH_CHILDREN is 1) every 100 ms; the largest sum
# is rewritten to OUTFILE after each sample, so the sampler can simply be stopped.
start_rss_sampler() { # PID OUTFILE WITH_CHILDREN
    # The maximum stays in memory and is written once, when the sampler is stopped: a file written
    # every 100 ms on the journal's file system would disturb what is measured. The loop forks
    # nothing: it waits with `read -t` on a FIFO that never gets data (a `sleep` process every
    # 100 ms, in two samplers, raised serve's p99 by about 0.3 ms on 2 cores).
    local fifo="$WORK/tick.$RANDOM$RANDOM"
    mkfifo "$fifo"
    (
        pid="$1" out="$2" kids="$3" max=0
        members="$pid"
        ((kids)) && members="$pid $(children_of "$pid")"
        trap 'echo "$max" >"$out"; exit 0' TERM
        exec {tick}<>"$fifo" # read-write: opening does not block, and no data ever comes
        while kill -0 "$pid" 2>/dev/null; do
            sum=0
            for p in $members; do
                while read -r k v _; do
                    [[ "$k" == VmRSS: ]] && sum=$((sum + v))
                done <"/proc/$p/status" 2>/dev/null || true
            done
            ((sum > max)) && max=$sum
            read -rt 0.1 -u "$tick" _ || true
        done
        echo "$max" >"$out"
    ) &
    PIDS+=("$!")
    SAMPLER_PID=$!
}

run_wrk() { # URL DURATION OUTFILE
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2" --latency -s "$WORK/post.lua" "$1" >"$3" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait "$pid" || {
        cat "$3" >&2
        die "wrk failed"
    }
    forget_pid "$pid"
    grep -q '^BENCH ' "$3" || {
        cat "$3" >&2
        die "wrk printed no BENCH line"
    }
}

# One measured load against a server. Appends a line to $WORK/rounds.txt:
#   NAME ROUND rps ok non2xx errors p50_us p90_us p99_us max_us server_cpu% wrk_cpu% other_cpu%
# (CPU in % of one core over the run; "other" is what the rest of the machine used meanwhile.)
measure() { # NAME PID WITH_CHILDREN URL ROUND
    local name="$1" pid="$2" kids="$3" url="$4" round="$5" out="$WORK/$1/wrk-$5.txt"
    local busy0 busy1 cpu0 cpu1 wrk0 wrk1
    busy0="$(machine_busy_ticks)"
    cpu0="$(cpu_ticks "$pid" "$kids")"
    times >"$WORK/times0"
    run_wrk "$url" "$DURATION" "$out"
    times >"$WORK/times1"
    cpu1="$(cpu_ticks "$pid" "$kids")"
    busy1="$(machine_busy_ticks)"
    wrk0="$(children_cpu_ticks "$WORK/times0")"
    wrk1="$(children_cpu_ticks "$WORK/times1")"
    awk -v name="$name" -v round="$round" -v t="$CLK_TCK" -v us="$(field duration_us "$out")" \
        -v srv=$((cpu1 - cpu0)) -v wrk=$((wrk1 - wrk0)) -v busy=$((busy1 - busy0)) \
        -v rps="$(field rps "$out")" -v ok="$(field ok "$out")" -v bad="$(field non2xx "$out")" \
        -v err="$(field errors "$out")" -v p50="$(field p50_us "$out")" -v p90="$(field p90_us "$out")" \
        -v p99="$(field p99_us "$out")" -v max="$(field max_us "$out")" \
        'BEGIN {
            s = us / 1e6; other = (busy - srv - wrk) / t / s * 100; if (other < 0) other = 0
            printf "%s %s %s %s %s %s %s %s %s %s %.0f %.0f %.0f\n", name, round, rps, ok, bad, err,
                p50, p90, p99, max, srv / t / s * 100, wrk / t / s * 100, other
        }' >>"$WORK/rounds.txt"
}

post_once() { # URL: one POST of the body with curl; prints the HTTP status
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
        -H 'Content-Type: application/x-www-form-urlencoded;charset=UTF-8' --data-binary @"$WORK/body.txt" "$1" || true
}

wait_http() { # URL PID: until the server answers at all, or it died
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$2" 2>/dev/null || return 1
        curl -s -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.05
    done
    return 1
}

journal_records() { # the number of records `journal verify` counts; fails on corruption
    local out
    out="$("$BIN" --config "$WORK/serve/bbbhook.conf" --log-level warn journal verify 2>>"$WORK/serve/verify.err")" || {
        echo "$out" >&2
        cat "$WORK/serve/verify.err" >&2
        return 1
    }
    echo "$out" >>"$WORK/serve/verify.out"
    sed -n 's/^[0-9]* file(s), \([0-9]*\) record(s).*/\1/p' <<<"$out"
}

# Before each measured run: write back what is dirty on the journal's file system, so that neither
# server pays for the other's writes (nginx's access log grows by about 100 MB per second).
settle() {
    sync -f "$WORK" 2>/dev/null || sync
    sleep 1
}

fetch_metrics() { # FILE: serve's /metrics
    curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/metrics" >"$1" || true
}

metric_delta() { # NAME FILE_BEFORE FILE_AFTER: how much the metric grew
    awk -v m="$1" '$1 == m {v[FILENAME] = $2} END {printf "%.9g", v[ARGV[2]] - v[ARGV[1]]}' "$2" "$3"
}

# ---------------------------------------------------------------------------------------------
# 1. Start serve (durability sync; journal on the repository's disk)

mkdir -p "$WORK/serve" "$WORK/nginx"
JOURNAL_DIR="$WORK/serve/journal"
printf '%s\n' "$SECRET" >"$WORK/serve/bench.secret"
chmod 600 "$WORK/serve/bench.secret"
cat >"$WORK/serve/bbbhook.conf" <<EOF
data_dir = "$WORK/serve/data"
log_level = "info"

[journal]
dir = "$JOURNAL_DIR"
durability = "$DURABILITY"

[serve]
listen = ["127.0.0.1:0"]

[source.moodle]
secret_file = "bench.secret"
auth = "checksum"
callback_url = "$CALLBACK_URL"
EOF

serve_args=(--config "$WORK/serve/bbbhook.conf" serve)
[[ -n "$SERVE_THREADS" ]] && serve_args+=(--threads "$SERVE_THREADS")
: >"$WORK/serve/serve.log"
"$BIN" "${serve_args[@]}" 2>"$WORK/serve/serve.log" &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
SERVE_PORT=""
for ((i = 0; i < 100; i++)); do # listen on port 0: serve logs the port it got
    SERVE_PORT="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$WORK/serve/serve.log" | head -n1)"
    [[ -n "$SERVE_PORT" ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
done
[[ -n "$SERVE_PORT" ]] || {
    cat "$WORK/serve/serve.log" >&2
    die "serve did not start"
}
SERVE_URL="http://127.0.0.1:$SERVE_PORT$TARGET"
code="$(post_once "$SERVE_URL")"
[[ "$code" == 200 ]] || {
    cat "$WORK/serve/serve.log" >&2
    die "serve answered $code to the benchmark callback (expected 200)"
}
SERVE_THREADS_USED="${SERVE_THREADS:-$("$BIN" --config "$WORK/serve/bbbhook.conf" config show 2>/dev/null |
    awk '$1 == "serve.threads" {print $3; exit}' || true)}"
SERVE_RSS_IDLE="$(status_kib "$SERVE_PID" VmRSS)"
log "serve: port $SERVE_PORT, durability $DURABILITY, journal $JOURNAL_DIR"

# ---------------------------------------------------------------------------------------------
# 2. Start nginx: it reads every body into memory and writes it to the access log (no fsync).
#
# echo mode:  the echo module (libnginx-mod-http-echo, which Debian's nginx-light depends on)
#             reads the body with echo_read_request_body and answers "ok", all in the worker.
#             (`return 200` alone would not read the body: nginx discards it, $request_body is empty.)
# proxy mode: without the echo module, proxy_pass (which reads the body) to a second server block
#             on a unix socket that answers 200; this costs nginx a second, internal request.

ECHO_SO=""
for so in /usr/lib/nginx/modules/ngx_http_echo_module.so /usr/lib64/nginx/modules/ngx_http_echo_module.so \
    /usr/share/nginx/modules/ngx_http_echo_module.so; do
    [[ -r "$so" ]] && ECHO_SO="$so" && break
done
ECHO_BUILTIN=0
"$NGINX_BIN" -V 2>&1 | grep -q echo-nginx-module && ECHO_BUILTIN=1
if [[ "$NGINX_MODE" == auto ]]; then
    NGINX_MODE="proxy"
    ((ECHO_BUILTIN)) || [[ -n "$ECHO_SO" ]] && NGINX_MODE="echo"
fi
[[ "$NGINX_MODE" == proxy ]] || ((ECHO_BUILTIN)) || [[ -n "$ECHO_SO" ]] || die "no nginx echo module found"

NGX="$WORK/nginx"
mkdir -p "$NGX/logs" "$NGX/tmp"

nginx_config() { # PORT
    {
        [[ "$NGINX_MODE" == echo ]] && ((!ECHO_BUILTIN)) && echo "load_module $ECHO_SO;"
        # As root, nginx would run its workers as nobody, who cannot enter the private work folder.
        ((EUID == 0)) && echo "user root;"
        cat <<EOF
daemon off;
master_process on;
worker_processes $CORES;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    client_body_buffer_size 16k;
    client_max_body_size 1m;
    keepalive_requests 1000000;
    keepalive_timeout 5s;
    log_format body '\$remote_addr [\$time_iso8601] "\$request" \$status \$request_length "\$request_body"';
    access_log $NGX/logs/access.log body;
    server {
        listen 127.0.0.1:$1;
EOF
        if [[ "$NGINX_MODE" == echo ]]; then
            cat <<EOF
        location / {
            echo_read_request_body;
            echo ok;
        }
    }
}
EOF
        else
            cat <<EOF
        location / {
            proxy_pass http://sink;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    upstream sink {
        server unix:$NGX/sink.sock;
        keepalive 64;
    }
    server {
        listen unix:$NGX/sink.sock;
        access_log off;
        keepalive_requests 1000000;
        location / { return 200 "ok\n"; }
    }
}
EOF
        fi
    } >"$NGX/nginx.conf"
}

NGINX_PID=""
for _ in 1 2 3 4 5; do
    NGINX_PORT="$(free_port)"
    nginx_config "$NGINX_PORT"
    "$NGINX_BIN" -p "$NGX" -c "$NGX/nginx.conf" 2>>"$NGX/logs/stderr.log" &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_http "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID" && break
    stop_pid "$NGINX_PID"
    forget_pid "$NGINX_PID"
    NGINX_PID=""
done
[[ -n "$NGINX_PID" ]] || {
    cat "$NGX/logs/stderr.log" "$NGX/logs/error.log" >&2 2>/dev/null || true
    die "nginx did not start"
}
NGINX_URL="http://127.0.0.1:$NGINX_PORT$TARGET"
code="$(post_once "$NGINX_URL")"
[[ "$code" == 200 ]] || die "nginx answered $code to the benchmark callback (expected 200)"
# Proof that nginx really read the body: its access log line carries it.
grep -qF "$BODY" "$NGX/logs/access.log" || die "nginx did not log the request body; see $NGX/logs/access.log"
log "nginx: port $NGINX_PORT, $NGINX_MODE mode, $CORES workers"

# ---------------------------------------------------------------------------------------------
# 3. Warm up both, then the measured rounds: serve, nginx, serve, nginx, ...

log "warm-up: $WARMUP each"
run_wrk "$SERVE_URL" "$WARMUP" "$WORK/serve/wrk-warmup.txt"
run_wrk "$NGINX_URL" "$WARMUP" "$NGX/wrk-warmup.txt"
sleep 0.5
# Logs are rotated (renamed, then nginx reopens on USR1), never truncated or deleted while
# measuring: this disk is mounted with `discard`, so freeing the hundreds of MB of a log sends
# TRIMs to the device that stall the next round's fdatasyncs (seen as 50-150 ms p99 in serve
# rounds that followed an nginx round). The rotated logs go away with the work folder at the end.
rotate_nginx_log() { # NAME: rename the current log and make nginx reopen it
    mv "$NGX/logs/access.log" "$NGX/logs/$1"
    kill -USR1 "$NGINX_PID"
    for _ in $(seq 100); do
        [[ -e "$NGX/logs/access.log" ]] && break
        sleep 0.02
    done
}
rotate_nginx_log access.log.warmup

start_rss_sampler "$SERVE_PID" "$WORK/serve/rss-max" 0
SERVE_SAMPLER="$SAMPLER_PID"
start_rss_sampler "$NGINX_PID" "$NGX/rss-max" 1
NGINX_SAMPLER="$SAMPLER_PID"
: >"$WORK/rounds.txt"
JOURNAL_OK=1 JOURNALED_TOTAL=0 SERVE_OK_TOTAL=0
NGINX_LOGGED_TOTAL=0 NGINX_BODY_TOTAL=0
SYNC_SUM=0 SYNC_COUNT=0 BATCH_SUM=0
for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r/$ROUNDS: serve, $DURATION with $CONNECTIONS connections"
    before="$(journal_records)" || die "journal verify failed before round $r"
    fetch_metrics "$WORK/serve/metrics-$r-before.txt"
    settle
    measure serve "$SERVE_PID" 0 "$SERVE_URL" "$r"
    sleep 0.5 # answers in flight when wrk stopped
    fetch_metrics "$WORK/serve/metrics-$r-after.txt"
    after="$(journal_records)" || die "journal verify failed after round $r"
    ok="$(field ok "$WORK/serve/wrk-$r.txt")"
    # Every 2xx must be in the journal. A few more records are fine: requests in flight at the
    # deadline were journaled and answered, but wrk had stopped counting.
    journaled=$((after - before))
    ((journaled >= ok && journaled <= ok + CONNECTIONS)) || JOURNAL_OK=0
    JOURNALED_TOTAL=$((JOURNALED_TOTAL + journaled)) SERVE_OK_TOTAL=$((SERVE_OK_TOTAL + ok))
    m() { metric_delta "$1" "$WORK/serve/metrics-$r-before.txt" "$WORK/serve/metrics-$r-after.txt"; }
    read -r SYNC_SUM SYNC_COUNT BATCH_SUM < <(awk -v a="$SYNC_SUM" -v b="$SYNC_COUNT" -v c="$BATCH_SUM" \
        -v d="$(m bbbhook_journal_sync_seconds_sum)" -v e="$(m bbbhook_journal_batch_records_count)" \
        -v f="$(m bbbhook_journal_batch_records_sum)" 'BEGIN {print a + d, b + e, c + f}')

    log "round $r/$ROUNDS: nginx, $DURATION with $CONNECTIONS connections"
    settle
    measure nginx "$NGINX_PID" 1 "$NGINX_URL" "$r"
    sleep 0.5
    rotate_nginx_log "access.log.$r"
    NGINX_LOGGED_TOTAL=$((NGINX_LOGGED_TOTAL + $(wc -l <"$NGX/logs/access.log.$r")))
    NGINX_BODY_TOTAL=$((NGINX_BODY_TOTAL + $(grep -cF "$BODY" "$NGX/logs/access.log.$r" || true)))
done
for p in "$NGINX_SAMPLER" "$SERVE_SAMPLER"; do
    stop_pid "$p"
    forget_pid "$p"
done

SERVE_HWM="$(status_kib "$SERVE_PID" VmHWM)"
SERVE_RSS_AFTER="$(status_kib "$SERVE_PID" VmRSS)"
SERVE_RSS_MAX="$(cat "$WORK/serve/rss-max" 2>/dev/null || echo 0)"
NGINX_RSS_MAX="$(cat "$NGX/rss-max" 2>/dev/null || echo 0)"
SERVE_TASKS="$(awk '$1 == "Threads:" {print $2}' /proc/"$SERVE_PID"/status 2>/dev/null || echo '?')"

stop_pid "$NGINX_PID" QUIT
forget_pid "$NGINX_PID"
stop_pid "$SERVE_PID" TERM
forget_pid "$SERVE_PID"
JOURNAL_LAST="$(journal_records)" || die "journal verify failed after serve stopped (and sealed the journal)"
[[ "$JOURNAL_LAST" == "$after" ]] || JOURNAL_OK=0

# ---------------------------------------------------------------------------------------------
# 4. Results: the median of the rounds for each number

median() { # NAME COLUMN (1-based in rounds.txt)
    awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$WORK/rounds.txt" | sort -g |
        awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
sum_col() { awk -v n="$1" -v c="$2" '$1 == n {s += $c} END {print s + 0}' "$WORK/rounds.txt"; }
max_col() { awk -v n="$1" -v c="$2" '$1 == n && $c > m {m = $c} END {print m + 0}' "$WORK/rounds.txt"; }
ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1000}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
pf() { if [[ "$1" == 1 ]]; then echo PASS; else echo FAIL; fi; }

declare -A R
for who in serve nginx; do
    R[${who}_rps]="$(median "$who" 3)" R[${who}_p50]="$(median "$who" 7)" R[${who}_p90]="$(median "$who" 8)"
    R[${who}_p99]="$(median "$who" 9)" R[${who}_max]="$(max_col "$who" 10)" R[${who}_cpu]="$(median "$who" 11)"
    R[${who}_wrkcpu]="$(median "$who" 12)" R[${who}_other]="$(max_col "$who" 13)"
    R[${who}_ok]="$(sum_col "$who" 4)" R[${who}_bad]="$(sum_col "$who" 5)" R[${who}_err]="$(sum_col "$who" 6)"
    R[${who}_cpureq]="$(awk -v c="${R[${who}_cpu]}" -v r="${R[${who}_rps]}" 'BEGIN {printf "%.0f", (r > 0) ? c * 1e4 / r : 0}')"
done
RATIO="$(awk -v a="${R[serve_rps]}" -v b="${R[nginx_rps]}" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')"
G_RATIO="$(awk -v r="$RATIO" -v g="$GOAL_RATIO" 'BEGIN {print (r >= g) ? 1 : 0}')"
G_P99="$(awk -v us="${R[serve_p99]}" -v g="$GOAL_P99_MS" 'BEGIN {print (us <= g * 1000) ? 1 : 0}')"
G_RSS=$((SERVE_HWM <= GOAL_RSS_KIB ? 1 : 0))
C_JOURNAL="$JOURNAL_OK"
C_CLEAN=$((R[serve_bad] + R[serve_err] + R[nginx_bad] + R[nginx_err] == 0 ? 1 : 0))
C_NGINX=$((NGINX_BODY_TOTAL == NGINX_LOGGED_TOTAL && NGINX_LOGGED_TOTAL >= R[nginx_ok] ? 1 : 0))
OTHER_MAX=$((R[serve_other] > R[nginx_other] ? R[serve_other] : R[nginx_other]))
SYNC_MEAN_MS="$(awk -v s="$SYNC_SUM" -v c="$SYNC_COUNT" 'BEGIN {printf "%.2f", (c > 0) ? s * 1000 / c : 0}')"
BATCH_MEAN="$(awk -v s="$BATCH_SUM" -v c="$SYNC_COUNT" 'BEGIN {printf "%.1f", (c > 0) ? s / c : 0}')"
SERVE_SECONDS="$(for ((r = 1; r <= ROUNDS; r++)); do field duration_us "$WORK/serve/wrk-$r.txt"; done | awk '{s += $1} END {print s / 1e6}')"
SYNC_BUSY="$(awk -v s="$SYNC_SUM" -v d="$SERVE_SECONDS" 'BEGIN {printf "%.0f", (d > 0) ? s / d * 100 : 0}')"
NOISE_NOTE=""
((OTHER_MAX > 25)) && NOISE_NOTE="WARNING: other processes used up to $OTHER_MAX% of a core during a run; the numbers are disturbed."

row() { printf '%-30s %16s %16s\n' "$@"; }
{
    echo
    echo "== bbbhook serve benchmark =="
    echo "date:        $DATE"
    echo "cpu:         $CPU_MODEL, $CORES cores; memory $MEM_TOTAL"
    echo "kernel:      $KERNEL"
    echo "journal on:  $JDISK"
    echo "software:    bbbhook $COMMIT; binary built $BIN_DATE ($BUILD_TYPE); $NGINX_VERSION ($NGINX_MODE mode); wrk $WRK_VERSION"
    echo "load:        wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, POST of a $BODY_BYTES-byte callback; $ROUNDS round(s) each after a $WARMUP warm-up"
    echo "serve:       durability $DURABILITY, $SERVE_THREADS_USED event-loop thread(s) ($SERVE_TASKS threads in the process)"
    echo
    echo "rounds (CPU in % of one core: server / wrk / rest of the machine):"
    awk '{printf "  %-6s %s: %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  max %7.2f ms  CPU %3d / %3d / %3d\n",
        $1, $2, $3, $7 / 1000, $9 / 1000, $10 / 1000, $11, $12, $13}' "$WORK/rounds.txt"
    echo
    row "median over $ROUNDS round(s)" "serve" "nginx"
    row "requests/s" "${R[serve_rps]}" "${R[nginx_rps]}"
    row "latency p50 (ms)" "$(ms "${R[serve_p50]}")" "$(ms "${R[nginx_p50]}")"
    row "latency p90 (ms)" "$(ms "${R[serve_p90]}")" "$(ms "${R[nginx_p90]}")"
    row "latency p99 (ms)" "$(ms "${R[serve_p99]}")" "$(ms "${R[nginx_p99]}")"
    row "latency max, any round (ms)" "$(ms "${R[serve_max]}")" "$(ms "${R[nginx_max]}")"
    row "CPU (% of one core)" "${R[serve_cpu]}" "${R[nginx_cpu]}"
    row "CPU per request (us)" "${R[serve_cpureq]}" "${R[nginx_cpureq]}"
    row "wrk CPU (% of one core)" "${R[serve_wrkcpu]}" "${R[nginx_wrkcpu]}"
    row "RSS peak (MiB)" "$(mib "$SERVE_HWM")" "$(mib "$NGINX_RSS_MAX")"
    row "2xx answers, all rounds" "${R[serve_ok]}" "${R[nginx_ok]}"
    row "non-2xx / socket errors" "${R[serve_bad]} / ${R[serve_err]}" "${R[nginx_bad]} / ${R[nginx_err]}"
    echo "RSS: serve VmHWM (idle $(mib "$SERVE_RSS_IDLE"), largest 100 ms sample $(mib "$SERVE_RSS_MAX"), after $(mib "$SERVE_RSS_AFTER") MiB); nginx: largest sample of master + workers"
    echo "serve journal: $JOURNALED_TOTAL records for $SERVE_OK_TOTAL 2xx answers; $SYNC_COUNT group commits of $BATCH_MEAN records on average, fdatasync mean $SYNC_MEAN_MS ms, in fdatasync $SYNC_BUSY% of the time"
    echo "nginx access log: $NGINX_LOGGED_TOTAL lines, $NGINX_BODY_TOTAL of them with the whole body"
    [[ -n "$NOISE_NOTE" ]] && echo "$NOISE_NOTE"
    echo
    printf '%-64s %s\n' "goal:  serve requests/s >= $GOAL_RATIO x nginx (ratio $RATIO)" "$(pf "$G_RATIO")"
    printf '%-64s %s\n' "goal:  serve p99 <= $GOAL_P99_MS ms ($(ms "${R[serve_p99]}") ms)" "$(pf "$G_P99")"
    printf '%-64s %s\n' "goal:  serve RSS under load <= $((GOAL_RSS_KIB / 1024)) MiB ($(mib "$SERVE_HWM") MiB)" "$(pf "$G_RSS")"
    printf '%-64s %s\n' "check: every 2xx journaled, journal verifies clean" "$(pf "$C_JOURNAL")"
    printf '%-64s %s\n' "check: no non-2xx answers, no socket errors" "$(pf "$C_CLEAN")"
    printf '%-64s %s\n' "check: nginx logged every body" "$(pf "$C_NGINX")"
}

if ((MARKDOWN)); then
    cat <<EOF

----- Markdown for docs/BENCHMARKS.md -----
Run on $DATE; bbbhook $COMMIT, binary built $BIN_DATE ($BUILD_TYPE).

| Machine | |
|---|---|
| CPU | $CPU_MODEL, $CORES cores |
| Memory | $MEM_TOTAL |
| Kernel | $KERNEL |
| Journal disk | $JDISK |
| Software | $NGINX_VERSION ($NGINX_MODE mode), wrk $WRK_VERSION |
| Load | \`wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency\`, POST of a $BODY_BYTES-byte callback; $ROUNDS round(s) each, alternating, after a $WARMUP warm-up |

| Round | Server | requests/s | p50 | p99 | max | CPU server / wrk / other (% of a core) |
|---|---|---:|---:|---:|---:|---|
$(awk '{printf "| %s | %s | %.0f | %.2f ms | %.2f ms | %.2f ms | %d / %d / %d |\n", $2, $1, $3, $7 / 1000, $9 / 1000, $10 / 1000, $11, $12, $13}' "$WORK/rounds.txt")

| Median over $ROUNDS round(s) | serve (durability $DURABILITY) | nginx (body logged, no sync) |
|---|---:|---:|
| requests/s | ${R[serve_rps]} | ${R[nginx_rps]} |
| latency p50 | $(ms "${R[serve_p50]}") ms | $(ms "${R[nginx_p50]}") ms |
| latency p90 | $(ms "${R[serve_p90]}") ms | $(ms "${R[nginx_p90]}") ms |
| latency p99 | $(ms "${R[serve_p99]}") ms | $(ms "${R[nginx_p99]}") ms |
| latency max (any round) | $(ms "${R[serve_max]}") ms | $(ms "${R[nginx_max]}") ms |
| CPU (% of one core) | ${R[serve_cpu]} % | ${R[nginx_cpu]} % |
| CPU per request | ${R[serve_cpureq]} µs | ${R[nginx_cpureq]} µs |
| RSS peak | $(mib "$SERVE_HWM") MiB (VmHWM) | $(mib "$NGINX_RSS_MAX") MiB (master + $CORES workers) |
| 2xx answers (all rounds) | ${R[serve_ok]} | ${R[nginx_ok]} |
| non-2xx / socket errors | ${R[serve_bad]} / ${R[serve_err]} | ${R[nginx_bad]} / ${R[nginx_err]} |

serve: $SERVE_THREADS_USED event-loop thread(s), durability $DURABILITY. Journal: $JOURNALED_TOTAL records for $SERVE_OK_TOTAL 2xx answers; $SYNC_COUNT group commits of $BATCH_MEAN records on average, fdatasync mean $SYNC_MEAN_MS ms, in fdatasync $SYNC_BUSY % of the time.
${NOISE_NOTE:+
$NOISE_NOTE
}
| Goal or check | Result | |
|---|---|---|
| serve requests/s >= $GOAL_RATIO x nginx | ratio $RATIO | **$(pf "$G_RATIO")** |
| serve p99 <= $GOAL_P99_MS ms | $(ms "${R[serve_p99]}") ms | **$(pf "$G_P99")** |
| serve RSS under load <= $((GOAL_RSS_KIB / 1024)) MiB | $(mib "$SERVE_HWM") MiB | **$(pf "$G_RSS")** |
| every 2xx journaled, journal verifies clean | $JOURNALED_TOTAL records for $SERVE_OK_TOTAL 2xx | **$(pf "$C_JOURNAL")** |
| no non-2xx answers, no socket errors | serve ${R[serve_bad]} / ${R[serve_err]}, nginx ${R[nginx_bad]} / ${R[nginx_err]} | **$(pf "$C_CLEAN")** |
| nginx logged every body | $NGINX_BODY_TOTAL of $NGINX_LOGGED_TOTAL lines | **$(pf "$C_NGINX")** |
----- end -----
EOF
fi

((G_RATIO && G_P99 && G_RSS && C_JOURNAL && C_CLEAN && C_NGINX)) && exit 0
exit 1
