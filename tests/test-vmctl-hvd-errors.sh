#!/bin/sh
# The rest of hvd's errors, from the real hvd --user, as vmctl's exit codes: LimitExceeded
# (hvd.conf's MaxVMs, exit 11), AccessDenied (a caller of another uid, exit 6), Failed (hvd
# cannot write or remove a definition, exit 1), and hvd going away and coming back (exit 8,
# then its definitions again). Each refused call leaves the VM as it was.
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
# any local user may connect (the access checks run a client as nobody)
bus_extra='<auth>EXTERNAL</auth><policy context="default"><allow user="*"/></policy>'
chmod 711 "$tmp"
bus_start
chmod 777 "$tmp"/dbus-* 2>/dev/null || true
hvd_start "MaxVMs = 2"
store=$tmp/state/hvd

echo "== LimitExceeded: MaxVMs = 2"
def one && def two && def three
expect 0 "define one" $V define "$tmp/one.json"
expect 0 "define two" $V define "$tmp/two.json"
expect 11 "define a third VM (LimitExceeded)" $V define "$tmp/three.json"
err_has "MaxVMs" "LimitExceeded: hvd names the setting"
expect 3 "three was not defined" $V status three
expect 0 "redefine one at the limit (not a new VM)" $V define "$tmp/one.json"
expect 0 "host --json" $V --json host
json 'j["DefinedVMs"] == 2' "host: two defined"

echo "== AccessDenied: a caller of another uid"
if [ "$(id -u)" = 0 ]; then
        NV="setpriv --reuid=65534 --regid=65534 --clear-groups $VMCTL --user"
        expect 0 "start one (as root)" $V start one
        for verb in start stop pause resume reset shutdown undefine console "console --log"; do
                expect 6 "nobody: $verb" $NV $verb one
                err_has "caller uid 65534 may not call" "nobody: $verb: hvd's reason"
        done
        expect 6 "nobody: define" $NV define "$tmp/one.json"
        expect 6 "nobody: define a new VM" $NV define "$tmp/three.json"
        state_is one running "every refused call"
        expect 0 "nobody may list" $NV list
        out_has "one   running" "nobody: list"
        expect 0 "nobody may read status --json" $NV --json status one
        json 'j["State"] == "running"' "nobody: status --json"
        expect 0 "nobody may read host" $NV host
        expect 0 "stop one (as root)" $V stop one
        expect 3 "three is still undefined" $V status three
else
        echo "NOTE: not root, so the checks of another uid did not run (setpriv needs root)"
fi

echo "== Failed: hvd cannot write or remove a definition"
# A directory where hvd must write a definition file: its rename fails, even for root.
rm "$store/two.json" && mkdir -p "$store/two.json/x"
expect 1 "redefine two over a directory (Failed)" $V define "$tmp/two.json"
err_has "cannot write" "Failed: hvd's reason"
expect 1 "undefine two, its file a directory (Failed)" $V undefine two
err_has "cannot remove" "Failed: hvd's reason"
expect 0 "two is still defined" $V status two
rm -r "$store/two.json"
expect 0 "undefine two once the store is sane" $V undefine two

echo "== hvd gone, hvd back"
expect 0 "start one" $V start one
hvd_kill
for verb in list host "status one" "start one" "console one" "define $tmp/one.json"; do
        expect 8 "$verb without hvd" $V $verb
        err_has "hvd is not running" "$verb without hvd: message"
done
hvd_start "MaxVMs = 2"
expect 0 "list after hvd restarts" $V list
out_has "one   shutoff" "hvd kept one's definition (and a VM does not outlive hvd)"
out_lacks "two" "two stayed undefined"
expect 0 "undefine one" $V undefine one

echo "== Timeout: shutdown --timeout 0 waits for hvd's DefaultShutdownTimeoutSec"
# 0 asks for hvd's default; vmctl must outwait it (11 s here, past vmctl's 10 s of slack)
hvd_kill
hvd_start "DefaultShutdownTimeoutSec = 11"
def slow
expect 0 "define slow" $V define "$tmp/slow.json"
expect 0 "start slow" $V start slow
expect 7 "shutdown --timeout 0 of a guest that cannot be asked (Timeout)" $V shutdown --timeout 0 slow
err_has "did not shut down in time" "shutdown --timeout 0: hvd's reason, not vmctl giving up"
expect 0 "stop slow" $V stop slow
expect 0 "undefine slow" $V undefine slow
finish
