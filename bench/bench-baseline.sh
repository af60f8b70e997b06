#!/usr/bin/env bash
# bench-baseline: builds hvd as of a baseline commit outside the source tree, for the second
# column of bench-dbus.sh and bench-vmctl.sh (--baseline, $HVD_BASELINE_BUILD); prints the build
# directory on its last line. Only when asked (make bench-baseline, make bench-compare): never
# by make check or CI.
#
#   bench/bench-baseline.sh [--commit REV] [--like BUILD_DIR]
#
# --commit   default 1b75681, the last commit with VMs as threads inside hvd (before hvd-vm)
# --like     configure the baseline with the arguments BUILD_DIR was configured with
#            (config.status --config), so both columns come from builds made the same way
#
# The tree is exported with `git archive` (no worktree is registered in the repository) into
# ${XDG_CACHE_HOME:-~/.cache}/hvd-bench-baseline/COMMIT/src and built in .../COMMIT/build;
# COMMIT is the full hash. A finished build with the same configure arguments is reused.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rev=1b75681 like=""
while [ $# -gt 0 ]; do
        case $1 in
        --commit) rev=$2; shift 2 ;;
        --like) like=$2; shift 2 ;;
        *) echo "usage: $0 [--commit REV] [--like BUILD_DIR]" >&2; exit 2 ;;
        esac
done
commit=$(git -C "$src" rev-parse --verify "$rev^{commit}")
configure_args=()
if [ -n "$like" ]; then
        [ -x "$like/config.status" ] || { echo "$like is not a configured build tree" >&2; exit 1; }
        eval "configure_args=($("$like/config.status" --config))"
fi
dir=${XDG_CACHE_HOME:-$HOME/.cache}/hvd-bench-baseline/$commit
stamp=$dir/build/.bench-baseline-built
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${configure_args[*]}" ]; then
        echo "$dir/build"
        exit 0
fi

echo "bench-baseline: building $commit in $dir" >&2
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/build"
git -C "$src" archive "$commit" | tar -x -C "$dir/src"
(cd "$dir/src" && autoreconf -fi) >"$dir/autoreconf.log" 2>&1 ||
        { echo "autoreconf failed: see $dir/autoreconf.log" >&2; exit 1; }
(cd "$dir/build" && "$dir/src/configure" "${configure_args[@]}") >"$dir/configure.log" 2>&1 ||
        { echo "configure failed: see $dir/configure.log" >&2; exit 1; }
make -C "$dir/build" -j"$(nproc)" >"$dir/make.log" 2>&1 ||
        { echo "make failed: see $dir/make.log" >&2; exit 1; }
echo "${configure_args[*]}" > "$stamp"
echo "$dir/build"
