#!/bin/sh
# Checks the systemd units: `systemd-analyze verify` with ExecStart= pointing at the built
# binary, and every Documentation=man:PAGE(N) built into the man folder.
# Usage: systemd_verify.sh BBBHOOK_BINARY MAN_BUILD_DIR UNITS_DIR    Exit 77 (skip) without systemd-analyze.
# MAN_BUILD_DIR "-": a build without man pages (BBBHOOK_BUILD_MAN=OFF), whose pages are not checked.
set -eu
binary=$1 man_dir=$2 units=$3
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for unit in "$units"/*.service "$units"/*.timer; do
    [ -e "$unit" ] || continue
    name=$(basename "$unit")
    sed "s|/usr/bin/bbbhook|$binary|g" "$unit" > "$tmp/$name"
    echo "systemd-analyze verify $name"
    # --man=no: man-db may not be installed; the pages are checked below instead.
    out=$(systemd-analyze verify --man=no "$tmp/$name" 2>&1) || status=1
    if [ -n "$out" ]; then echo "$out"; status=1; fi
    for doc in $(sed -n 's/^Documentation=//p' "$unit"); do
        case "$doc" in
        man:*)
            [ "$man_dir" != "-" ] || continue
            page=$(echo "$doc" | sed 's/^man:\(.*\)(\([0-9]\))$/\1.\2/')
            [ -e "$man_dir/$page" ] || { echo "$name: $doc: $man_dir/$page was not built"; status=1; } ;;
        esac
    done
done
exit $status
