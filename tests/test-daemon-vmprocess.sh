#!/usr/bin/env bash
# One process per VM (hvd-vm): what ps and /proc show of it (its name, no_new_privs, the
# seccomp filter), crash containment (a VM process killed, or one making a forbidden system
# call, takes only its own VM), hvd's restart (SIGKILL and SIGTERM) with VMs that run on and
# are adopted again with their console, a VM process whose definition is gone, a stale socket,
# SIGTERM to a VM process, and a VM process that stops answering.
. "$(dirname "$0")/test-vmctl-lib.sh"

# hvd passes it on to its VM processes: SIGUSR2 makes one call open(2), which its filter forbids
export HVD_VM_TEST_HOOKS=1
hvd_start
run=$tmp/run/hvd/vm

# spin prints "spin: N" every `report` iterations: a gap in N means the guest stopped (the
# largest console log holds the whole run: minutes of output)
spindef() {
        printf '{"name": "%s", "vcpus": 1, "memory_mib": 32, "boot": {"kernel": "%s", "cmdline": "report=%s"}, "console": {"log_kib": 1024}}\n' \
                "$1" "$G/spin.elf" "${2:-20000}" > "$tmp/$1.json"
        $V define "$tmp/$1.json" >/dev/null
}
# vm_pid NAME: the VM process of NAME (ps shows its name, as QEMU's -name does)
vm_pid() { pgrep -f -- "--name=$1 --socket=$run/" | head -n1; }
# ticks NAME: the spin counts in NAME's console log, one per line (not the last line: the
# guest may be writing it)
ticks() { $V console --log "$1" 2>/dev/null | head -n -1 | sed -n 's/^spin: \([0-9][0-9]*\)$/\1/p'; }
# wait_ticks NAME N: NAME's log has at least N counts (within 60 s: TCG is slow)
wait_ticks() {
        local i=0
        while [ $i -lt 600 ]; do
                [ "$(ticks "$1" | wc -l)" -ge "$2" ] && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# no_gap NAME STEP WHAT: the counts go up by STEP each line, from STEP on (nothing lost)
no_gap() {
        if ticks "$1" | awk -v s="$2" 'NR == 1 && $1 != s { exit 1 } NR > 1 && $1 != prev + s { exit 1 } { prev = $1 }'; then
                pass "$3"
        else
                fail "$3: $(ticks "$1" | tr '\n' ' ' | head -c 400)"
        fi
}
reason() { $V --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["StateReason"])'; }

# --- what a VM process is ---
spindef a
spindef b
run $V start a
run $V start b
wait_ticks a 2 && wait_ticks b 2 && pass "two VMs print" || fail "two VMs print: $(ticks a | wc -l), $(ticks b | wc -l)"
pa=$(vm_pid a)
pb=$(vm_pid b)
[ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" != "$pb" ] && pass "each VM has a process of its own, named in ps" \
        || fail "VM processes: a=$pa b=$pb: $(ps -eo pid,args | grep hvd-vm)"
grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pa/status" && pass "hvd-vm runs with no_new_privs" \
        || fail "no_new_privs: $(grep NoNewPrivs "/proc/$pa/status")"
grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pa/status" && pass "hvd-vm runs under a seccomp filter" \
        || fail "seccomp: $(grep Seccomp "/proc/$pa/status")"
[ "$(ps -o sid= -p "$pa" | tr -d ' ')" = "$pa" ] && pass "hvd-vm leads a session of its own" \
        || fail "session: $(ps -o pid,pgid,sid -p "$pa")"
[ "$(ps -o ppid= -p "$pa" | tr -d ' ')" = "$hvd_pid" ] && pass "hvd-vm is hvd's child" \
        || fail "parent: $(ps -o ppid= -p "$pa")"
[ -S "$run/$($V --json status a | python3 -c 'import json,sys; print(json.load(sys.stdin)["UUID"])').sock" ] \
        && pass "its control socket is in the runtime directory" || fail "no control socket in $run: $(ls "$run")"

# --- crash containment: SIGKILL one VM process ---
kill -KILL "$pb"
wait_state b crashed && pass "SIGKILL of b's process: b is crashed" || fail "b after SIGKILL: $(state b)"
case "$(reason b)" in *"killed by signal KILL"*) pass "... its reason names the signal";;
        *) fail "... reason: $(reason b)";; esac
n=$(ticks a | wc -l)
wait_ticks a $((n + 2)) && pass "... a keeps printing" || fail "... a stopped printing at $n"
state_is a running "... a"
run $V list
[ "$rc" -eq 0 ] && pass "... hvd answers" || fail "... vmctl list: $rc"
run $V start b
wait_ticks b 2 && pass "b starts again in a new process" || fail "b again: $(state b)"

# --- a forbidden system call kills only its VM ---
kill -USR2 "$(vm_pid b)"
wait_state b crashed && pass "a forbidden system call: b is crashed" || fail "forbidden call: b is $(state b)"
case "$(reason b)" in *"signal SYS"*"seccomp"*) pass "... the reason says seccomp";;
        *) fail "... reason: $(reason b)";; esac
n=$(ticks a | wc -l)
wait_ticks a $((n + 2)) && pass "... a keeps printing" || fail "... a stopped printing at $n"
run $V start b
wait_ticks b 2 || fail "b after the seccomp crash: $(state b)"

# --- hvd restarts: SIGKILL, then SIGTERM; the guests never stop ---
spindef c
run $V start c
wait_ticks c 2 || fail "c does not print"
for sig in KILL TERM; do
        pids_before="$(vm_pid a) $(vm_pid b) $(vm_pid c)"
        kill -$sig "$hvd_pid"
        wait "$hvd_pid" 2>/dev/null || true
        for v in a b c; do
                n=$(pgrep -fc -- "--name=$v --socket=$run/" || true)
                [ "$n" = 1 ] || fail "SIGTERM of hvd: VM $v's process is gone"
        done
        sleep 0.5 # the guests go on meanwhile
        hvd_start
        for v in a b c; do
                state_is $v running "after SIG$sig of hvd and a new hvd"
        done
        [ "$pids_before" = "$(vm_pid a) $(vm_pid b) $(vm_pid c)" ] && pass "... the same VM processes" \
                || fail "... processes: $pids_before -> $(vm_pid a) $(vm_pid b) $(vm_pid c)"
        for v in a b c; do
                n=$(ticks $v | wc -l)
                wait_ticks $v $((n + 2)) && pass "... $v prints on" || fail "... $v: no new output after $n counts"
                no_gap $v 20000 "... $v's console log runs on from before the restart without a gap"
        done
        run $V pause a
        state_is a paused "... pause after the restart"
        run $V resume a
        state_is a running "... resume after the restart"
done
run $V stop c
state_is c shutoff "stop after the restart"
[ -z "$(vm_pid c)" ] && pass "... its process is gone" || fail "... process $(vm_pid c) runs on"

# --- SIGTERM to a VM process: the guest is asked to shut down, then stopped ---
kill -TERM "$(vm_pid b)"
wait_state b shutoff && pass "SIGTERM of b's process: b is shut off" || fail "SIGTERM of b's process: $(state b)"
case "$(reason b)" in *"SIGTERM"*) pass "... the reason says SIGTERM";; *) fail "... reason: $(reason b)";; esac

# --- a VM process that does not answer is reported, not waited for ---
pa=$(vm_pid a)
kill -STOP "$pa"
run $V pause a
[ "$rc" -ne 0 ] && grep -q "did not answer Pause" "$tmp/err" && pass "a stopped VM process: Pause fails naming it" \
        || fail "pause of a stopped process: rc $rc: $(cat "$tmp/err")"
state_is a crashed "... the VM is reported crashed"
run $V list
[ "$rc" -eq 0 ] && pass "... hvd answers meanwhile" || fail "... list: $rc"
kill -CONT "$pa"
run $V stop a
state_is a shutoff "... Stop ends it"

# --- a VM process whose definition is gone; a stale socket ---
run $V start a
wait_ticks a 2 || true
pa=$(vm_pid a)
kill -KILL "$hvd_pid"
wait "$hvd_pid" 2>/dev/null || true
rm "$tmp/state/hvd/a.json"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$run/00000000-0000-4000-8000-000000000000.sock"
hvd_start
kill -0 "$pa" 2>/dev/null && pass "a VM process without a definition is left running" || fail "VM process $pa was killed"
grep -q "VM process $pa runs VM 'a'.*no definition" "$tmp/hvd.log" && pass "... and reported" \
        || fail "... not reported: $(tail -5 "$tmp/hvd.log")"
[ ! -e "$run/00000000-0000-4000-8000-000000000000.sock" ] && pass "a stale socket is removed" \
        || fail "the stale socket is still there"
kill -KILL "$pa"

finish
