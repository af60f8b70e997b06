#!/usr/bin/env bash
# The test command: installs build dependencies, builds hvd with the lock validator on and
# runs every test (make check), then builds the core again under AddressSanitizer+UBSan and
# under ThreadSanitizer and runs the core tests there. Build trees go to build/ (or
# $HVD_BUILD_DIR). Exit status is non-zero if any step fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HVD_BUILD_DIR:-$top/build}
jobs=$(nproc)
"$top/scripts/deps.sh"

step() { printf '\n=== %s ===\n' "$*"; }
show_logs() { # print the logs of failed tests of a build tree
  local dir=$1
  [ -f "$dir/test-suite.log" ] && cat "$dir/test-suite.log"
  return 1
}

step "autoreconf"
(cd "$top" && autoreconf -fi >/dev/null 2>&1) || (cd "$top" && autoreconf -fi)

configure_in() { # dir, extra configure args...
  local dir=$1; shift
  mkdir -p "$dir"
  (cd "$dir" && "$top/configure" --enable-lock-validator --prefix=/usr --sysconfdir=/etc --localstatedir=/var "$@" >configure.out) \
    || { cat "$dir/configure.out" "$dir/config.log" | tail -60; return 1; }
}

step "build (lock validator on)"
configure_in "$build/check" CFLAGS="-O2 -g"
make -C "$build/check" -j"$jobs" >/dev/null
step "make check"
make -C "$build/check" -j"$jobs" check || show_logs "$build/check"

san() { # name, cflags
  local name=$1 flags=$2
  step "core tests under $name"
  configure_in "$build/$name" CFLAGS="-O1 -g -fno-omit-frame-pointer $flags" LDFLAGS="$flags"
  make -C "$build/$name" -j"$jobs" >/dev/null
  make -C "$build/$name" -j"$jobs" check-core || show_logs "$build/$name"
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
san asan "-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# TSan's own deadlock detector holds at most 64 locks per thread and aborts past that, while a
# reset holds every vCPU mutex of a VM (up to HV_VM_VCPUS_MAX, 64, plus vm->lock); lock order
# is the lock validator's job in this build (cycles of any length), data races TSan's.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 detect_deadlocks=0"
san tsan "-fsanitize=thread"
step "all tests passed"
