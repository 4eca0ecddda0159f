# shellcheck shell=bash disable=SC2034  # sets variables for the script that sources it
# tests/bench/lib.sh: what the benchmark scripts share. Sourced, not run:
#
#   BENCH_NAME=serve_bench                # prefix of messages
#   BENCH_EXTRA_FLAGS=(regenerate)        # optional: --regenerate sets REGENERATE=1
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_parse_args "$@"
#
# bench_parse_args understands --markdown (MARKDOWN=1), --keep (KEEP=1), the extra flags, -h/--help
# (prints the calling script's leading comment) and one BUILD_DIR, made absolute (default
# REPO/build-bench). It sets REPO to the repository's top folder.

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 2
}
log() { echo "$BENCH_NAME: $*" >&2; }

bench_parse_args() {
    MARKDOWN=0
    KEEP=0
    BUILD_DIR=""
    local flag arg matched
    for flag in "${BENCH_EXTRA_FLAGS[@]}"; do
        printf -v "${flag^^}" '%s' 0
    done
    for arg in "$@"; do
        case "$arg" in
        --markdown) MARKDOWN=1 ;;
        --keep) KEEP=1 ;;
        -h | --help)
            sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
            exit 0
            ;;
        -*)
            matched=0
            for flag in "${BENCH_EXTRA_FLAGS[@]}"; do
                if [[ "$arg" == "--$flag" ]]; then
                    printf -v "${flag^^}" '%s' 1
                    matched=1
                fi
            done
            ((matched)) || die "unknown option $arg (see --help)"
            ;;
        *) BUILD_DIR="$arg" ;;
        esac
    done
    REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    BUILD_DIR="${BUILD_DIR:-$REPO/build-bench}"
    case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$PWD/$BUILD_DIR" ;; esac
}

# bench_binary: sets BIN to BUILD_DIR's bbbhook, configuring and building a Release binary there
# when it is missing, and BUILD_TYPE; warns when the build is not Release.
bench_binary() {
    BIN="$BUILD_DIR/cmd/bbbhook"
    if [[ ! -x "$BIN" ]]; then
        log "no $BIN: building it (Release) in $BUILD_DIR"
        { command -v cmake && command -v ninja; } >/dev/null || die "cmake and ninja are needed to build"
        cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBBBHOOK_BUILD_TESTS=OFF \
            -DBBBHOOK_BUILD_MAN=OFF >&2
        ninja -C "$BUILD_DIR" bbbhook >&2
    fi
    BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
    [[ "$BUILD_TYPE" == "Release" ]] || log "warning: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build, not Release"
}

# bench_drop_work: at exit, removes the work folder $WORK (if there is one), or says where it is
# with --keep.
bench_drop_work() {
    [[ -n "${WORK:-}" && -d "$WORK" ]] || return 0
    if ((KEEP)); then
        log "work folder kept: $WORK"
    else
        rm -rf -- "$WORK"
    fi
}
