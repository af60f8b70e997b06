#!/usr/bin/env bash
# Runs bench-dbus against hvd --user on a private dbus-daemon (as the tests do), and times
# `vmctl list` when vmctl is built. Usage, from the build tree (or with HVD_BUILD_DIR):
#   $srcdir/bench/bench-dbus.sh [--baseline BUILD_DIR] [--calls N] [--rounds N] [--list-runs N] [JSON-OUT]
#     JSON-OUT      default bench/bench-dbus.json
#     --baseline    also measure the hvd of BUILD_DIR (default $HVD_BASELINE_BUILD), a build of
#                   the in-process model (bench/bench-baseline.sh makes one), in the same run,
#                   and print both columns; its figures go into JSON-OUT under "baseline"
#     --calls       D-Bus round trips per figure (default 5000)
#     --rounds      hvd restarts for the re-adoption figure (default 5)
#     --list-runs   `vmctl list` runs (default 200)
# Each build runs on a bus, hvd and directories of its own, one after the other. The bench-dbus
# client and the guests are this build's for both, so only the daemon differs; hvd and hvd-vm
# run without libtool's wrapper scripts (bench/bench-lib.sh).
set -euo pipefail
build=$(cd "${HVD_BUILD_DIR:-.}" && pwd)
[ -x "$build/bench/bench-dbus" ] || { echo "run from the build tree (make first), or set HVD_BUILD_DIR" >&2; exit 1; }
src=$(sed -n 's/^abs_top_srcdir = //p' "$build/Makefile")
baseline=${HVD_BASELINE_BUILD:-} calls=5000 rounds=5 list_runs=200 json=$build/bench/bench-dbus.json
while [ $# -gt 0 ]; do
        case $1 in
        --baseline) baseline=$2; shift 2 ;;
        --calls) calls=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --list-runs) list_runs=$2; shift 2 ;;
        -*) sed -n '3,11p' "$0" >&2; exit 2 ;;
        *) json=$1; shift ;;
        esac
done
guests=${HVD_GUEST_DIR:-$build/tests/guests}
[ -f "$guests/spin.elf" ] || { echo "no $guests/spin.elf: run make first" >&2; exit 1; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
        { echo "bench-dbus: /dev/kvm is not usable here: the VMs cannot run, nothing measured" >&2; exit 1; }
if [ -n "$baseline" ]; then
        baseline=$(cd "$baseline" && pwd)
        [ -x "$baseline/daemon/hvd" ] || { echo "no $baseline/daemon/hvd: not a baseline build tree" >&2; exit 1; }
fi

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
if [ -n "$baseline" ]; then
        base_json=${json%.json}-baseline.json
        measure "$baseline" "$base_json" || st=$?
        # both columns, and the baseline's figures inside JSON-OUT
        python3 - "$json" "$base_json" "$baseline" <<'PY'
import json, sys
path, base_path, base_build = sys.argv[1:4]
new, old = json.load(open(path)), json.load(open(base_path))
def get(d, key):
    for k in key.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return d
rows = [
    ("D-Bus ListVMs round trip, p50 (µs)", "listvms_us.p50"),
    ("D-Bus ListVMs round trip, p99 (µs)", "listvms_us.p99"),
    ("D-Bus property read VM.State, p50 (µs)", "get_property_us.p50"),
    ("D-Bus property read VM.State, p99 (µs)", "get_property_us.p99"),
    ("Start -> State=running, p50 (µs)", "start_to_running_us.p50"),
    ("Start -> first console byte, p50 (µs)", "start_to_first_byte_us.p50"),
    ("Start -> first console byte, max (µs)", "start_to_first_byte_us.max"),
    ("memory per running VM, PSS (KiB)", "pss_per_vm_kib"),
    ("  hvd RSS growth per running VM (KiB)", "rss_per_vm_beyond_guest_kib"),
    ("guest RAM resident per VM (KiB)", "guest_ram_resident_per_vm_kib"),
    ("hvd SIGKILL+restart -> owns org.hvd1, p50 (ms)", "readopt.to_name_ms_p50"),
    ("  -> lists all 20 running, p50 (ms)", "readopt.to_all_running_ms_p50"),
    ("  VMs running after the restart", "readopt.running_after"),
    ("  CPU time the restarted hvd used, p50 (ms)", "readopt.cpu_ms_p50"),
]
def cell(v):
    return "-" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)
print(f"\n{'measure':48s} {'hvd-vm':>12s} {'in-process':>12s} {'difference':>12s}")
for label, key in rows:
    a, b = get(new, key), get(old, key)
    d = f"{a - b:+.1f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else ""
    print(f"{label:48s} {cell(a):>12s} {cell(b):>12s} {d:>12s}")
old["build"] = base_build
new["baseline"] = old
json.dump(new, open(path, "w"), indent=1)
PY
        rm -f "$base_json"
fi
echo "JSON: $json"
exit $st
