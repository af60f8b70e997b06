#!/usr/bin/env bash
# The main job: builds hvd, starts a private D-Bus bus and `hvd --user` on it, defines the
# sample VM of examples/demo.json (hvd's demo guest, a PVH ELF built from source, so it runs
# on any KVM host), starts it, shows its serial console live, pauses, resumes and stops it
# with vmctl, then cleans up. Set HVD_BUILD_DIR to build elsewhere than build/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HVD_BUILD_DIR:-$top/build}/demo
"$top/scripts/deps.sh"

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

say "building hvd into $build"
(cd "$top" && autoreconf -fi >/dev/null 2>&1)
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
  (cd "$build" && "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var >/dev/null)
fi
make -C "$build" -j"$(nproc)" >/dev/null

hvd="$build/daemon/hvd" vmctl="$build/cli/vmctl"
work=$(mktemp -d /tmp/hvd-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say "host check"
"$hvd" --plugin-dir "$build/plugins" --check-host | sed 's/^/   /'

say "starting a private D-Bus bus and hvd --user on it"
cat >"$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$work</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$work/bus.conf" --nofork --print-address=1 >"$work/bus.addr" 2>"$work/bus.log" &
pids+=($!)
for _ in $(seq 200); do [ -s "$work/bus.addr" ] && break; sleep 0.02; done
export DBUS_SESSION_BUS_ADDRESS; DBUS_SESSION_BUS_ADDRESS=$(head -1 "$work/bus.addr")
mkdir -p "$work/state" "$work/run" && chmod 700 "$work/run"
XDG_STATE_HOME="$work/state" XDG_RUNTIME_DIR="$work/run" XDG_CONFIG_HOME="$work/config" \
  "$hvd" --user --plugin-dir "$build/plugins" >"$work/hvd.log" 2>&1 &
pids+=($!)
for _ in $(seq 500); do "$vmctl" --user host >/dev/null 2>&1 && break; sleep 0.02; done
"$vmctl" --user host | sed 's/^/   /'

# The sample definition names the guest by a placeholder; the demo guest paces its ticks by the
# TSC, whose rate it reads from its command line (tsc_khz=).
tsc_khz=$(awk -F: '/^cpu MHz/ {printf "%d", $2 * 1000; exit}' /proc/cpuinfo)
sed -e "s#@GUEST_DIR@#$build/tests/guests#" -e "s#\"cmdline\": \"#\"cmdline\": \"tsc_khz=${tsc_khz:-0} #" \
  "$top/examples/demo.json" >"$work/demo.json"
say "vmctl define $work/demo.json"
"$vmctl" --user define "$work/demo.json"
"$vmctl" --user list

say "vmctl start demo; its console, live, for 3 seconds"
"$vmctl" --user start demo
"$vmctl" --user console --timeout 3 demo </dev/null | sed 's/^/   | /' || true
say "vmctl console --log demo: the bounded log hvd keeps, from the first byte on"
"$vmctl" --user console --log demo | head -5 | sed 's/^/   | /'

say "vmctl pause demo"
"$vmctl" --user pause demo
"$vmctl" --user status demo | sed 's/^/   /'
before=$("$vmctl" --user console --log demo | wc -c)
sleep 1
after=$("$vmctl" --user console --log demo | wc -c)
echo "   console bytes while paused: $before -> $after (the guest does not run)"

say "vmctl resume demo; console for 2 more seconds"
"$vmctl" --user resume demo
"$vmctl" --user console --timeout 2 demo </dev/null | sed 's/^/   | /' || true

say "vmctl stop demo; vmctl undefine demo"
"$vmctl" --user stop demo
"$vmctl" --user list
"$vmctl" --user undefine demo

say "done"
cat <<SUMMARY
   built hvd, vmctl, libhvcore and the x86-svm/x86-vmx plugins in $build
   ran hvd --user on a private D-Bus bus; vmctl talked to it over org.hvd1
   defined, started, watched, paused, resumed, stopped and undefined the VM "demo"
   (hvd's demo guest: a PVH ELF built from tests/guests/demo.c, 1 vCPU, 64 MiB)
   stopped hvd and the bus and removed their temporary directory
SUMMARY
