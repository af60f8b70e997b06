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
trap "exit 130" INT TERM HUP
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
finish() {
        [ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
        exit 0
}

# Starts a private session dbus-daemon and exports DBUS_SESSION_BUS_ADDRESS ($bus_extra goes
# into its configuration).
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
  ${bus_extra:-}
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

# fake_start [ARGS]: a private bus with the fake hvd on it (tests/test-vmctl-fakehvd); its pid
# in $fake_pid. fake_restart [ARGS]: a new fake on the same bus.
fake_start() {
        bus_start
        fake_restart "$@"
}
fake_restart() {
        if [ -n "${fake_pid:-}" ]; then
                kill "$fake_pid"
                wait "$fake_pid" 2>/dev/null || true
        fi
        "$FAKEHVD" "$@" 2>>"$tmp/fakehvd.log" &
        fake_pid=$!
        pids="$pids $fake_pid"
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

# pty_check NAME MODE SEND EXPECT: runs vmctl --user console NAME on a new pseudo-terminal,
# checks raw mode while attached, that SEND (then \r) comes back as EXPECT, then ends it with
# Ctrl-] (MODE detach, after typing "before^]after") or SIGTERM (MODE sigterm) and checks the
# exit status and that the terminal's settings are restored. Prints ok:/FAIL: lines.
pty_check() {
        python3 - "$VMCTL" "$@" <<'PY'
import os, pty, signal, sys, termios, time, select, tty
vmctl, name, mode, send, expect = sys.argv[1:6]
master, slave = pty.openpty()
orig = termios.tcgetattr(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    import fcntl
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(vmctl, [vmctl, "--user", "console", name])
seen = b""
def read_until(token, secs=10):
    global seen
    end = time.time() + secs
    while token not in seen and time.time() < end:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    return token in seen
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    return cond
ok = check(read_until(b"escape character is ^]"), "banner: " + repr(seen))
end = time.time() + 10
while time.time() < end and termios.tcgetattr(slave)[3] & termios.ICANON:
    time.sleep(0.02)
attrs = termios.tcgetattr(slave)
ok &= check(not attrs[3] & (termios.ICANON | termios.ECHO | termios.ISIG), "raw mode while attached")
seen = b""  # only what comes after the keys counts
os.write(master, send.encode() + b"\r")
ok &= check(read_until(expect.encode()), "keys reach the guest, its answer the terminal")
if mode == "detach":
    os.write(master, b"before\x1dafter")
    _, status = os.waitpid(pid, 0)
    ok &= check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "Ctrl-] detaches with exit 0: %r" % status)
else:
    os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    ok &= check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signal.SIGTERM,
                "SIGTERM: exit 143: %r" % status)
ok &= check(termios.tcgetattr(slave) == orig, mode + ": terminal restored")
sys.exit(0 if ok else 1)
PY
}
