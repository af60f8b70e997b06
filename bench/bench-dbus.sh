#!/usr/bin/env bash
# Runs bench-dbus against hvd --user on a private dbus-daemon (as the tests do), and times
# `vmctl list` when vmctl is built. Usage, from the build tree (or with HVD_BUILD_DIR):
#   $srcdir/bench/bench-dbus.sh [JSON-OUT]      (default bench/bench-dbus.json)
set -euo pipefail
build=$(cd "${HVD_BUILD_DIR:-.}" && pwd)
[ -x "$build/bench/bench-dbus" ] || { echo "run from the build tree (make first), or set HVD_BUILD_DIR" >&2; exit 1; }
src=$(sed -n 's/^abs_top_srcdir = //p' "$build/Makefile")
export HVD_TOP_BUILDDIR=$build HVD_TOP_SRCDIR=$src
export HVD_PLUGIN_DIR=${HVD_PLUGIN_DIR:-$build/plugins}
# hvd and hvd-vm without libtool's wrapper scripts (bench-lib.sh)
source "$src/bench/bench-lib.sh"
bench_unwrap HVD_BIN "$build/daemon/hvd"
export HVD_BIN HVD_VM_BINARY=$(bench_vm_binary "$build")
json=${1:-$build/bench/bench-dbus.json}
guests=${HVD_GUEST_DIR:-$build/tests/guests}
[ -f "$guests/spin.elf" ] || { echo "no $guests/spin.elf: run make first" >&2; exit 1; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
        { echo "bench-dbus: /dev/kvm is not usable here: the VMs cannot run, nothing measured" >&2; exit 1; }
source "$src/tests/lib-dbus.sh"
t_start_bus
t_start_hvd
st=0
"$build/bench/bench-dbus" "$guests" "$json" || st=$?
if [ -x "$build/cli/vmctl" ]; then
        for i in $(seq 1 20); do # the same 20 VMs bench-dbus listed
                busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager DefineVM s \
                        "{\"name\": \"list$i\", \"memory_mib\": 16, \"boot\": {\"kernel\": \"$guests/spin.elf\"}}" >/dev/null
        done
        "$build/cli/vmctl" --user list >/dev/null # warm up (libtool wrapper, page cache)
        python3 - "$build/cli/vmctl" <<'PY'
import subprocess, sys, time
def wall(argv):
    ts = []
    for _ in range(200):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[100], ts[197]
p50, p99 = wall([sys.argv[1], "--user", "list"])
b50, b99 = wall(["/bin/true"])
print(f"{'vmctl --user list, wall (20 VMs)':44s} {p50:8.2f} ms {p99:8.2f} ms  < 3 ms")
print(f"{'  of which spawning a process (/bin/true)':44s} {b50:8.2f} ms {b99:8.2f} ms")
PY
fi
echo "JSON: $json"
t_stop_hvd TERM || true
exit $st
