#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # make check runs .sh tests with sh
# hvd running real guests (tests/guests) on KVM, driven over a private bus: every state
# transition and the invalid ones (named errors, state unchanged), property change signals,
# the console (opened before Start, interactive, several at once, bounded log), autostart
# across a restart, and SIGTERM with VMs running.
source "${HVD_TOP_SRCDIR:?run through make check}/tests/lib-dbus.sh"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || t_skip "/dev/kvm is not usable here"
G=${HVD_GUEST_DIR:?}
CON=$HVD_TOP_BUILDDIR/tests/hvd-console
for g in hello spin echo; do [ -f "$G/$g.elf" ] || { echo "no $G/$g.elf" >&2; exit 99; }; done

t_start_bus
t_start_hvd || exit 1
vm() { echo "/org/hvd1/vm/$1"; }
state() { t_get "$(vm "$1")" org.hvd1.VM State; }
reason() { t_get "$(vm "$1")" org.hvd1.VM StateReason; }
running() { t_get /org/hvd1 org.hvd1.Manager RunningVMs; }
wait_state() { # name state: up to 10 s
        for _ in $(seq 1 1000); do
                [ "$(state "$1")" = "s \"$2\"" ] && return 0
                sleep 0.01
        done
        echo "VM $1 is $(state "$1") ($(reason "$1")), not $2" >&2
        return 1
}
console_log() { busctl --user --json=short call org.hvd1 "$(vm "$1")" org.hvd1.VM GetConsoleLog |
        python3 -c 'import json,sys; sys.stdout.write(bytes(json.load(sys.stdin)["data"][0]).decode(errors="replace"))'; }
log_count() { # name pattern count: the console log shows pattern count times (within 10 s)
        for _ in $(seq 1 500); do
                [ "$(console_log "$1" | grep -c "$2")" = "$3" ] && return 0
                sleep 0.02
        done
        echo "the log of $1 has $(console_log "$1" | grep -c "$2") '$2', not $3" >&2
        return 1
}
invalid() { # name method [args]: InvalidState and the state did not change
        local before
        before=$(state "$1")
        t_expect_error org.hvd1.Error.InvalidState -- t_send "$(vm "$1")" "org.hvd1.VM.$2" "${@:3}" &&
                test "$(state "$1")" = "$before"
}

t_define "{\"name\": \"spin\", \"vcpus\": 2, \"memory_mib\": 32, \"boot\": {\"kernel\": \"$G/spin.elf\"}}" >/dev/null
t_define "{\"name\": \"hello\", \"boot\": {\"kernel\": \"$G/hello.elf\", \"cmdline\": \"greeting\"}}" >/dev/null
t_define "{\"name\": \"echo\", \"boot\": {\"kernel\": \"$G/echo.elf\"}}" >/dev/null

# --- running, paused, running, shut off; every invalid step refused ---
dbus-monitor --session "type='signal',interface='org.freedesktop.DBus.Properties',path='/org/hvd1/vm/spin'" >"$T_DIR/signals" 2>/dev/null &
T_PIDS+=($!)
sleep 0.2
t_check "Start: shutoff -> running" bash -c "dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1/vm/spin org.hvd1.VM.Start >/dev/null"
t_check "State is running" test "$(state spin)" = 's "running"'
t_check "StateReason says why" test "$(reason spin)" = 's "started by request"'
t_check "RunningVMs counts it" test "$(running)" = "u 1"
t_check "Start on a running VM: InvalidState" invalid spin Start
t_check "Resume on a running VM: InvalidState" invalid spin Resume
t_check "Pause: running -> paused" t_send "$(vm spin)" org.hvd1.VM.Pause
t_check "State is paused" test "$(state spin)" = 's "paused"'
t_check "Pause on a paused VM: InvalidState" invalid spin Pause
t_check "Start on a paused VM: InvalidState" invalid spin Start
t_check "Shutdown on a paused VM: InvalidState" invalid spin Shutdown uint64:100000
t_check "Resume: paused -> running" t_send "$(vm spin)" org.hvd1.VM.Resume
t_check "State is running again" test "$(state spin)" = 's "running"'
t_check "Reset: running -> running" t_send "$(vm spin)" org.hvd1.VM.Reset
t_check "... from the start again (the console log shows two starts)" log_count spin 'spin: start' 2
t_check "... StateReason says so" test "$(reason spin)" = 's "reset by request"'
t_send "$(vm spin)" org.hvd1.VM.Pause >/dev/null
t_check "Reset: paused -> running" t_send "$(vm spin)" org.hvd1.VM.Reset
t_check "State is running after the reset" test "$(state spin)" = 's "running"'
t_check "... a third start in the log" log_count spin 'spin: start' 3
out=$(t_send "$(vm spin)" org.hvd1.VM.Shutdown uint64:200000 2>&1) && st=0 || st=$?
t_check "Shutdown of a guest that cannot be asked and does not stop: Timeout after the wait, VM still running" bash -c \
        "test $st != 0 && grep -q 'Error org.hvd1.Error.Timeout' <<<\"\$1\" && grep -q 'cannot be asked' <<<\"\$1\" && test \"\$2\" = 's \"running\"'" _ "$out" "$(state spin)"
t_check "UndefineVM of a running VM: InvalidState" t_expect_error org.hvd1.Error.InvalidState -- t_send /org/hvd1 org.hvd1.Manager.UndefineVM string:spin
t_check "redefining a running VM: InvalidState" t_expect_error org.hvd1.Error.InvalidState "shut it off" -- \
        t_define "{\"name\": \"spin\", \"vcpus\": 1, \"boot\": {\"kernel\": \"$G/spin.elf\"}}"
t_check "... the definition unchanged" test "$(t_get "$(vm spin)" org.hvd1.VM VCPUs)" = "u 2"
t_check "Stop: running -> shutoff" t_send "$(vm spin)" org.hvd1.VM.Stop
t_check "State is shutoff" test "$(state spin)" = 's "shutoff"'
t_check "RunningVMs back to 0" test "$(running)" = "u 0"
t_check "Stop on a shut-off VM: InvalidState" invalid spin Stop
t_send "$(vm spin)" org.hvd1.VM.Start >/dev/null
t_send "$(vm spin)" org.hvd1.VM.Pause >/dev/null
t_check "Stop: paused -> shutoff" t_send "$(vm spin)" org.hvd1.VM.Stop
t_check "State is shutoff" test "$(state spin)" = 's "shutoff"'
sleep 0.2
t_check "PropertiesChanged carried every state" bash -c \
        "for s in running paused shutoff; do grep -A3 'string \"State\"' '$T_DIR/signals' | grep -q \"string \\\"\$s\\\"\" || exit 1; done"

# --- a guest that exits on its own ---
t_check "hello: a console opened before Start sees the first line" "$CON" hello start "expect:hello from hvd test guest" "expect:cmdline \"greeting\""
t_check "hello exits by itself: shutoff" wait_state hello shutoff
t_check "... and StateReason says the guest exited" bash -c "grep -q exit <<<'$(reason hello)'"
t_check "GetConsoleLog keeps its output" bash -c "grep -q 'hello from hvd test guest' <<<\"\$1\"" _ "$(console_log hello)"
t_check "the log survives a second run" bash -c "\"\$1\" hello start 'expect:hello from hvd test guest' && sleep 0.3 && test \"\$(busctl --user --json=short call org.hvd1 /org/hvd1/vm/hello org.hvd1.VM GetConsoleLog | grep -o 'hello' | wc -l)\" -ge 0" _ "$CON"
t_check "... both runs are in the log" log_count hello 'hello from hvd test guest' 2

# --- a guest that asks for a reset (port 0xcf9): on_reboot decides ---
t_define "{\"name\": \"rebooter\", \"memory_mib\": 16, \"boot\": {\"kernel\": \"$G/hello.elf\", \"cmdline\": \"reset=1\"}}" >/dev/null
t_send "$(vm rebooter)" org.hvd1.VM.Start >/dev/null
resets_at_least() { # name count: the log shows at least count resets (within 10 s)
        for _ in $(seq 1 500); do
                [ "$(console_log "$1" | grep -c 'hello: reset')" -ge "$2" ] && return 0
                sleep 0.02
        done
        return 1
}
t_check "on_reboot restart (the default): the guest boots again after each reset" resets_at_least rebooter 3
# between two boots it is resetting (its own state since the state machine), else running
t_check "... and the VM is still up (running, or resetting between two boots)" bash -c \
        "grep -qxE 's \"(running|resetting)\"' <<<\"\$1\"" _ "$(state rebooter)"
t_check "... StateReason says the guest rebooted it" bash -c "grep -q 'rebooted by the guest' <<<\"\$1\"" _ "$(reason rebooter)"
t_check "Stop of a guest that reboots in a loop (nearly always resetting): accepted" t_send "$(vm rebooter)" org.hvd1.VM.Stop
t_check "... shut off" test "$(state rebooter)" = 's "shutoff"'
t_define "{\"name\": \"rebooter\", \"memory_mib\": 16, \"on_reboot\": \"shutoff\", \"boot\": {\"kernel\": \"$G/hello.elf\", \"cmdline\": \"reset=1\"}}" >/dev/null
before=$(console_log rebooter | grep -c 'hello: reset')
t_send "$(vm rebooter)" org.hvd1.VM.Start >/dev/null
t_check "on_reboot shutoff: a reset request shuts the VM off" wait_state rebooter shutoff
t_check "... StateReason says the guest asked for a reset" bash -c "grep -q 'reset' <<<'$(reason rebooter)'"
t_check "... after one boot only" test "$(console_log rebooter | grep -c 'hello: reset')" = $((before + 1))

# --- interactive console, several consoles at once ---
t_check "echo: two consoles see the guest, input from one reaches it" "$CON" echo open start "expect:echo: ready" "send:ping\n" "expect:echo: ping" "send:quit\n" "expect:echo: bye"
t_check "echo quits: shutoff" wait_state echo shutoff
t_check "echo runs again" "$CON" echo start "expect:echo: ready"
# 140 bytes at once: the UART's 16-byte FIFO takes a part, hvd holds the rest and offers it
# again when the guest has read (hvcore's serial_input_ready), so the whole line arrives
t_check "a line longer than the UART FIFO reaches the guest whole" "$CON" echo "send:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789012345\n" "expect:echo: 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789012345"
t_check "a client that sends a long line and leaves at once" "$CON" echo "send:zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA9876543210left-behind\n" close
t_check "... its input still reaches the guest whole (hvd keeps what the UART had no room for)" log_count echo "echo: zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA9876543210left-behind" 1
( sleep 0.5; "$CON" echo "send:quit\n" "expect:echo: bye" ) >/dev/null 2>&1 &
quitter=$!
out=$(t_send "$(vm echo)" org.hvd1.VM.Shutdown uint64:20000000 2>&1) && st=0 || st=$?
wait "$quitter" || true
t_check "Shutdown of a guest that stops on its own within the timeout: success" test "$st" = 0
t_check "... and it is shut off" test "$(state echo)" = 's "shutoff"'
t_check "a console closed by its client does not disturb hvd" bash -c "\"\$1\" echo start 'expect:echo: ready' close && busctl --user call org.hvd1 /org/hvd1/vm/echo org.hvd1.VM Stop" _ "$CON"
out1=$("$CON" echo open open open open open open open open open open open open open open open 2>&1) && st1=0 || st1=$?
out2=$("$CON" echo open open open open open open open open open open open open open open open open 2>&1) && st2=0 || st2=$?
t_check "16 consoles at once are fine" test "$st1" = 0
t_check "a 17th: LimitExceeded" bash -c "test $st2 != 0 && grep -q 'org.hvd1.Error.LimitExceeded' <<<\"\$1\"" _ "$out2"

# --- the console log is bounded ---
t_define "{\"name\": \"chatty\", \"boot\": {\"kernel\": \"$G/spin.elf\", \"cmdline\": \"report=200\"}, \"console\": {\"log_kib\": 1}}" >/dev/null
t_send "$(vm chatty)" org.hvd1.VM.Start >/dev/null
for _ in $(seq 1 500); do [ "$(console_log chatty | wc -c)" -ge 1024 ] && break; sleep 0.02; done
sleep 0.3
t_check "a 1 KiB log holds the last 1024 bytes, no more" test "$(console_log chatty | wc -c)" = 1024
t_send "$(vm chatty)" org.hvd1.VM.Stop >/dev/null

# --- autostart across a restart; SIGTERM of hvd leaves running VMs running ---
t_define "{\"name\": \"auto\", \"boot\": {\"kernel\": \"$G/spin.elf\"}, \"autostart\": true}" >/dev/null
t_send "$(vm spin)" org.hvd1.VM.Start >/dev/null
t_check "SIGTERM with a VM running: hvd exits 0" t_stop_hvd TERM
t_check "... saying the VMs run on" grep -q "stopping: 1 VM(s) run on in their processes" "$T_DIR/hvd.log"
t_check "... and the VM's process runs on" pgrep -f -- "--name=spin --socket=$T_RUN/"
t_start_hvd || exit 1
t_check "after the restart the autostart VM runs" wait_state auto running
t_check "... because of autostart" test "$(reason auto)" = 's "autostart"'
t_check "... and the VM that ran before runs on" test "$(state spin)" = 's "running"'
t_check "... re-attached to its process" bash -c "grep -q 're-attached to VM process' <<<\"\$1\"" _ "$(reason spin)"
t_check "RunningVMs is 2" test "$(running)" = "u 2"
t_send "$(vm spin)" org.hvd1.VM.Stop >/dev/null
t_send "$(vm auto)" org.hvd1.VM.Stop >/dev/null
t_check "Stop after the restart: shut off" test "$(state spin)" = 's "shutoff"'
t_stop_hvd TERM

t_done
