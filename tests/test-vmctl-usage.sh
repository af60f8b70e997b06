#!/bin/sh
# vmctl's command line, without a bus: --help lists every verb and exit code, per-verb help,
# and every malformed command line exits 2 with a message (and never touches the bus).
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
# Usage errors must be found before connecting: an unusable bus would turn them into 8.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/nobus DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/nobus

verbs="list host define undefine start shutdown stop pause resume reset status console help"

expect 0 "--help" "$VMCTL" --help
for verb in $verbs; do
        grep -qE "^  $verb( |$)" "$tmp/out" && pass "--help lists $verb" || fail "--help does not list $verb"
done
for code in 0 1 2 3 4 5 6 7 8 9 10 11; do
        grep -qE "^ +$code  " "$tmp/out" && pass "--help documents exit $code" || fail "--help lacks exit code $code"
done
expect 0 "-h" "$VMCTL" -h
out_has "Usage: vmctl" "-h prints the usage"
expect 0 "help" "$VMCTL" help
out_has "Exit codes:" "help prints the exit codes"

for verb in $verbs; do
        expect 0 "$verb --help" "$VMCTL" "$verb" --help
        out_has "Usage: vmctl [OPTIONS] $verb" "$verb --help names the verb"
done
expect 0 "help start" "$VMCTL" help start
out_has "Usage: vmctl [OPTIONS] start NAME" "help VERB shows that verb"
expect 0 "shutdown --help mentions --timeout" "$VMCTL" --help shutdown
out_has "--timeout SECONDS" "shutdown's help has --timeout"
expect 0 "--version" "$VMCTL" --version
out_has "vmctl " "--version prints the version"

# vmctl(1) documents the same verbs and exit codes
man=$HVD_TOP_SRCDIR/man/vmctl.1
for verb in $verbs; do
        grep -qE "^\.(B|BI|BR) \"?$verb( |\"|$)" "$man" && pass "vmctl(1) documents $verb" || fail "vmctl(1) lacks $verb"
done
for code in 0 1 2 3 4 5 6 7 8 9 10 11; do
        grep -A1 -x '\.TP' "$man" | grep -qx "\.B $code" && pass "vmctl(1) documents exit $code" \
                || fail "vmctl(1) lacks exit code $code"
done

expect 2 "no verb" "$VMCTL"
err_has "no verb given" "no verb: message"
expect 2 "unknown verb" "$VMCTL" frobnicate
err_has "unknown verb 'frobnicate'" "unknown verb: message"
expect 2 "help of an unknown verb" "$VMCTL" help frobnicate
expect 2 "unknown option" "$VMCTL" --frobnicate list
err_has "unknown option '--frobnicate'" "unknown option: message"
expect 2 "unknown short option" "$VMCTL" -x list
for verb in undefine start shutdown stop pause resume reset status console define; do
        expect 2 "$verb without NAME" "$VMCTL" "$verb"
        err_has "missing argument" "$verb without NAME: message"
        expect 2 "$verb with two names" "$VMCTL" "$verb" a b
        err_has "unexpected argument 'b'" "$verb with two names: message"
done
expect 2 "list with an argument" "$VMCTL" list extra
expect 2 "host with an argument" "$VMCTL" host extra
expect 2 "empty name" "$VMCTL" start ""
expect 2 "--timeout without a value" "$VMCTL" shutdown vm --timeout
err_has "needs an argument" "--timeout without a value: message"
for bad in abc -1 1x 0x10 "" nan inf 1e99; do
        expect 2 "--timeout '$bad'" "$VMCTL" shutdown --timeout "$bad" vm
done
expect 2 "--timeout on start" "$VMCTL" --timeout 5 start vm
err_has "does not apply to start" "--timeout on start: message"
expect 2 "--log on status" "$VMCTL" status --log vm
err_has "option --log does not apply to status" "--log on status: message"
expect 2 "--address without a value" "$VMCTL" list --address
# options may follow the verb; '--' ends them so a name may start with '-'
expect 8 "options after the verb are parsed" "$VMCTL" list --user
expect 8 "'--' ends the options" "$VMCTL" status -- -odd-name
err_has "status -odd-name" "'--': the name is kept"
finish
