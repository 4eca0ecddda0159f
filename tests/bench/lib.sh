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
