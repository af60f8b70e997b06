#!/bin/sh
# vmctl without hvd: every verb that talks to hvd exits 8 with a message that says so, whether
# the bus is missing or hvd is not on it; a bus policy that keeps the caller from the real hvd
# gives exit 6.
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"

echo '{"name": "a"}' > "$tmp/a.json"
set -- "list" "host" "define $tmp/a.json" "undefine a" "start a" "shutdown a" "stop a" \
        "pause a" "resume a" "reset a" "status a" "console a" "console --log a" \
        "shutdown --all" "stop --all"

# No bus at all: an address nobody listens on, the system bus pointed there too.
for cmd in "$@"; do
        expect 8 "$cmd, no bus" "$VMCTL" --address "unix:path=$tmp/nobody" $cmd
        err_has "cannot connect to the bus" "$cmd, no bus: message"
done
expect 8 "system bus missing" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/nobody" "$VMCTL" list
err_has "system bus" "system bus missing: message names the system bus"
expect 8 "--user without a session bus" env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$tmp/none" "$VMCTL" --user list
err_has "session bus" "--user without a session bus: message"

# A bus without hvd on it.
bus_start
for cmd in "$@"; do
        expect 8 "$cmd, hvd not on the bus" "$VMCTL" --user $cmd
        err_has "hvd is not running (org.hvd1 is not on the session bus)" "$cmd: message"
done
expect 8 "--address" "$VMCTL" --address "$DBUS_SESSION_BUS_ADDRESS" start a
err_has "vmctl: start a: hvd is not running" "--address: message names verb and VM"

# A bus whose policy forbids calling hvd (the real one, on it): exit 6, access denied, not 8.
kill "${pids##* }"
bus_extra='<policy context="default"><deny send_destination="org.hvd1"/></policy>'
bus_start
hvd_spawn
i=0
while [ $i -lt 100 ]; do
        run "$VMCTL" --user list
        [ "$rc" -ne 8 ] && break
        sleep 0.05; i=$((i + 1))
done
expect 6 "list, denied by the bus policy" "$VMCTL" --user list
err_has "vmctl: list: the bus policy does not let you call hvd" "denied: a message for people"
expect 6 "start, denied by the bus policy" "$VMCTL" --user start a
finish
