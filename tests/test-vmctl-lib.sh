# Sourced by tests/test-vmctl-*.sh: where vmctl is, a private dbus-daemon, and assertions.
# Every process started here is killed on exit.
set -eu
VMCTL=${HVD_TOP_BUILDDIR:?run me from make check}/cli/vmctl
FAKEHVD=$HVD_TOP_BUILDDIR/tests/test-vmctl-fakehvd
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-vmctl.XXXXXX")
pids=""
cleanup() {
        local p
        for p in $pids; do kill "$p" 2>/dev/null || true; done
        for p in $pids; do wait "$p" 2>/dev/null || true; done
        rm -rf "$tmp"
}
trap cleanup EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
finish() {
        [ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
        exit 0
}

# Starts a private session dbus-daemon and exports DBUS_SESSION_BUS_ADDRESS.
bus_start() {
        local daemon=${DBUS_DAEMON:-} i
        [ -n "$daemon" ] || daemon=$(command -v dbus-daemon || true)
        [ -n "$daemon" ] || { echo "dbus-daemon not found (install dbus-daemon)" >&2; exit 99; }
        cat > "$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
        "$daemon" --config-file="$tmp/bus.conf" --nofork --nosyslog --print-address=3 \
                3>"$tmp/bus.address" 2>"$tmp/bus.log" &
        pids="$pids $!"
        for i in $(seq 100); do
                [ -s "$tmp/bus.address" ] && break
                sleep 0.05
        done
        DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$tmp/bus.address")
        [ -n "$DBUS_SESSION_BUS_ADDRESS" ] || { echo "dbus-daemon did not start" >&2; cat "$tmp/bus.log" >&2; exit 99; }
        export DBUS_SESSION_BUS_ADDRESS
}

# Waits until org.hvd1 answers on the session bus (vmctl host exits 0).
hvd_wait() {
        local i
        for i in $(seq 200); do
                "$VMCTL" --user host >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        echo "org.hvd1 did not appear on the bus" >&2
        exit 99
}

# run CMD...: runs it, with stdout in $tmp/out, stderr in $tmp/err and the status in $rc;
# stdin is $input (default /dev/null).
run() {
        rc=0
        "$@" >"$tmp/out" 2>"$tmp/err" <"${input:-/dev/null}" || rc=$?
}

# expect CODE WHAT CMD...: runs CMD, checks its exit status.
expect() {
        local code=$1 what=$2
        shift 2
        run "$@"
        if [ "$rc" -eq "$code" ]; then
                pass "$what (exit $code)"
        else
                fail "$what: exit $rc, expected $code; stderr: $(cat "$tmp/err")"
        fi
}

# expect_in FILE CODE WHAT CMD...: expect with stdin from FILE.
expect_in() {
        input=$1
        shift
        expect "$@"
        input=
}

# fake_start: a private bus with the fake hvd on it (tests/test-vmctl-fakehvd).
fake_start() {
        bus_start
        "$FAKEHVD" 2>"$tmp/fakehvd.log" &
        pids="$pids $!"
        hvd_wait
}

# out_has / err_has TEXT WHAT: the last run's stdout / stderr contains TEXT.
out_lacks() { grep -qF -- "$1" "$tmp/out" && fail "$2: stdout has '$1'" || pass "$2"; }
out_has() { grep -qF -- "$1" "$tmp/out" && pass "$2" || fail "$2: stdout lacks '$1': $(cat "$tmp/out")"; }
err_has() { grep -qF -- "$1" "$tmp/err" && pass "$2" || fail "$2: stderr lacks '$1': $(cat "$tmp/err")"; }

# json EXPR WHAT: evaluates a Python expression on the last run's stdout parsed as JSON (j).
json() {
        if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
                "$tmp/out" "$1" 2>"$tmp/json.err"; then
                pass "$2"
        else
                fail "$2: '$1' is false for: $(cat "$tmp/out") $(cat "$tmp/json.err")"
        fi
}
