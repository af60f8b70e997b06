#!/bin/sh
# Runs the vm benchmarks from a build tree: bench-vm.sh BUILD_DIR [OUT_DIR]
# (kick latency and boot time; tables on stdout, JSON in OUT_DIR, default BUILD_DIR/bench).
set -eu
build=$(cd "${1:?usage: bench-vm.sh BUILD_DIR [OUT_DIR]}" && pwd)
out=${2:-$build/bench}
mkdir -p "$out"
cd "$build"
export HVD_GUEST_DIR="$build/tests/guests" HVD_PLUGIN_DIR="$build/plugins"
./bench/bench-kick 2000 5 --json "$out/bench-kick.json"
./bench/bench-boot 20 --json "$out/bench-boot.json"
