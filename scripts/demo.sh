#!/usr/bin/env bash
# The main job: builds hvd and shows what it does on this machine. For now it checks the
# host (CPU vendor, the vendor plugin that claims it, KVM and its capabilities).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HVD_BUILD_DIR:-$top/build}/demo
"$top/scripts/deps.sh"
(cd "$top" && autoreconf -fi >/dev/null 2>&1)
mkdir -p "$build"
(cd "$build" && [ -f Makefile ] || "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var >/dev/null)
make -C "$build" -j"$(nproc)" >/dev/null
echo "== hvd --check-host"
"$build/daemon/hvd" --plugin-dir "$build/plugins" --check-host
