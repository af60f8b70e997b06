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
expect 0 "shutdown --help mentions --all" "$VMCTL" shutdown --help
out_has "Usage: vmctl [OPTIONS] shutdown [--timeout SECONDS] NAME|--all" "shutdown's usage line has --all"
out_has "  --all  " "shutdown's help explains --all"
expect 0 "stop --help mentions --all" "$VMCTL" stop --help
out_has "Usage: vmctl [OPTIONS] stop NAME|--all" "stop's usage line has --all"
out_has "  --all  " "stop's help explains --all"
expect 0 "start --help" "$VMCTL" start --help
out_lacks "--all" "start's help does not offer --all"
expect 0 "--help" "$VMCTL" --help
grep -qE "^  --all +shutdown, stop: " "$tmp/out" && pass "--help lists --all" || fail "--help lacks --all: $(cat "$tmp/out")"
out_has "With --all: " "--help says what --all exits with"
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
for verb in shutdown stop; do
        # from ".B VERB" to the ".br" that ends its line of the synopsis
        sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$man" | sed -n "/^\.B $verb\$/,/^\.br/p" | grep -q -- '\\-\\-all' \
                && pass "vmctl(1)'s synopsis has $verb --all" || fail "vmctl(1)'s synopsis lacks $verb --all"
        grep -qx ".B \"$verb \\\\-\\\\-all\"" "$man" && pass "vmctl(1) documents $verb --all" \
                || fail "vmctl(1) lacks an entry for $verb --all"
done
grep -qx '\.B \\-\\-all' "$man" && pass "vmctl(1) documents the option --all" || fail "vmctl(1) lacks the option --all"

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

# --all takes the place of NAME, for shutdown and stop only
for cmd in "stop --all web" "stop web --all" "--all stop web" "shutdown --all --timeout 5 web"; do
        expect 2 "$cmd" "$VMCTL" $cmd
        err_has "--all and a VM name ('web') cannot be used together" "$cmd: message"
done
for verb in stop shutdown; do
        expect 2 "$verb without NAME or --all" "$VMCTL" "$verb"
        err_has "missing argument (usage: vmctl $verb " "$verb: missing argument"
        err_has "NAME|--all)" "$verb: the usage names --all"
done
for verb in list host start undefine pause resume reset status console help; do
        expect 2 "--all on $verb" "$VMCTL" "$verb" --all
        err_has "option --all does not apply to $verb" "--all on $verb: message"
done
expect 2 "--timeout on stop --all" "$VMCTL" stop --all --timeout 5
err_has "option --timeout does not apply to stop" "--timeout on stop --all: message"
expect 2 "--log on stop --all" "$VMCTL" --log stop --all
err_has "option --log does not apply to stop" "--log on stop --all: message"
expect 2 "shutdown --all with a bad --timeout" "$VMCTL" shutdown --all --timeout 1x
# accepted as command lines: they get as far as the (missing) bus
expect 8 "stop --all reaches the bus" "$VMCTL" --user stop --all
expect 8 "shutdown --all --timeout reaches the bus" "$VMCTL" --user shutdown --timeout 1 --all
expect 8 "--json stop --all reaches the bus" "$VMCTL" --user --json stop --all
# options may follow the verb; '--' ends them so a name may start with '-'
expect 8 "options after the verb are parsed" "$VMCTL" list --user
expect 8 "'--' ends the options" "$VMCTL" status -- -odd-name
err_has "status -odd-name" "'--': the name is kept"
finish
