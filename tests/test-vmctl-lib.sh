# Sourced by tests/test-vmctl-*.sh: where vmctl is, a private dbus-daemon, and assertions.
# Every process started here is killed on exit.
set -eu
VMCTL=${HVD_TOP_BUILDDIR:?run me from make check}/cli/vmctl
HVD=$HVD_TOP_BUILDDIR/daemon/hvd
V="$VMCTL --user"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-vmctl.XXXXXX")
pids=""
cleanup() {
        local p
        for p in $pids; do kill "$p" 2>/dev/null || true; done
        for p in $pids; do wait "$p" 2>/dev/null || true; done
        # VM processes outlive hvd by design: end this test's own (their sockets are in $tmp)
        pkill -KILL -f -- "--socket=$tmp/" 2>/dev/null || true
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
        # the background shell truncates the file only when it gets to run: a second bus must
        # not read the first one's address meanwhile
        rm -f "$tmp/bus.address"
        "$daemon" --config-file="$tmp/bus.conf" --nofork --nosyslog --print-address=3 \
                3>"$tmp/bus.address" 2>"$tmp/bus.log" &
        pids="$pids $!"
        for i in $(seq 400); do # 20 s at most: a loaded machine starts it slowly
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

# hvd_start [CONF]: a private bus (once) with the real hvd --user on it, its XDG directories
# under $tmp (state in $tmp/state/hvd) and CONF (text, optional) as its hvd.conf; pid in
# $hvd_pid. Needs a usable /dev/kvm (else the test is skipped) and the echo test guest in $G.
# hvd_spawn [CONF]: the same without waiting for hvd to answer.
hvd_start() {
        hvd_spawn "$@"
        hvd_wait
}
hvd_spawn() {
        [ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "SKIP: /dev/kvm is not usable here"; exit 77; }
        [ -x "$HVD" ] || { echo "no $HVD: run make first" >&2; exit 99; }
        G=${HVD_GUEST_DIR:?run me from make check}
        [ -f "$G/echo.elf" ] || { echo "no $G/echo.elf" >&2; exit 99; }
        [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -s "$tmp/bus.address" ] || bus_start
        mkdir -p "$tmp/state" "$tmp/run" "$tmp/config/hvd"
        chmod 700 "$tmp/run"
        printf '%s\n' "${1:-}" > "$tmp/config/hvd/hvd.conf"
        # detect_leaks=0: under ASan, LeakSanitizer's exit-time stop of every thread hangs on
        # the kernel's kvm-nx-lpage-recovery thread once a VM ran (hvd never exits)
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        XDG_STATE_HOME=$tmp/state XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config \
                "$HVD" --user >>"$tmp/hvd.log" 2>&1 &
        hvd_pid=$!
        pids="$pids $hvd_pid"
}
# hvd_kill: ends hvd (SIGTERM) and waits for it, 10 s at most (then SIGKILL, and a failure).
hvd_kill() {
        local i=0
        kill "$hvd_pid" 2>/dev/null || true
        while kill -0 "$hvd_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$hvd_pid" 2>/dev/null; then
                fail "hvd did not exit within 10 s of SIGTERM: $(tail -3 "$tmp/hvd.log")"
                kill -9 "$hvd_pid" 2>/dev/null || true
        fi
        wait "$hvd_pid" 2>/dev/null || true
}

# def NAME [EXTRA]: a definition booting the echo guest, in $tmp/NAME.json (EXTRA: more
# top-level JSON members, with a leading comma).
def() {
        printf '{"name": "%s", "vcpus": 1, "memory_mib": 32, "boot": {"kernel": "%s"}%s}\n' \
                "$1" "$G/echo.elf" "${2:-}" > "$tmp/$1.json"
}

# state NAME: the VM's state from status --json; state_is NAME STATE WHAT: asserts it;
# wait_state NAME STATE: waits up to 10 s for it.
state() { $V --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["State"])'; }
state_is() {
        s=$(state "$1" 2>&1) || true
        [ "$s" = "$2" ] && pass "$3: $1 is $2" || fail "$3: $1 is '$s', expected $2"
}
wait_state() {
        local i=0
        while [ $i -lt 200 ]; do
                [ "$(state "$1" 2>/dev/null)" = "$2" ] && return 0
                sleep 0.05
                i=$((i + 1))
        done
        return 1
}
# log_has NAME TEXT: the VM's console log holds TEXT within 10 s.
log_has() {
        local i=0
        while [ $i -lt 200 ]; do
                $V console --log "$1" 2>/dev/null | grep -qF -- "$2" && return 0
                sleep 0.05
                i=$((i + 1))
        done
        return 1
}
# watch PID WHAT [CODE]: PID must end by itself within 10 s with status CODE (default 0);
# else it is killed and the check fails.
watch() {
        local i=0
        while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$1" 2>/dev/null; then
                kill -9 "$1"; wait "$1" 2>/dev/null; fail "$2: still running after 10 s"
                return
        fi
        wrc=0; wait "$1" || wrc=$?
        [ $wrc -eq ${3:-0} ] && pass "$2 (exit $wrc)" || fail "$2: exit $wrc, expected ${3:-0}"
}

# out_has / err_has TEXT WHAT: the last run's stdout / stderr contains TEXT (out_lacks,
# err_lacks: does not).
out_lacks() { grep -qF -- "$1" "$tmp/out" && fail "$2: stdout has '$1'" || pass "$2"; }
out_has() { grep -qF -- "$1" "$tmp/out" && pass "$2" || fail "$2: stdout lacks '$1': $(cat "$tmp/out")"; }
err_has() { grep -qF -- "$1" "$tmp/err" && pass "$2" || fail "$2: stderr lacks '$1': $(cat "$tmp/err")"; }
err_lacks() { grep -qF -- "$1" "$tmp/err" && fail "$2: stderr has '$1'" || pass "$2"; }
# no_control FILE WHAT: FILE holds no control character but \n and \t (vmctl escapes them).
no_control() {
        if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$1"; then
                fail "$2: raw control characters in $(od -c "$1" | head -5)"
        else
                pass "$2"
        fi
}

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
