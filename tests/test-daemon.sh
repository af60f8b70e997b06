#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # make check runs .sh tests with sh
# hvd over D-Bus without running guests: a private dbus-daemon, hvd --user on it, and every
# Manager method, the VM methods that are invalid on a shut-off VM, hostile definitions,
# caller checks, restart and a SIGKILL in the middle of defining 100 VMs.
source "${HVD_TOP_SRCDIR:?run through make check}/tests/lib-dbus.sh"

t_start_bus
t_start_hvd || exit 1
K=$T_DIR/kernel.elf
printf 'not really a kernel\n' >"$K"
SD=$T_STATE/hvd
def() { printf '{"name": "%s", "vcpus": 1, "memory_mib": 64, "boot": {"kernel": "%s"}}' "$1" "$K"; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
nfiles() { find "$SD" -mindepth 1 | wc -l; }

# --- the manager ---
t_check "Version is the package version" \
        test "$(t_get /org/hvd1 org.hvd1.Manager Version)" = "s \"$(sed -n 's/^PACKAGE_VERSION = //p' "$HVD_TOP_BUILDDIR/Makefile")\""
t_check "no VM at first" test "$(t_mcall ListVMs)" = "a(ssso) 0"
t_check "host properties readable" t_get /org/hvd1 org.hvd1.Manager CPUVendor MaxVCPUs KVMAPIVersion MaxMemoryMiB DirtyLogModes
# hvcore's limit of one VM (3 GiB of RAM), lowered to the host's RAM: what DefineVM checks
host_mib=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
mem_max=$(( host_mib < 3072 ? host_mib : 3072 ))
t_check "MaxMemoryMiB is hvcore's 3072 MiB, or the host's RAM if less" \
        test "$(t_get /org/hvd1 org.hvd1.Manager MaxMemoryMiB)" = "t $mem_max"
t_check "MaxVCPUs is at most hvcore's 64" bash -c "v=\$(busctl --user get-property org.hvd1 /org/hvd1 org.hvd1.Manager MaxVCPUs); v=\${v#u }; [ \$v -ge 1 ] && [ \$v -le 64 ]"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        t_check "KVMAPIVersion is 12" test "$(t_get /org/hvd1 org.hvd1.Manager KVMAPIVersion)" = "u 12"
        t_check "DirtyLogModes has the bitmap" bash -c "busctl --user get-property org.hvd1 /org/hvd1 org.hvd1.Manager DirtyLogModes | grep -q '^as [1-9][0-9]* \"bitmap\"'"
        if ls "${HVD_PLUGIN_DIR:-/nonexistent}"/*.so >/dev/null 2>&1; then
                t_check "a vendor plugin from \$HVD_PLUGIN_DIR claimed the host" bash -c \
                        "busctl --user get-property org.hvd1 /org/hvd1 org.hvd1.Manager VendorPlugin KVMModule | (! grep -qx 's \"\"')"
        fi
else
        # no /dev/kvm here: hvd still serves, and says so rather than inventing a host
        t_check "without /dev/kvm: KVMAPIVersion is 0" test "$(t_get /org/hvd1 org.hvd1.Manager KVMAPIVersion)" = "u 0"
        t_check "without /dev/kvm: no vendor plugin claimed the host" \
                test "$(t_get /org/hvd1 org.hvd1.Manager VendorPlugin)" = 's ""'
        t_check "without /dev/kvm: no dirty-log mode" test "$(t_get /org/hvd1 org.hvd1.Manager DirtyLogModes)" = "as 0"
        t_check "without /dev/kvm: MaxVCPUs is hvcore's 64" test "$(t_get /org/hvd1 org.hvd1.Manager MaxVCPUs)" = "u 64"
fi

# --- define ---
out=$(t_define "$(def demo)")
t_check "DefineVM returns the VM's path" grep -q 'object path "/org/hvd1/vm/demo"' <<<"$out"
t_check "the definition is on disk with a UUID" bash -c "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"name\"]==\"demo\" and len(d[\"uuid\"])==36' $SD/demo.json"
uuid=$(json_field "$SD/demo.json" uuid)
t_check "ListVMs lists it, shut off" test "$(t_mcall ListVMs)" = "a(ssso) 1 \"demo\" \"$uuid\" \"shutoff\" \"/org/hvd1/vm/demo\""
t_check "GetVM finds it" test "$(t_mcall GetVM s demo)" = 'o "/org/hvd1/vm/demo"'
t_check "properties: Name, UUID, State, VCPUs, MemoryMiB, Autostart" test \
        "$(t_get /org/hvd1/vm/demo org.hvd1.VM Name UUID State VCPUs MemoryMiB Autostart | tr '\n' ' ')" = \
        "s \"demo\" s \"$uuid\" s \"shutoff\" u 1 t 64 b false "
t_check "Definition property is the canonical JSON" bash -c \
        "busctl --user --json=short get-property org.hvd1 /org/hvd1/vm/demo org.hvd1.VM Definition | python3 -c 'import json,sys; d=json.loads(json.load(sys.stdin)[\"data\"]); assert d[\"uuid\"]==\"$uuid\" and d[\"on_reboot\"]==\"restart\" and d[\"autostart\"] is False and d[\"console\"][\"log_kib\"]==64'"
t_check "DefinedVMs counts it" test "$(t_get /org/hvd1 org.hvd1.Manager DefinedVMs)" = "u 1"
t_check "ObjectManager reports it" bash -c "busctl --user --json=short call org.hvd1 /org/hvd1 org.freedesktop.DBus.ObjectManager GetManagedObjects | grep -q '\"/org/hvd1/vm/demo\"'"
t_check "introspection matches daemon/org.hvd1.xml" bash -c '
        busctl --user introspect --xml-interface org.hvd1 /org/hvd1 >"$1/m.xml" &&
        busctl --user introspect --xml-interface org.hvd1 /org/hvd1/vm/demo >"$1/v.xml" &&
        python3 "$2/tests/test-daemon-introspect.py" "$2/daemon/org.hvd1.xml" "$1/m.xml" "$1/v.xml"' _ "$T_DIR" "$HVD_TOP_SRCDIR"
out=$(t_define "$(def a-b.c_1)")
t_check "names with odd characters get escaped paths" grep -q 'object path "/org/hvd1/vm/a_2db_2ec_5f1"' <<<"$out"
t_check "... and can be found and undefined" bash -c \
        "test \"\$(busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager GetVM s a-b.c_1)\" = 'o \"/org/hvd1/vm/a_2db_2ec_5f1\"' && busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager UndefineVM s a-b.c_1"

# redefinition keeps the UUID and changes the properties
t_define "$(printf '{"name": "demo", "vcpus": 2, "memory_mib": 128, "boot": {"kernel": "%s", "cmdline": "console=ttyS0"}, "autostart": false}' "$K")" >/dev/null
t_check "a redefinition keeps the UUID" test "$(json_field "$SD/demo.json" uuid)" = "$uuid"
t_check "... and updates the properties" test "$(t_get /org/hvd1/vm/demo org.hvd1.VM VCPUs MemoryMiB | tr '\n' ' ')" = "u 2 t 128 "

# --- invalid transitions on a shut-off VM: named errors, state unchanged ---
for m in Stop Pause Resume Reset; do
        t_check "$m on a shut-off VM: InvalidState" t_expect_error org.hvd1.Error.InvalidState "not" -- t_send /org/hvd1/vm/demo "org.hvd1.VM.$m"
done
t_check "Shutdown on a shut-off VM: InvalidState" t_expect_error org.hvd1.Error.InvalidState -- t_send /org/hvd1/vm/demo org.hvd1.VM.Shutdown uint64:1000000
t_check "Shutdown with an absurd timeout: InvalidConfig" t_expect_error org.hvd1.Error.InvalidConfig timeout_usec -- t_send /org/hvd1/vm/demo org.hvd1.VM.Shutdown uint64:18446744073709551615
t_check "state unchanged" test "$(t_get /org/hvd1/vm/demo org.hvd1.VM State)" = 's "shutoff"'
t_check "a refusal names the call and the state" t_expect_error org.hvd1.Error.InvalidState "VM 'demo' is shutoff: cannot Pause" -- \
        t_send /org/hvd1/vm/demo org.hvd1.VM.Pause
# Start here cannot run a guest ("not really a kernel"; without /dev/kvm not even that far):
# the waiting call is answered with why, and the VM is back to shutoff, saying so.
out=$(t_send /org/hvd1/vm/demo org.hvd1.VM.Start 2>&1) && st=0 || st=$?
t_check "Start that cannot build the VM: answered with an error naming it" bash -c \
        "test $st != 0 && grep -q \"Error org.hvd1.Error.*cannot build VM 'demo'\" <<<\"\$1\"" _ "$out"
t_check "... shut off again" test "$(t_get /org/hvd1/vm/demo org.hvd1.VM State)" = 's "shutoff"'
t_check "... StateReason says why" bash -c "grep -q 'cannot build VM' <<<\"\$1\"" _ "$(t_get /org/hvd1/vm/demo org.hvd1.VM StateReason)"
t_check "... RunningVMs is 0" test "$(t_get /org/hvd1 org.hvd1.Manager RunningVMs)" = "u 0"
t_check "... the log shows it starting and failing" bash -c \
        "grep -q 'VM demo: starting (started by request)' '$T_DIR/hvd.log' && grep -q \"VM demo: shutoff (cannot build VM 'demo'\" '$T_DIR/hvd.log'"
mv "$K" "$K.away"
t_check "Start with the kernel gone: InvalidConfig naming it" t_expect_error org.hvd1.Error.InvalidConfig "boot.kernel: $K" -- \
        t_send /org/hvd1/vm/demo org.hvd1.VM.Start
t_check "... StateReason says so" bash -c "grep -q 'boot.kernel' <<<\"\$1\"" _ "$(t_get /org/hvd1/vm/demo org.hvd1.VM StateReason)"
mv "$K.away" "$K"
# a host no vendor plugin claims (here: no /dev/kvm) cannot run VMs: NotSupported, not Failed
if [ "$(t_get /org/hvd1 org.hvd1.Manager VendorPlugin)" = 's ""' ]; then
        t_check "Start without a vendor plugin: NotSupported" \
                t_expect_error org.hvd1.Error.NotSupported "no vendor plugin" -- t_send /org/hvd1/vm/demo org.hvd1.VM.Start
        t_check "... and the VM is still shut off" test "$(t_get /org/hvd1/vm/demo org.hvd1.VM State)" = 's "shutoff"'
fi
t_check "GetConsoleLog of a VM that never ran is empty" test "$(t_call /org/hvd1/vm/demo org.hvd1.VM GetConsoleLog)" = "ay 0"
t_check "OpenConsole hands out an fd" bash -c "busctl --user call org.hvd1 /org/hvd1/vm/demo org.hvd1.VM OpenConsole | grep -q '^h '"

# --- unknown VMs ---
t_check "GetVM of an unknown VM: NoSuchVM" t_expect_error org.hvd1.Error.NoSuchVM nope -- t_send /org/hvd1 org.hvd1.Manager.GetVM string:nope
t_check "UndefineVM of an unknown VM: NoSuchVM" t_expect_error org.hvd1.Error.NoSuchVM -- t_send /org/hvd1 org.hvd1.Manager.UndefineVM string:nope
t_check "UndefineVM ../demo: NoSuchVM" t_expect_error org.hvd1.Error.NoSuchVM -- t_send /org/hvd1 org.hvd1.Manager.UndefineVM string:../demo
t_check "a method on a path with no VM: an error" t_expect_error org.freedesktop.DBus.Error.UnknownObject -- t_send /org/hvd1/vm/nope org.hvd1.VM.Start

# --- hostile definitions: a clear error naming the field, nothing written, no crash ---
before=$(nfiles)
bad() { # message-substring json
        t_check "refused ($1): ${2:0:60}" t_expect_error org.hvd1.Error.InvalidConfig "$1" -- t_define "$2"
}
bad "not valid JSON" '{"name": "x", '
bad "not valid JSON" '{"name": "x" "vcpus": 1}'
bad "definition: " "$(def x) {}"
bad "definition: " "$(def x)]"
bad "must be a JSON object" '[1, 2, 3]'
bad "must be a JSON object" '"demo"'
bad "name: missing" "{\"boot\": {\"kernel\": \"$K\"}}"
bad "boot" '{"name": "x"}'
bad "boot.kernel: missing" '{"name": "x", "boot": {}}'
bad "frobnicate: unknown field" "{\"name\": \"x\", \"frobnicate\": 1, \"boot\": {\"kernel\": \"$K\"}}"
bad "boot.bios: unknown field" "{\"name\": \"x\", \"boot\": {\"kernel\": \"$K\", \"bios\": \"x\"}}"
bad "console.speed: unknown field" "{\"name\": \"x\", \"console\": {\"speed\": 9600}, \"boot\": {\"kernel\": \"$K\"}}"
bad "vcpus: must be from 1" "{\"name\": \"x\", \"vcpus\": 0, \"boot\": {\"kernel\": \"$K\"}}"
bad "vcpus: must be from 1" "{\"name\": \"x\", \"vcpus\": 100000, \"boot\": {\"kernel\": \"$K\"}}"
bad "vcpus: must be from 1" "{\"name\": \"x\", \"vcpus\": -1, \"boot\": {\"kernel\": \"$K\"}}"
bad "vcpus: must be an integer" "{\"name\": \"x\", \"vcpus\": \"1\", \"boot\": {\"kernel\": \"$K\"}}"
bad "vcpus: must be an integer" "{\"name\": \"x\", \"vcpus\": 1.5, \"boot\": {\"kernel\": \"$K\"}}"
bad "vcpus: must be" "{\"name\": \"x\", \"vcpus\": 99999999999999999999999, \"boot\": {\"kernel\": \"$K\"}}"
bad "memory_mib: must be from 1" "{\"name\": \"x\", \"memory_mib\": 0, \"boot\": {\"kernel\": \"$K\"}}"
bad "memory_mib: must be from 1" "{\"name\": \"x\", \"memory_mib\": 1099511627776, \"boot\": {\"kernel\": \"$K\"}}"
bad "memory_mib: must be" "{\"name\": \"x\", \"memory_mib\": null, \"boot\": {\"kernel\": \"$K\"}}"
# a definition that could not start is refused when it is defined: 4 GiB is above hvcore's limit
bad "memory_mib: must be from 1 to $mem_max, got 4096" "{\"name\": \"x\", \"memory_mib\": 4096, \"boot\": {\"kernel\": \"$K\"}}"
bad "memory_mib: must be from 1 to $mem_max, got $((mem_max + 1))" "{\"name\": \"x\", \"memory_mib\": $((mem_max + 1)), \"boot\": {\"kernel\": \"$K\"}}"
t_check "memory_mib at the limit is accepted" t_define "{\"name\": \"atlimit\", \"memory_mib\": $mem_max, \"boot\": {\"kernel\": \"$K\"}}"
t_check "... and undefined again" busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager UndefineVM s atlimit
bad "autostart: must be true or false" "{\"name\": \"x\", \"autostart\": \"yes\", \"boot\": {\"kernel\": \"$K\"}}"
bad "on_reboot: must be" "{\"name\": \"x\", \"on_reboot\": \"explode\", \"boot\": {\"kernel\": \"$K\"}}"
bad "uuid: " "{\"name\": \"x\", \"uuid\": \"not-a-uuid\", \"boot\": {\"kernel\": \"$K\"}}"
for n in "../x" "a/b" "" ".hidden" "-x" "x..y" "$(printf 'a%.0s' $(seq 65))" "x y" "é"; do
        bad "name: " "$(def "$n")"
done
bad "name: must be a string" "{\"name\": 7, \"boot\": {\"kernel\": \"$K\"}}"
bad "boot.kernel: must be an absolute path" '{"name": "x", "boot": {"kernel": "guest.elf"}}'
bad "boot.kernel: /nonexistent/guest.elf" '{"name": "x", "boot": {"kernel": "/nonexistent/guest.elf"}}'
bad "boot.kernel: /tmp: not a regular file" '{"name": "x", "boot": {"kernel": "/tmp"}}'
bad "boot.initrd: must be an absolute path" "{\"name\": \"x\", \"boot\": {\"kernel\": \"$K\", \"initrd\": \"rel\"}}"
bad "boot.cmdline: must not contain control characters" "{\"name\": \"x\", \"boot\": {\"kernel\": \"$K\", \"cmdline\": \"a\\u0001b\"}}"
bad "boot.cmdline: longer than" "{\"name\": \"x\", \"boot\": {\"kernel\": \"$K\", \"cmdline\": \"$(head -c 5000 /dev/zero | tr '\0' a)\"}}"
bad "name: must not contain NUL" "{\"name\": \"a\\u0000b\", \"boot\": {\"kernel\": \"$K\"}}"
bad "not valid JSON" "$(printf '[%.0s' $(seq 100))"
big="{\"name\": \"x\", \"boot\": {\"kernel\": \"$K\", \"cmdline\": \"$(head -c 70000 /dev/zero | tr '\0' a)\"}}"
t_check "refused (70 kB definition): the size limit" t_expect_error org.hvd1.Error.InvalidConfig "more than the limit" -- t_define "$big"
t_check "a UUID that another VM has: Exists" t_expect_error org.hvd1.Error.Exists -- \
        t_define "{\"name\": \"other\", \"uuid\": \"$uuid\", \"boot\": {\"kernel\": \"$K\"}}"
t_check "wrong argument type over D-Bus: InvalidArgs" t_expect_error org.freedesktop.DBus.Error.InvalidArgs -- \
        t_send /org/hvd1 org.hvd1.Manager.DefineVM int32:5
t_check "missing argument over D-Bus: InvalidArgs" t_expect_error org.freedesktop.DBus.Error.InvalidArgs -- \
        t_send /org/hvd1 org.hvd1.Manager.GetVM
t_check "extra argument over D-Bus: InvalidArgs" t_expect_error org.freedesktop.DBus.Error.InvalidArgs -- \
        t_send /org/hvd1/vm/demo org.hvd1.VM.Shutdown uint64:1 uint64:2
t_check "wrong type for Shutdown: InvalidArgs" t_expect_error org.freedesktop.DBus.Error.InvalidArgs -- \
        t_send /org/hvd1/vm/demo org.hvd1.VM.Shutdown string:soon
t_check "nothing was written by refused definitions" test "$(nfiles)" = "$before"
t_check "hvd survived all of it" hvd_alive
t_check "and still has one VM" test "$(t_get /org/hvd1 org.hvd1.Manager DefinedVMs)" = "u 1"

# --- callers without the rights (hvd runs as root; nobody is neither root nor in group hvd) ---
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [ "$(id -u)" = 0 ]; then
t_check "nobody may not define: AccessDenied" t_expect_error org.hvd1.Error.AccessDenied "uid 65534" -- \
        nobody dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1 org.hvd1.Manager.DefineVM "string:$(def evil)"
t_check "nobody may not undefine: AccessDenied" t_expect_error org.hvd1.Error.AccessDenied -- \
        nobody dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1 org.hvd1.Manager.UndefineVM string:demo
for m in Start Stop Pause Resume Reset OpenConsole GetConsoleLog; do
        t_check "nobody may not call $m: AccessDenied" t_expect_error org.hvd1.Error.AccessDenied -- \
                nobody dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1/vm/demo "org.hvd1.VM.$m"
done
t_check "nobody may read: ListVMs" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager ListVMs | grep -q demo"
t_check "nobody may read: properties" test "$(nobody busctl --user get-property org.hvd1 /org/hvd1/vm/demo org.hvd1.VM State)" = 's "shutoff"'
t_check "the refused calls changed nothing" test "$(nfiles)" = "$before"
else
        # running a client under another uid needs root; everything else here does not
        echo "NOTE: not root, so the checks of an unprivileged caller did not run (setpriv needs root)"
fi

# --- undefine ---
t_define "$(def gone)" >/dev/null
t_check "UndefineVM removes the VM" bash -c "busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager UndefineVM s gone && ! test -e '$SD/gone.json'"
t_check "... from the bus" t_expect_error org.hvd1.Error.NoSuchVM -- t_send /org/hvd1 org.hvd1.Manager.GetVM string:gone

# --- restart keeps every definition ---
t_define "$(printf '{"name": "auto", "boot": {"kernel": "%s"}, "autostart": true}' "$K")" >/dev/null
t_check "SIGTERM: hvd exits cleanly" t_stop_hvd TERM
t_start_hvd || exit 1
t_check "after a restart both VMs are back" test "$(t_get /org/hvd1 org.hvd1.Manager DefinedVMs)" = "u 2"
t_check "... with the same UUID" test "$(t_get /org/hvd1/vm/demo org.hvd1.VM UUID)" = "s \"$uuid\""
t_check "... and the same definition" test "$(t_get /org/hvd1/vm/demo org.hvd1.VM MemoryMiB)" = "t 128"
t_check "an autostart VM was started at start (its StateReason says so)" \
        bash -c "for i in \$(seq 200); do busctl --user get-property org.hvd1 /org/hvd1/vm/auto org.hvd1.VM StateReason State |
                 grep -Eq 'running|cannot build|autostart' && exit 0; sleep 0.05; done; exit 1"
out=$(XDG_STATE_HOME=$T_STATE XDG_RUNTIME_DIR=$T_RUN timeout 10 "$HVD_BIN" --user 2>&1) && st=0 || st=$?
t_check "a second hvd on the same state directory is refused" bash -c "test $st != 0 && grep -q 'another hvd' <<<'$out'"
t_stop_hvd TERM

# --- SIGKILL in the middle of defining 100 VMs leaves only whole definitions ---
t_start_hvd || exit 1
( for i in $(seq 1 100); do t_define "$(def "vm$i")" >/dev/null 2>&1 || true; done ) &
definer=$!
T_PIDS+=($definer)
for _ in $(seq 1 1000); do
        [ "$(ls "$SD" | grep -c '^vm')" -ge 20 ] && break
        sleep 0.005
done
kill -9 "$HVD_PID"
wait "$HVD_PID" 2>/dev/null || true
wait "$definer" 2>/dev/null || true
n=$(ls "$SD" | grep -c '^vm[0-9]*\.json$')
t_check "the kill came in the middle ($n of 100 written)" test "$n" -ge 20 -a "$n" -lt 100
t_check "every definition on disk is whole JSON naming its file" python3 -c '
import json, os, sys
d = sys.argv[1]
for f in os.listdir(d):
    if f.endswith(".json") and not f.startswith("."):
        j = json.load(open(os.path.join(d, f)))
        assert j["name"] + ".json" == f and len(j["uuid"]) == 36, f
' "$SD"
t_start_hvd || exit 1
total=$(ls "$SD" | grep -c '\.json$')
t_check "hvd restarted with every whole definition ($total)" test "$(t_get /org/hvd1 org.hvd1.Manager DefinedVMs)" = "u $total"
t_check "no temp file is left" test -z "$(ls -A "$SD" | grep '^\.' || true)"
t_check "nothing was skipped at load" bash -c "! grep -q skipping '$T_DIR/hvd.log'"
t_stop_hvd TERM

# --- command line and hvd.conf ---
t_check "--version" test "$("$HVD_BIN" --version)" = "hvd $(sed -n 's/^PACKAGE_VERSION = //p' "$HVD_TOP_BUILDDIR/Makefile")"
t_check "--help names the options" bash -c "'$HVD_BIN' --help | grep -q -- --state-dir"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        t_check "--check-host --json: exit 0 here (KVM works) and JSON on stdout" bash -c "set -o pipefail; '$HVD_BIN' --check-host --json | python3 -c 'import json,sys; json.load(sys.stdin)'"
        t_check "--check-host names the plugin that claimed the host" bash -c "'$HVD_BIN' --check-host | grep -q claimed"
else
        "$HVD_BIN" --check-host --json >"$T_DIR/host.json" && st=0 || st=$?
        t_check "--check-host --json without /dev/kvm: exit 1 and JSON on stdout" bash -c "test $st = 1 && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$T_DIR/host.json'"
        t_check "--check-host without /dev/kvm says why hvd cannot run VMs" bash -c \
                "'$HVD_BIN' --check-host | grep -q '/dev/kvm is not usable' && '$HVD_BIN' --check-host | grep -q 'cannot run VMs'"
fi
"$HVD_BIN" --bogus >/dev/null 2>&1 && st=0 || st=$?
t_check "an unknown option: exit 2" test "$st" = 2
out=$("$HVD_BIN" --user --config="$T_DIR/none.conf" 2>&1) && st=0 || st=$?
t_check "a missing --config file: exit 1, naming it" bash -c "test $st = 1 && grep -q none.conf <<<\"\$1\"" _ "$out"
printf '[hvd]\nMaxVMs = 2\nBogus = 1\n' >"$T_DIR/bad.conf"
out=$("$HVD_BIN" --user --config="$T_DIR/bad.conf" 2>&1) && st=0 || st=$?
t_check "a bad key in hvd.conf: exit 1, naming the line" bash -c "test $st = 1 && grep -q 'bad.conf:3: unknown key \"Bogus\"' <<<\"\$1\"" _ "$out"
printf 'x\n' >"$T_DIR/afile"
out=$("$HVD_BIN" --user --state-dir="$T_DIR/afile" --runtime-dir="$T_DIR/r4" 2>&1) && st=0 || st=$?
t_check "a --state-dir that is a file: exit 1, naming it and why" \
        bash -c "test $st = 1 && grep -q 'cannot open .*afile: Not a directory' <<<\"\$1\"" _ "$out"
out=$(env -u XDG_RUNTIME_DIR XDG_STATE_HOME="$T_DIR/s2" "$HVD_BIN" --user 2>&1) && st=0 || st=$?
t_check "user mode without XDG_RUNTIME_DIR: a clear error" bash -c "test $st = 1 && grep -q XDG_RUNTIME_DIR <<<\"\$1\"" _ "$out"

# MaxVMs, and Group= letting a group's members call methods
printf '# test\n[hvd]\nMaxVMs = 2\nGroup = %s\n' "$(getent group 65534 | cut -d: -f1)" >"$T_DIR/hvd.conf"
t_start_hvd --config="$T_DIR/hvd.conf" --state-dir="$T_DIR/s3" --runtime-dir="$T_DIR/r3" || exit 1
t_check "--state-dir is used" test -d "$T_DIR/s3"
t_define "$(def one)" >/dev/null
t_define "$(def two)" >/dev/null
t_check "MaxVMs = 2: a third VM gets LimitExceeded" t_expect_error org.hvd1.Error.LimitExceeded MaxVMs -- t_define "$(def three)"
t_check "... and nothing is written" test "$(ls "$T_DIR/s3")" = "$(printf 'one.json\ntwo.json')"
t_check "... a redefinition is still fine" t_define "$(def two)"
if [ "$(id -u)" = 0 ]; then
        t_check "a member of Group= may call methods" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1 org.hvd1.Manager.UndefineVM string:one >/dev/null"
        t_check "... and it took effect" test "$(ls "$T_DIR/s3")" = two.json
fi
t_stop_hvd TERM

t_done
