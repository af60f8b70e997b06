#!/bin/sh
# vmctl driving the real hvd --user (temp XDG directories, a private bus) with the echo test
# guest on KVM: every verb, refused transitions (exit 4, state unchanged), hvd's own errors
# mapped to exit codes, the console on a pipe and on a terminal, and hvd going away (exit 8).
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "SKIP: /dev/kvm is not usable here"; exit 77; }
HVD=$HVD_TOP_BUILDDIR/daemon/hvd
G=${HVD_GUEST_DIR:?}
[ -x "$HVD" ] || { echo "no $HVD: run make first" >&2; exit 99; }
[ -f "$G/echo.elf" ] || { echo "no $G/echo.elf" >&2; exit 99; }

bus_start
hvd_pid=
hvd_start() {
        XDG_STATE_HOME=$tmp/state XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config \
                "$HVD" --user >>"$tmp/hvd.log" 2>&1 &
        hvd_pid=$!
        pids="$pids $hvd_pid"
        hvd_wait
}
mkdir -p "$tmp/state" "$tmp/run" "$tmp/config"
chmod 700 "$tmp/run"
hvd_start
V="$VMCTL --user"

state() { $V --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["State"])'; }
state_is() {
        s=$(state "$1" 2>&1)
        [ "$s" = "$2" ] && pass "$3: $1 is $2" || fail "$3: $1 is '$s', expected $2"
}
# log_has NAME TEXT: the console log holds TEXT within 10 s
log_has() {
        i=0
        while [ $i -lt 200 ]; do
                $V console --log "$1" 2>/dev/null | grep -qF -- "$2" && return 0
                sleep 0.05
                i=$((i + 1))
        done
        return 1
}
wait_state() {
        i=0
        while [ $i -lt 200 ]; do
                [ "$(state "$1" 2>/dev/null)" = "$2" ] && return 0
                sleep 0.05
                i=$((i + 1))
        done
        return 1
}

echo "== host"
expect 0 "host" $V host
out_has "CPUVendor:" "host: CPUVendor"
expect 0 "host --json" $V --json host
json 'j["KVMAPIVersion"] == 12 and j["MaxVCPUs"] > 0 and isinstance(j["Version"], str) and j["DefinedVMs"] == 0' \
        "host --json: hvd's Manager properties"

echo "== define"
cat > "$tmp/echo.json" <<EOF
{"name": "echo", "vcpus": 1, "memory_mib": 32, "boot": {"kernel": "$G/echo.elf"}}
EOF
expect 0 "define FILE" $V define "$tmp/echo.json"
out_has "Defined VM echo (/org/hvd1/vm/echo)" "define: name and path"
expect_in "$tmp/echo.json" 0 "redefine from stdin" $V define -
printf '{"name": "bad", "vcpus": 0, "boot": {"kernel": "%s"}}' "$G/echo.elf" > "$tmp/bad.json"
expect 5 "define: 0 vCPUs (InvalidConfig)" $V define "$tmp/bad.json"
err_has "vmctl: define $tmp/bad.json: " "define: message prefix"
err_has "vcpus" "define: hvd names the field"
printf 'not json' > "$tmp/junk.json"
expect 5 "define: not JSON" $V define "$tmp/junk.json"
expect 3 "bad was not defined" $V status bad

echo "== list, status"
expect 0 "list" $V list
out_has "NAME  STATE    VCPUS  MEMORY" "list: header"
out_has "echo  shutoff  1      32 MiB" "list: echo's row"
expect 0 "list --json" $V --json list
json 'len(j) == 1 and j[0]["Name"] == "echo" and j[0]["State"] == "shutoff" and j[0]["VCPUs"] == 1 and j[0]["MemoryMiB"] == 32' \
        "list --json"
expect 0 "status" $V status echo
out_has "Path:" "status: path"
expect 0 "status --json" $V --json status echo
json 'j["Name"] == "echo" and j["Definition"]["boot"]["kernel"].endswith("echo.elf")' "status --json: definition nested"
expect 3 "status of an unknown VM" $V status nosuch
err_has "vmctl: status nosuch: " "status nosuch: message prefix"
for verb in start shutdown stop pause resume reset undefine console; do
        expect 3 "$verb nosuch" $V $verb nosuch
done

echo "== refused transitions on a shut-off VM"
for verb in stop pause resume reset shutdown; do
        expect 4 "$verb of a shut-off VM" $V $verb echo
        err_has "vmctl: $verb echo: " "$verb: message prefix"
        state_is echo shutoff "$verb refused"
done

echo "== running"
expect 0 "start" $V start echo
state_is echo running "start"
if log_has echo "echo: ready"; then pass "console --log: the guest booted"; else fail "no 'echo: ready' in the log"; fi
expect 4 "start of a running VM" $V start echo
state_is echo running "start refused"
expect 4 "resume of a running VM" $V resume echo
state_is echo running "resume refused"
expect 4 "undefine of a running VM" $V undefine echo
state_is echo running "undefine refused"
run $V define "$tmp/echo.json"
[ "$rc" -eq 4 ] || [ "$rc" -eq 9 ] && pass "redefine of a running VM refused (exit $rc)" \
        || fail "redefine of a running VM: exit $rc: $(cat "$tmp/err")"
state_is echo running "redefine refused"

printf 'ping\n' > "$tmp/ping"
expect_in "$tmp/ping" 0 "console from a pipe" $V console --timeout 2 echo
out_has "echo: ping" "console: the guest answers through vmctl"
expect 0 "console --log" $V console --log echo
out_has "echo: ping" "console --log has the exchange"

if pty_check echo detach "hello" "echo: hello" >"$tmp/pty.out" 2>&1; then pass "console on a terminal, Ctrl-]"
else fail "console on a terminal, Ctrl-]"; fi
cat "$tmp/pty.out"

expect 0 "pause" $V pause echo
state_is echo paused "pause"
expect 4 "pause of a paused VM" $V pause echo
expect 4 "start of a paused VM" $V start echo
state_is echo paused "refusals while paused"
expect 0 "resume" $V resume echo
state_is echo running "resume"
expect 0 "reset" $V reset echo
state_is echo running "reset"

run $V shutdown --timeout 0.5 echo
case $rc in
0) pass "shutdown: the guest stopped" ;;
7|10) pass "shutdown of a guest that ignores it: exit $rc"; state_is echo running "shutdown not honoured" ;;
*) fail "shutdown: exit $rc: $(cat "$tmp/err")" ;;
esac
expect 0 "stop" $V stop echo
state_is echo shutoff "stop"

echo "== the guest ending on its own"
expect 0 "start" $V start echo
printf 'quit\n' > "$tmp/quit"
expect_in "$tmp/quit" 0 "console: quit" $V console --timeout 2 echo
out_has "echo: bye" "console: the guest says bye"
if wait_state echo shutoff; then pass "the guest exited: shutoff"; else fail "echo is $(state echo) after quit"; fi

echo "== undefine, hvd gone"
expect 0 "undefine" $V undefine echo
expect 3 "undefined" $V status echo
expect 0 "list --json" $V --json list
json 'j == []' "nothing left"
kill "$hvd_pid"
wait "$hvd_pid" 2>/dev/null || true
expect 8 "list without hvd" $V list
err_has "hvd is not running" "list without hvd: message"
finish
