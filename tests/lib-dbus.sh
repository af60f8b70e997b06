# Helpers for hvd's integration tests (sourced by bash): a private dbus-daemon, hvd --user on
# it with temp directories, busctl wrappers, assertions, and cleanup on every exit path.
set -u

: "${HVD_TOP_BUILDDIR:?run through make check}"
: "${HVD_TOP_SRCDIR:?run through make check}"
HVD_BIN=${HVD_BIN:-$HVD_TOP_BUILDDIR/daemon/hvd}
DBUS_DAEMON=${DBUS_DAEMON:-$(command -v dbus-daemon || true)}
T_PASSED=0
T_FAILED=0
T_PIDS=()

T_DIR=$(mktemp -d /tmp/hvd-test.XXXXXX)
chmod 755 "$T_DIR" # the unprivileged-caller test connects as nobody

t_cleanup() {
        local pid
        for pid in "${T_PIDS[@]}"; do
                kill -9 "$pid" 2>/dev/null || true
        done
        for pid in "${T_PIDS[@]}"; do
                wait "$pid" 2>/dev/null || true
        done
        # VM processes outlive hvd by design: end this test's own (their sockets are in $T_DIR)
        pkill -KILL -f -- "--socket=$T_DIR/" 2>/dev/null || true
        rm -rf "$T_DIR"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_pass() { T_PASSED=$((T_PASSED + 1)); echo "PASS: $*"; }
t_fail() { T_FAILED=$((T_FAILED + 1)); echo "FAIL: $*" >&2; }
t_check() { # description, command...
        local d=$1
        shift
        if "$@"; then t_pass "$d"; else t_fail "$d"; fi
}
t_done() {
        # a sanitizer build reports to hvd's stderr: any report fails the test
        if [ -f "$T_DIR/hvd.log" ] && grep -Eq 'Sanitizer|runtime error:' "$T_DIR/hvd.log"; then
                t_fail "hvd's log has a sanitizer report"
        fi
        if [ "$T_FAILED" -ne 0 ] && [ -f "$T_DIR/hvd.log" ]; then
                echo "--- hvd's log (last 60 lines) ---"
                tail -60 "$T_DIR/hvd.log"
        fi
        echo "$T_PASSED passed, $T_FAILED failed"
        [ "$T_FAILED" -eq 0 ]
}
t_skip() { echo "SKIP: $*"; exit 77; }

# Starts a private session-type bus that lets any local user connect (the access test needs
# a second uid) and exports DBUS_SESSION_BUS_ADDRESS. $T_BUS_EXTRA goes into its config.
t_start_bus() {
        [ -x "$DBUS_DAEMON" ] || { echo "dbus-daemon not found" >&2; exit 99; }
        mkdir -p "$T_DIR/bus"
        chmod 755 "$T_DIR/bus"
        cat >"$T_DIR/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$T_DIR/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  ${T_BUS_EXTRA:-}
</busconfig>
CONF
        "$DBUS_DAEMON" --config-file="$T_DIR/bus.conf" --nofork --print-address=1 >"$T_DIR/bus.addr" 2>"$T_DIR/bus.log" &
        T_PIDS+=($!)
        for _ in $(seq 1 1000); do # 20 s: a loaded CI machine is slow to start anything
                [ -s "$T_DIR/bus.addr" ] && break
                sleep 0.02
        done
        DBUS_SESSION_BUS_ADDRESS=$(head -1 "$T_DIR/bus.addr")
        [ -n "$DBUS_SESSION_BUS_ADDRESS" ] || { echo "dbus-daemon did not start" >&2; cat "$T_DIR/bus.log" >&2; exit 99; }
        export DBUS_SESSION_BUS_ADDRESS
        chmod 777 "$T_DIR/bus"/* 2>/dev/null || true
}

T_STATE=$T_DIR/state
T_RUN=$T_DIR/run
HVD_PID=

# Starts hvd --user (extra args passed on) and waits until it owns org.hvd1.
t_start_hvd() {
        XDG_STATE_HOME=$T_STATE XDG_RUNTIME_DIR=$T_RUN XDG_CONFIG_HOME=$T_DIR/config \
                "$HVD_BIN" --user "$@" >>"$T_DIR/hvd.log" 2>&1 &
        HVD_PID=$!
        T_PIDS+=($HVD_PID)
        for _ in $(seq 1 2000); do
                if busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                        NameHasOwner s org.hvd1 2>/dev/null | grep -q true; then
                        return 0
                fi
                kill -0 "$HVD_PID" 2>/dev/null || break
                sleep 0.01
        done
        echo "hvd did not come up; its log:" >&2
        cat "$T_DIR/hvd.log" >&2
        return 1
}

# Stops hvd with a signal (default TERM) and waits; returns its exit status.
t_stop_hvd() {
        local sig=${1:-TERM} st=0
        kill -"$sig" "$HVD_PID" 2>/dev/null || true
        wait "$HVD_PID" || st=$?
        HVD_PID=
        return $st
}

hvd_alive() { [ -n "$HVD_PID" ] && kill -0 "$HVD_PID" 2>/dev/null; }

# busctl against hvd: t_call PATH INTERFACE METHOD [SIGNATURE ARGS...]
t_call() { busctl --user call org.hvd1 "$@"; }
t_mcall() { busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager "$@"; }
t_get() { busctl --user get-property org.hvd1 "$@"; }
t_vm_path() { echo "/org/hvd1/vm/$(printf '%s' "$1" | python3 -c 'import sys
s=sys.stdin.read()
print("".join(c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in s) if s else "_")')"; }

# dbus-send prints D-Bus error names ("Error org.hvd1.Error.X: message"), busctl only messages.
# t_send PATH INTERFACE.METHOD [type:value...]
t_send() {
        local path=$1 method=$2
        shift 2
        dbus-send --session --print-reply --dest=org.hvd1 "$path" "$method" "$@"
}
t_define() { t_send /org/hvd1 org.hvd1.Manager.DefineVM "string:$1"; }

# t_expect_error ERRNAME [MESSAGE-SUBSTRING] -- command... : fails, naming the error (and message)
t_expect_error() {
        local want=$1 sub= out
        shift
        if [ "$1" != -- ]; then sub=$1; shift; fi
        shift
        if out=$("$@" 2>&1); then
                echo "expected $want, but the call succeeded: $out" >&2
                return 1
        fi
        if ! grep -qF -- "Error $want" <<<"$out"; then
                echo "expected $want, got: $out" >&2
                return 1
        fi
        if [ -n "$sub" ] && ! grep -qF -- "$sub" <<<"$out"; then
                echo "expected a message with '$sub', got: $out" >&2
                return 1
        fi
        return 0
}
