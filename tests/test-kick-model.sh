#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Model-checks the vCPU entry/kick protocol of lib/hvcore/vm/request.c (tests/model/kick.pml)
# with spin, for both ways of kicking: the real protocol must verify with no error (no
# assertion violated, no invalid end state), and every mutation (no barrier on either side,
# no entry check, mode checked before the request, immediate_exit misplaced, signal unblocked,
# no compare-and-swap, WAIT on the wrong word or without the generation, wake-up without the
# lock, a PAUSE | WAIT that does not wake a sleeper) must give a counterexample of the expected kind, so the model is shown to catch each.
set -u
srcdir=${HVD_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
model=$srcdir/tests/model/kick.pml
spin=${SPIN:-}
[ -n "$spin" ] && [ -x "$spin" ] || spin=$(command -v spin || true)
if [ -z "$spin" ]; then
        echo "SKIP: spin is not installed (Debian package spin; scripts/deps.sh installs it)"
        exit 77
fi
cc=$(command -v gcc || command -v cc) || { echo "FAIL: no C compiler for pan"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$model" "$tmp/kick.pml"
cd "$tmp" || exit 1

failed=0
# check EXPECT DEFINES...: EXPECT is "verified" or "counterexample"
check() {
        expect=$1
        shift
        rm -f pan pan.* kick.pml.trail out
        if ! "$spin" "$@" -a kick.pml >spin.out 2>&1; then
                cat spin.out
                echo "FAIL [$*]: spin -a failed"
                failed=1
                return
        fi
        if ! "$cc" -O0 -DSAFETY -o pan pan.c >cc.out 2>&1; then
                cat cc.out
                echo "FAIL [$*]: pan does not compile"
                failed=1
                return
        fi
        case $expect in
        assertion) ./pan -m20000 -E >out 2>&1 ;; # count assertion violations only
        deadlock) ./pan -m20000 -A >out 2>&1 ;;  # count invalid end states only
        *) ./pan -m20000 >out 2>&1 ;;
        esac
        errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' out | head -n 1)
        states=$(awk '/states, stored/ { print $1; exit }' out)
        if [ -z "$errors" ] || grep -q 'max search depth too small' out; then
                cat out
                echo "FAIL [$*]: the search did not complete"
                failed=1
                return
        fi
        case $expect in
        verified)
                if [ "$errors" -eq 0 ] && grep -q 'invalid end states	+' out; then
                        echo "ok   [$*] verified: $states states, no assertion violated, no invalid end state"
                else
                        cat out
                        "$spin" "$@" -t -p kick.pml | tail -n 60
                        echo "FAIL [$*]: expected to verify, got $errors error(s)"
                        failed=1
                fi
                ;;
        assertion | deadlock)
                if [ "$expect" = assertion ]; then what='assertion violated'; else what='invalid end state'; fi
                if [ "$errors" -gt 0 ] && grep -q "$what" out; then
                        echo "ok   [$*] counterexample ($what), as it must be; its last steps:"
                        "$spin" "$@" -t -p kick.pml | grep -E "^ *[0-9]+:.*\\[" | grep -v '(memory:' |
                                sed "s/^ */       /" | tail -n 10
                else
                        cat out
                        echo "FAIL [$*]: expected a counterexample ($what), got $errors error(s)"
                        failed=1
                fi
                ;;
        esac
}

# The protocol of request.c (WAY=1) and DESIGN.md's other way (WAY=2) verify; REACH shows the
# model reaches a running guest with a request pending (where only the kick gets it out).
for way in 1 2; do
        check verified -DWAY=$way
        check assertion -DWAY=$way -DREACH
        check assertion -DWAY=$way -DNO_BARRIER
        check assertion -DWAY=$way -DNO_KICKER_BARRIER
        check assertion -DWAY=$way -DNO_ENTRY_CHECK
        check assertion -DWAY=$way -DMODE_CHECK_FIRST
        check assertion -DWAY=$way -DWAIT_SKIPPED
        check deadlock -DWAY=$way -DNO_CAS
        check deadlock -DWAY=$way -DCAS_FAIL_RELOAD
        check deadlock -DWAY=$way -DWAIT_NO_GEN
        check deadlock -DWAY=$way -DWAKE_WITHOUT_LOCK
        # PAUSE | WAIT: a WAIT request that also wakes a sleeping vCPU
        check verified -DWAY=$way -DPAUSE_WAIT
        check assertion -DWAY=$way -DPAUSE_WAIT -DNO_BARRIER
        check deadlock -DWAY=$way -DPAUSE_WAIT -DWAIT_NO_WAKE
done
check assertion -DWAY=1 -DIE_LATE
check assertion -DWAY=1 -DNO_IMMEDIATE_EXIT
check assertion -DWAY=1 -DSIGNAL_BEFORE_IE
check assertion -DWAY=2 -DSIG_UNBLOCKED
exit $failed
