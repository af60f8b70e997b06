#!/bin/sh
# vmctl console against the real hvd --user and KVM guests: on a pipe and on a pseudo-terminal
# (raw mode, Ctrl-], SIGTERM, the terminal restored), attached before the guest boots, a
# guest that reads nothing (spin), a reader that leaves, hvd closing the console (undefine,
# hvd gone), and hvd's limit on consoles per VM (LimitExceeded, exit 11).
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
hvd_start
def echo
$V define "$tmp/echo.json" >/dev/null

echo "== a shut-off VM"
expect 0 "console --log of a VM never started" $V console --log echo
[ -s "$tmp/out" ] && fail "console --log printed: $(cat "$tmp/out")" || pass "console --log: empty"
expect 0 "console of a shut-off VM attaches (hvd allows it), --timeout ends it" $V console --timeout 0.3 echo
expect 2 "console: invalid --timeout" $V console --log --timeout x echo

echo "== attached before the guest boots"
mkfifo "$tmp/in.fifo"
exec 7<>"$tmp/in.fifo"
$V console echo <"$tmp/in.fifo" >"$tmp/early.out" 2>"$tmp/early.err" &
cpid=$!
sleep 0.5 # let it attach
expect 0 "start" $V start echo
i=0
while ! grep -q "echo: ready" "$tmp/early.out" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "echo: ready" "$tmp/early.out" && pass "the boot banner reaches a console attached before start" \
        || fail "no banner: $(cat "$tmp/early.out" "$tmp/early.err")"
printf 'early bird\n' >&7
i=0
while ! grep -q "echo: early bird" "$tmp/early.out" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "echo: early bird" "$tmp/early.out" && pass "input from the pipe reaches the guest" \
        || fail "no answer: $(cat "$tmp/early.out")"
kill -TERM "$cpid"
watch "$cpid" "console on a pipe ends on SIGTERM" 143
[ -s "$tmp/early.err" ] && fail "console on a pipe wrote to stderr: $(cat "$tmp/early.err")" || pass "console on a pipe: no banner on stderr"

echo "== on a pipe"
printf 'ping\n' > "$tmp/ping"
expect_in "$tmp/ping" 0 "console from a pipe, --timeout 1" $V console --timeout 1 echo
out_has "echo: ping" "console: the guest answers through vmctl"
out_lacks "echo: ready" "console: only what follows the attach"
expect 0 "console --log" $V console --log echo
out_has "echo: ready" "console --log: the boot"
out_has "echo: ping" "console --log: the exchange"

echo "== a reader that leaves"
# `vmctl console vm | head -c 3`: EPIPE ends vmctl quietly with 0, its input still flowing.
# (A VM of its own: the guest has a backlog of "y" lines to answer long after.)
def flood
$V define "$tmp/flood.json" >/dev/null && $V start flood
log_has flood "echo: ready" || fail "flood did not boot"
( yes | $V console flood 2>"$tmp/epipe.err" &
  echo $! >"$tmp/epipe.pid"; st=0; wait $! || st=$?; echo $st >"$tmp/epipe.rc" ) | head -c 3 >/dev/null &
ppid_=$!
i=0
while [ ! -s "$tmp/epipe.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -s "$tmp/epipe.rc" ]; then
        [ "$(cat "$tmp/epipe.rc")" = 0 ] && pass "console ends with 0 when its reader leaves" \
                || fail "console exit $(cat "$tmp/epipe.rc") when its reader left: $(cat "$tmp/epipe.err")"
        [ -s "$tmp/epipe.err" ] && fail "... not quietly: $(cat "$tmp/epipe.err")" || pass "... quietly"
else
        fail "console still runs 10 s after its reader left"
        kill "$(cat "$tmp/epipe.pid")"
fi
wait "$ppid_" 2>/dev/null || true
state_is flood running "the guest after a flood of input"
$V stop flood

echo "== on a terminal"
if pty_check echo detach "hello" "echo: hello" >"$tmp/pty.out" 2>&1; then pass "console on a terminal, Ctrl-]"
else fail "console on a terminal, Ctrl-]"; fi
cat "$tmp/pty.out"
# pty_check typed "before^]after": only "before" was sent; a newline now completes the line.
printf '\n' > "$tmp/nl"
expect_in "$tmp/nl" 0 "console: end the line typed before Ctrl-]" $V console --timeout 1 echo
# (hvd keeps input its guest's UART has not taken yet when the client leaves: all of it arrives)
out_has "echo: before" "bytes before Ctrl-] were sent, all of them"
out_lacks "after" "bytes after Ctrl-] did not"
if pty_check echo sigterm "again" "echo: again" >"$tmp/pty.out" 2>&1; then pass "console on a terminal, SIGTERM"
else fail "console on a terminal, SIGTERM"; fi
cat "$tmp/pty.out"

echo "== LimitExceeded: consoles per VM"
# 16 consoles of ours; one refused at first (hvd still counting a client that just left)
# is replaced, so the probe meets 16 live ones.
cpids=""
console_bg() {
        $V console echo <"$tmp/in.fifo" >/dev/null 2>&1 &
        cpids="$cpids $!"
        pids="$pids $!"
}
for i in $(seq 16); do console_bg; done
i=0 rc=0
while [ $i -lt 50 ]; do
        alive=0
        for p in $cpids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
        while [ $alive -lt 16 ]; do console_bg; alive=$((alive + 1)); done
        run $V console --timeout 0.1 echo
        [ "$rc" -eq 11 ] && break
        sleep 0.1
        i=$((i + 1))
done
[ "$rc" -eq 11 ] && pass "the 17th console: LimitExceeded (exit 11)" || fail "17th console: exit $rc: $(cat "$tmp/err")"
err_has "consoles open already" "LimitExceeded: hvd's reason"
for p in $cpids; do kill -TERM "$p" 2>/dev/null || true; done
for p in $cpids; do wait "$p" 2>/dev/null || true; done
i=0
while [ $i -lt 50 ]; do
        run $V console --timeout 0.1 echo
        [ "$rc" -eq 0 ] && break
        sleep 0.1
        i=$((i + 1))
done
[ "$rc" -eq 0 ] && pass "a console opens again once they left" || fail "console after the others left: exit $rc"

echo "== a guest that reads nothing"
printf '{"name": "deaf", "vcpus": 1, "memory_mib": 32, "boot": {"kernel": "%s"}}' "$G/spin.elf" > "$tmp/deaf.json"
$V define "$tmp/deaf.json" >/dev/null && $V start deaf
if log_has deaf "spin: start"; then pass "spin runs"; else fail "spin did not start"; fi
head -c 4000000 /dev/zero > "$tmp/zeros"
$V console --timeout 1 deaf <"$tmp/zeros" >/dev/null 2>"$tmp/deaf.err" &
watch $! "4 MB to a guest that reads nothing: --timeout still ends it"
$V console deaf <"$tmp/zeros" >/dev/null 2>"$tmp/deaf.err" &
cpid=$!
sleep 0.5
kill -TERM "$cpid"
watch "$cpid" "4 MB to a guest that reads nothing: SIGTERM still ends it" 143
state_is deaf running "spin after the flood"

echo "== hvd closes the console"
$V console echo <"$tmp/in.fifo" >"$tmp/closed.out" 2>"$tmp/closed.err" &
cpid=$!
sleep 0.3
expect 0 "stop while attached" $V stop echo
kill -0 "$cpid" 2>/dev/null && pass "the console outlives a stop (hvd keeps it for the next boot)" \
        || fail "the console ended at stop"
expect 0 "undefine while attached" $V undefine echo
watch "$cpid" "console exits 0 when hvd closes it (undefine)"
$V console deaf <"$tmp/in.fifo" >/dev/null 2>"$tmp/gone.err" &
cpid=$!
sleep 0.3
hvd_kill
watch "$cpid" "console exits 0 when hvd goes away"
exec 7>&-
finish
