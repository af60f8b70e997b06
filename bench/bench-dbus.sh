#!/usr/bin/env bash
# Runs bench-dbus against hvd --user on a private dbus-daemon (as the tests do), and times
# `vmctl list` when vmctl is built. Usage, from the build tree (or with HVD_BUILD_DIR):
#   $srcdir/bench/bench-dbus.sh [--calls N] [--rounds N] [--list-runs N] [JSON-OUT]
#     JSON-OUT      default bench/bench-dbus.json
#     --calls       D-Bus round trips per figure (default 5000)
#     --rounds      hvd restarts for the re-adoption figure (default 5)
#     --list-runs   `vmctl list` runs (default 200)
# hvd runs on a private bus, with directories of its own; hvd and hvd-vm run without libtool's
# wrapper scripts (bench/bench-lib.sh).
set -euo pipefail
build=$(cd "${HVD_BUILD_DIR:-.}" && pwd)
[ -x "$build/bench/bench-dbus" ] || { echo "run from the build tree (make first), or set HVD_BUILD_DIR" >&2; exit 1; }
src=$(sed -n 's/^abs_top_srcdir = //p' "$build/Makefile")
calls=5000 rounds=5 list_runs=200 json=$build/bench/bench-dbus.json
while [ $# -gt 0 ]; do
        case $1 in
        --calls) calls=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --list-runs) list_runs=$2; shift 2 ;;
        -*) sed -n '3,8p' "$0" >&2; exit 2 ;;
        *) json=$1; shift ;;
        esac
done
guests=${HVD_GUEST_DIR:-$build/tests/guests}
[ -f "$guests/spin.elf" ] || { echo "no $guests/spin.elf: run make first" >&2; exit 1; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
        { echo "bench-dbus: /dev/kvm is not usable here: the VMs cannot run, nothing measured" >&2; exit 1; }

# measure BUILD JSON-OUT: this build's bench-dbus against BUILD's hvd, in a subshell: lib-dbus.sh
# cleans up on its exit (dbus-daemon, hvd, and the VM processes whose sockets are in its T_DIR)
measure() (
        source "$src/bench/bench-lib.sh"
        bench_unwrap HVD_BIN "$1/daemon/hvd"
        export HVD_TOP_BUILDDIR=$1 HVD_TOP_SRCDIR=$src HVD_BIN HVD_PLUGIN_DIR=$1/plugins
        export HVD_VM_BINARY=$(bench_vm_binary "$1")
        source "$src/tests/lib-dbus.sh"
        t_start_bus
        st=0
        echo "== hvd of $1 (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
        # bench-dbus runs hvd itself, as t_start_hvd would: it kills and restarts it
        XDG_STATE_HOME=$T_STATE XDG_RUNTIME_DIR=$T_RUN XDG_CONFIG_HOME=$T_DIR/config \
                "$build/bench/bench-dbus" --calls "$calls" --rounds "$rounds" --runtime-dir "$T_RUN" \
                --hvd-log "$T_DIR/hvd.log" -- "$guests" "$2" "$HVD_BIN" --user || st=$?
        [ $st = 0 ] || tail -n 30 "$T_DIR/hvd.log" >&2
        if [ -x "$1/cli/vmctl" ] && [ "$list_runs" -gt 0 ]; then
                t_start_hvd
                for i in $(seq 1 20); do # as many VMs as bench-dbus listed
                        busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager DefineVM s \
                                "{\"name\": \"list$i\", \"memory_mib\": 16, \"boot\": {\"kernel\": \"$guests/spin.elf\"}}" >/dev/null
                done
                "$1/cli/vmctl" --user list >/dev/null # warm up (libtool wrapper, page cache)
                python3 - "$1/cli/vmctl" "$list_runs" <<'PY'
import subprocess, sys, time
runs = int(sys.argv[2])
def wall(argv):
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2], ts[int((len(ts) - 1) * 0.99)]
p50, p99 = wall([sys.argv[1], "--user", "list"])
b50, b99 = wall(["/bin/true"])
print(f"{'vmctl --user list, wall (20 VMs)':48s} {p50:8.2f} ms {p99:8.2f} ms  < 3 ms")
print(f"{'  of which spawning a process (/bin/true)':48s} {b50:8.2f} ms {b99:8.2f} ms")
PY
                t_stop_hvd TERM || true
        fi
        exit $st
)

st=0
measure "$build" "$json" || st=$?
echo "JSON: $json"
exit $st
