#!/usr/bin/env bash
# bench-vmctl: wall time of `vmctl list` (process start to exit, as a user or script sees it),
# and of `vmctl start` to the first byte the guest prints, seen through `vmctl console`,
# against hvd --user on a private bus, N VMs defined; prints a table and JSON.
#
#   bench/bench-vmctl.sh [-n RUNS] [-m VMS] [--baseline BUILD_DIR] [--json FILE]
#
# --baseline BUILD_DIR (default $HVD_BASELINE_BUILD): measure BUILD_DIR's hvd and vmctl too, a
# build of the in-process model (bench/bench-baseline.sh makes one), in the same run, one after
# the other, each on a bus and directories of its own; the tables get a column for each, the
# JSON a "baseline" object. The guest is this build's for both.
#
# Runs from a build directory (or set HVD_TOP_BUILDDIR) after make: needs daemon/hvd,
# tests/guests/echo.elf and /dev/kvm. Targets (p50): list under 3 ms, start to the first guest
# byte under 10 ms and no more than 2 ms above the in-process hvd.
set -euo pipefail
runs=200 nvms=10 json_out="" baseline=${HVD_BASELINE_BUILD:-}
while [ $# -gt 0 ]; do
        case $1 in
        -n) runs=$2; shift 2 ;;
        -m) nvms=$2; shift 2 ;;
        --baseline) baseline=$2; shift 2 ;;
        --json) json_out=$2; shift 2 ;;
        *) echo "usage: $0 [-n RUNS] [-m VMS] [--baseline BUILD_DIR] [--json FILE]" >&2; exit 2 ;;
        esac
done
build=${HVD_TOP_BUILDDIR:-$PWD}
[ -z "$baseline" ] || baseline=$(cd "$baseline" && pwd)
guest=$build/tests/guests/echo.elf
for b in "$build" ${baseline:+"$baseline"}; do
        for f in "$b/cli/vmctl" "$b/daemon/hvd"; do
                [ -x "$f" ] || { echo "no $f: run from the build directory after make" >&2; exit 1; }
        done
done
[ -f "$guest" ] || { echo "no $guest: run make first" >&2; exit 1; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
        { echo "bench-vmctl: /dev/kvm is not usable here: the VMs cannot run, nothing measured" >&2; exit 1; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "bash >= 5 needed (EPOCHREALTIME)" >&2; exit 1; }

source "$(dirname "$0")/bench-lib.sh"
top=$(mktemp -d "${TMPDIR:-/tmp}/bench-vmctl.XXXXXX")
trap 'rm -rf "$top"' EXIT
trap "exit 130" INT TERM HUP

# measure BUILD OUT: BUILD's hvd and vmctl; each figure's times (µs, sorted) in OUT/NAME.us
measure() (
        build=$1 out=$2
        vmctl=$build/cli/vmctl
        tmp=$out/t
        mkdir -p "$tmp"
        pids=()
        cleanup() {
                local p
                for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
                for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
                # VM processes outlive hvd by design: end this run's own (their sockets are in $tmp)
                pkill -KILL -f -- "--socket=$tmp/" 2>/dev/null || true
                rm -rf "$tmp"
        }
        trap cleanup EXIT

        cat > "$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <policy context="default">
    <allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/>
  </policy>
</busconfig>
CONF
        "${DBUS_DAEMON:-dbus-daemon}" --config-file="$tmp/bus.conf" --nofork --nosyslog --print-address=3 \
                3>"$tmp/bus.address" 2>/dev/null &
        pids+=($!)
        for _ in $(seq 100); do [ -s "$tmp/bus.address" ] && break; sleep 0.05; done
        export DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$tmp/bus.address")

        export XDG_STATE_HOME=$tmp/state XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config
        mkdir -p "$XDG_STATE_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
        chmod 700 "$XDG_RUNTIME_DIR"
        # without libtool's wrapper scripts (bench-lib.sh); an in-process hvd ignores HVD_VM_BINARY
        bench_unwrap hvd "$build/daemon/hvd"
        HVD_VM_BINARY=$(bench_vm_binary "$build") "$hvd" --user --plugin-dir "$build/plugins" 2>"$tmp/hvd.log" &
        pids+=($!)
        for _ in $(seq 200); do "$vmctl" --user host >/dev/null 2>&1 && break; sleep 0.05; done
        "$vmctl" --user host >/dev/null || { echo "org.hvd1 did not come up" >&2; cat "$tmp"/*.log >&2; exit 1; }

        # N VMs: a definition in the shape of hvd-vm.json(5), booting the echo guest.
        for i in $(seq "$nvms"); do
                printf '{"name": "bench-%d", "vcpus": 1, "memory_mib": 16, "boot": {"kernel": "%s"}}\n' "$i" "$guest" \
                        > "$tmp/vm.json"
                "$vmctl" --user define "$tmp/vm.json" >/dev/null
        done

        # Warm up (page cache, the bus), then time each run with bash's clock: no extra process.
        # Two baselines run the same way: /bin/true (the cost of spawning any process on this
        # machine right now) and vmctl --version (vmctl's own start-up, without the bus).
        for _ in $(seq 10); do "$vmctl" --user list >/dev/null; done
        timed() { # NAME CMD...: $runs timings of CMD in µs, sorted, into $out/NAME.us
                local name=$1 t0 t1
                shift
                : > "$tmp/$name.times"
                for _ in $(seq "$runs"); do
                        t0=$EPOCHREALTIME
                        "$@" >/dev/null
                        t1=$EPOCHREALTIME
                        echo "$t0 $t1" >> "$tmp/$name.times"
                done
                awk '{ printf "%.1f\n", ($2 - $1) * 1e6 }' "$tmp/$name.times" | sort -n > "$out/$name.us"
        }
        timed list "$vmctl" --user list
        timed true /bin/true
        timed version "$vmctl" --version
        "$vmctl" --user list | tail -n +2 | wc -l > "$out/listed"

        # vmctl start -> first guest byte: a console attached to the shut-off echo VM (hvd lets
        # one attach before Start) writes into a FIFO; the clock runs from launching `vmctl start`
        # to the first byte read from the FIFO, i.e. through hvd, the guest's UART and vmctl console.
        start_runs=$(( runs < 30 ? runs : 30 ))
        printf '{"name": "bench-start", "vcpus": 1, "memory_mib": 16, "boot": {"kernel": "%s"}}\n' "$guest" \
                > "$tmp/start.json"
        "$vmctl" --user define "$tmp/start.json" >/dev/null
        : > "$tmp/start.times" && : > "$tmp/startcmd.times"
        for i in $(seq "$start_runs"); do
                mkfifo "$tmp/con.$i"
                "$vmctl" --user console --timeout 10 bench-start </dev/null >"$tmp/con.$i" 2>/dev/null &
                cpid=$!
                exec 8<"$tmp/con.$i"
                sleep 0.2 # let the console attach
                t0=$EPOCHREALTIME
                "$vmctl" --user start bench-start
                t1=$EPOCHREALTIME
                if read -r -N 1 -t 5 -u 8 _; then
                        t2=$EPOCHREALTIME
                        echo "$t0 $t2" >> "$tmp/start.times"
                        echo "$t0 $t1" >> "$tmp/startcmd.times"
                fi
                "$vmctl" --user stop bench-start
                kill "$cpid" 2>/dev/null || true
                wait "$cpid" 2>/dev/null || true
                exec 8<&-
                rm -f "$tmp/con.$i"
        done
        for name in start startcmd; do
                awk '{ printf "%.1f\n", ($2 - $1) * 1e6 }' "$tmp/$name.times" | sort -n > "$out/$name.us"
        done
        [ -s "$out/start.us" ] || echo "no first byte came through the console" >&2
)

pct() { awk -v p="$3" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; print v[i] }' "$1/$2.us"; }
mean() { awk '{ s += $1 } END { printf "%.1f", s / NR }' "$1/$2.us"; }
ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }
# the figures, as name:label (a figure not measured has no NAME.us, or an empty one)
rows=("list:vmctl --user list" "version:vmctl --version" "true:/bin/true" "startcmd:vmctl start returns"
        "start:first guest byte")

# report OUT TITLE: the table of one build; its JSON rows in $json_rows
report() {
        local out=$1 row name label
        printf '\n%s: vmctl list %d runs each, %d VMs listed, load average: %s\n' \
                "$2" "$runs" "$(cat "$out/listed")" "$(cut -d' ' -f1-3 /proc/loadavg)"
        printf '%-22s %9s %9s %9s %9s %9s\n' "wall time (ms)" min p50 p90 p99 mean
        json_rows=""
        for row in "${rows[@]}"; do
                name=${row%%:*} label=${row#*:}
                [ -s "$out/$name.us" ] || continue
                printf '%-22s %9s %9s %9s %9s %9s\n' "$label" "$(ms "$(pct "$out" "$name" 0)")" \
                        "$(ms "$(pct "$out" "$name" 50)")" "$(ms "$(pct "$out" "$name" 90)")" \
                        "$(ms "$(pct "$out" "$name" 99)")" "$(ms "$(mean "$out" "$name")")"
                json_rows="$json_rows${json_rows:+, }\"$name\": {\"min\": $(pct "$out" "$name" 0), \"p50\": $(pct "$out" "$name" 50), \"p90\": $(pct "$out" "$name" 90), \"p99\": $(pct "$out" "$name" 99), \"mean\": $(mean "$out" "$name")}"
        done
        [ -s "$out/start.us" ] ||
                printf 'vmctl start -> first byte: not measured (no byte came through)\n'
}

measure "$build" "$top/new"
[ -z "$baseline" ] || measure "$baseline" "$top/base"

report "$top/new" "hvd of $build"
new_rows=$json_rows
printf 'target: vmctl list p50 < 3 ms: %s\n' \
        "$(awk -v v="$(pct "$top/new" list 50)" 'BEGIN { print (v < 3000 ? "met" : "NOT met") }')"
[ ! -s "$top/new/start.us" ] || printf 'target: start -> first byte p50 < 10 ms: %s\n' \
        "$(awk -v v="$(pct "$top/new" start 50)" 'BEGIN { print (v < 10000 ? "met" : "NOT met") }')"
base_json=""
if [ -n "$baseline" ]; then
        report "$top/base" "in-process hvd of $baseline"
        base_json=", \"baseline\": {\"build\": \"$baseline\", \"vms\": $(cat "$top/base/listed"), $json_rows}"
        printf '\np50 (ms)               %9s %10s %10s\n' hvd-vm in-process difference
        for row in "${rows[@]}"; do
                name=${row%%:*}
                [ -s "$top/new/$name.us" ] && [ -s "$top/base/$name.us" ] || continue
                a=$(pct "$top/new" "$name" 50) b=$(pct "$top/base" "$name" 50)
                printf '%-22s %9s %10s %10s\n' "${row#*:}" "$(ms "$a")" "$(ms "$b")" \
                        "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.3f", (a - b) / 1000 }')"
        done
        if [ -s "$top/new/start.us" ] && [ -s "$top/base/start.us" ]; then
                printf 'target: start -> first byte p50 no more than 2 ms above in-process: %s\n' \
                        "$(awk -v a="$(pct "$top/new" start 50)" -v b="$(pct "$top/base" start 50)" \
                                'BEGIN { print (a - b <= 2000 ? "met" : "NOT met") }')"
        fi
fi

json="{\"bench\": \"vmctl-list\", \"runs\": $runs, \"vms\": $(cat "$top/new/listed"), \"server\": \"hvd --user\", \"unit\": \"us\", \"loadavg\": \"$(cut -d' ' -f1 /proc/loadavg)\", $new_rows, \"target_p50_us\": 3000, \"target_start_first_byte_p50_us\": 10000$base_json}"
echo "$json"
[ -z "$json_out" ] || echo "$json" > "$json_out"
