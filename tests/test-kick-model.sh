#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Model-checks the vCPU entry/kick protocol (tests/model/kick.pml) with spin, for both ways
# of kicking: the real protocol must verify with no error (no assertion violated, no invalid
# end state), and every mutation (no barrier, no compare-and-swap, no entry check, and the
# way-specific ones) must give a counterexample, so the model is shown to catch each bug.
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
        ./pan -m20000 >out 2>&1
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
        counterexample)
                if [ "$errors" -gt 0 ] && grep -q 'assertion violated' out; then
                        echo "ok   [$*] counterexample found, as it must be:"
                        "$spin" "$@" -t -p kick.pml | grep -E "^ *[0-9]+:.*\\[" | sed "s/^ */       /" | tail -n 10
                else
                        cat out
                        echo "FAIL [$*]: expected a counterexample, the model verified"
                        failed=1
                fi
                ;;
        esac
}

for way in 1 2; do
        check verified -DWAY=$way
        check counterexample -DWAY=$way -DREACH
        check counterexample -DWAY=$way -DNO_BARRIER
        check counterexample -DWAY=$way -DNO_CAS
        check counterexample -DWAY=$way -DNO_ENTRY_CHECK
done
check counterexample -DWAY=1 -DIE_LATE
check counterexample -DWAY=2 -DSIG_UNBLOCKED
exit $failed
