#!/bin/sh
# vmctl driving the real hvd --user (temp XDG directories, a private bus) with the echo test
# guest on KVM: every verb in its human and --json forms, refused transitions (exit 4, state
# unchanged), hvd's NoSuchVM/InvalidState/InvalidConfig/Exists/NotSupported as exit codes,
# what vmctl itself refuses to send (size, NUL, bad UTF-8), hostile names and UTF-8 in
# definitions, every VM at once (--all). The console is in test-vmctl-hvd-console.sh, limits,
# access and hvd's failures in test-vmctl-hvd-errors.sh.
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
hvd_start

echo "== host"
expect 0 "host" $V host
out_has "CPUVendor:" "host: CPUVendor"
out_has "KVMAPIVersion: 12" "host: KVMAPIVersion, aligned"
out_has "DefinedVMs:    0" "host: DefinedVMs"
expect 0 "host --json" $V --json host
json 'j["KVMAPIVersion"] == 12 and j["MaxVCPUs"] > 0 and isinstance(j["Version"], str) and j["DefinedVMs"] == 0 and j["RunningVMs"] == 0' \
        "host --json: hvd's Manager properties with their types"
json 'set(j) == {"Version", "CPUVendor", "VendorPlugin", "KVMModule", "KVMAPIVersion", "MaxVCPUs", "MaxMemoryMiB", "DirtyLogModes", "DefinedVMs", "RunningVMs"}' \
        "host --json: exactly the Manager's properties"

echo "== empty"
expect 0 "list, nothing defined" $V list
out_has "NAME  STATE  VCPUS  MEMORY" "list: the header alone"
expect 0 "list --json, nothing defined" $V --json list
json 'j == []' "list --json: an empty array"

echo "== define"
def echo
expect 0 "define FILE" $V define "$tmp/echo.json"
out_has "Defined VM echo (/org/hvd1/vm/echo)" "define: name and path"
expect_in "$tmp/echo.json" 0 "redefine a shut-off VM, from stdin" $V --json define -
json 'j == {"Name": "echo", "Path": "/org/hvd1/vm/echo"}' "define --json: Name and Path"
printf '{"name": "db", "vcpus": 2, "memory_mib": 64, "boot": {"kernel": "%s"}}' "$G/echo.elf" > "$tmp/db.json"
expect 0 "define a second VM" $V define "$tmp/db.json"

printf '{"name": "bad", "vcpus": 0, "boot": {"kernel": "%s"}}' "$G/echo.elf" > "$tmp/bad.json"
expect 5 "define: 0 vCPUs (InvalidConfig)" $V define "$tmp/bad.json"
err_has "vmctl: define $tmp/bad.json: " "define: message prefix"
err_has "vcpus" "define: hvd names the field"
printf '{"name": "nok", "boot": {"kernel": "%s/nosuch.elf"}}' "$tmp" > "$tmp/nok.json"
expect 5 "define: a kernel that does not exist" $V define "$tmp/nok.json"
printf 'this is not json' > "$tmp/junk.json"
expect 5 "define: not JSON" $V define "$tmp/junk.json"
printf '{"vcpus": 1}' > "$tmp/noname.json"
expect 5 "define: no name" $V define "$tmp/noname.json"
err_has "name" "define: no name: hvd says which field"
: > "$tmp/empty.json"
expect 5 "define: empty file" $V define "$tmp/empty.json"
expect 3 "bad was not defined" $V status bad

echo "== what vmctl refuses to send"
expect 1 "define: missing file" $V define "$tmp/missing.json"
err_has "No such file or directory" "define: missing file: message"
expect 1 "define: a directory" $V define "$tmp"
head -c 1048577 /dev/zero | tr '\0' ' ' > "$tmp/huge.json"
expect 5 "define: larger than 1 MiB" $V define "$tmp/huge.json"
err_has "larger than 1024 KiB" "define: size message"
expect_in "$tmp/huge.json" 5 "define -: larger than 1 MiB on stdin" $V define -
head -c 1048576 /dev/zero | tr '\0' ' ' > "$tmp/big.json"
expect 5 "define: exactly 1 MiB reaches hvd (which rejects it)" $V define "$tmp/big.json"
err_lacks "larger than" "define: 1 MiB is hvd's to judge"
printf '{"name": "a\0b"}' > "$tmp/nul.json"
expect 5 "define: NUL byte" $V define "$tmp/nul.json"
err_has "byte 11 is a NUL byte" "define: NUL byte: offset"
printf '{"name": "\377"}' > "$tmp/latin.json"
expect 5 "define: invalid UTF-8" $V define "$tmp/latin.json"
err_has "byte 10 is not valid UTF-8" "define: invalid UTF-8: offset"
printf '{"name": "\355\240\200"}' > "$tmp/surrogate.json"
expect 5 "define: UTF-8 surrogate" $V define "$tmp/surrogate.json"
printf '{"name": "\300\257"}' > "$tmp/overlong.json"
expect 5 "define: overlong UTF-8" $V define "$tmp/overlong.json"
printf '{"name": "\364\220\200\200"}' > "$tmp/beyond.json"
expect 5 "define: UTF-8 beyond U+10FFFF" $V define "$tmp/beyond.json"
printf '{"name": "x"}\342\202' > "$tmp/truncated.json"
expect 5 "define: UTF-8 sequence cut at the end" $V define "$tmp/truncated.json"
err_has "byte 13 is not valid UTF-8" "define: truncated: offset"

echo "== hostile names, UTF-8 in definitions"
# hvd's names are [A-Za-z0-9._-] and it refuses control characters in any string; a name
# hvd does not know comes back quoted in its message, control characters and all: vmctl
# must print them escaped.
printf '{"name": "evil\\u001b[2J", "boot": {"kernel": "%s"}}' "$G/echo.elf" > "$tmp/evil.json"
expect 5 "define: a name with an escape sequence" $V define "$tmp/evil.json"
err_has "control characters" "define: hvd's reason"
expect 3 "status of a name with an escape sequence" $V status "$(printf 'evil\033[2J\007')"
err_has 'vmctl: status evil\x1b[2J\x07: ' "status: the name escaped in vmctl's prefix"
err_has "no VM named 'evil\\x1b[2J\\x07' (not a valid name)" "status: hvd's message quotes it, vmctl escapes it"
no_control "$tmp/err" "status: nothing raw on stderr"
expect 3 "start of a name with an escape sequence" $V start "$(printf 'a\033]0;pwned\007')"
no_control "$tmp/err" "start: nothing raw on stderr"
printf '{"name": "caf\303\251", "boot": {"kernel": "%s"}}' "$G/echo.elf" > "$tmp/utf8.json"
expect 5 "define: a UTF-8 name (hvd allows ASCII names only)" $V define "$tmp/utf8.json"
err_has "café" "define: the UTF-8 name printed as it is"
expect 3 "status of a UTF-8 name" $V status "café"
err_has "no VM named 'café'" "status: UTF-8 passes through unescaped"
for name in "../../etc" "-rf" ".hidden" "a/b" "$(head -c 300 /dev/zero | tr '\0' a)"; do
        expect 3 "status of '$(printf '%.20s' "$name")'" $V status -- "$name"
done
expect 2 "an empty name" $V status ""
# UTF-8 and spaces where hvd allows them: the kernel's path and the command line.
mkdir -p "$tmp/dir é"
cp "$G/echo.elf" "$tmp/dir é/k ernel€.elf"
printf '{"name": "utf", "boot": {"kernel": "%s", "cmdline": "mode=line greeting=h\303\251llo\360\237\220\247"}}' \
        "$tmp/dir é/k ernel€.elf" > "$tmp/utf.json"
expect 0 "define: UTF-8 and spaces in the kernel path and command line" $V define "$tmp/utf.json"
expect 0 "status --json of it" $V --json status utf
json 'j["Definition"]["boot"]["kernel"].endswith("/dir \u00e9/k ernel\u20ac.elf") and j["Definition"]["boot"]["cmdline"] == "mode=line greeting=h\u00e9llo\U0001f427"' \
        "status --json: UTF-8 survives hvd and vmctl exactly"
expect 0 "start it" $V start utf
if log_has utf "echo: ready"; then pass "a guest from a UTF-8 path boots"; else fail "utf did not boot"; fi
expect 0 "stop it" $V stop utf
# a kernel that disappears after define: Start fails with InvalidConfig, the VM stays off
rm "$tmp/dir é/k ernel€.elf"
expect 5 "start with the kernel gone (InvalidConfig)" $V start utf
err_has "boot.kernel: $tmp/dir é/k ernel€.elf: No such file" "start: hvd's reason, UTF-8 intact"
state_is utf shutoff "a failed start"
expect 0 "status" $V status utf
out_has "StateReason: boot.kernel: " "status: hvd's reason for the failed start"
expect 0 "undefine utf" $V undefine utf

echo "== list, status"
expect 0 "list" $V list
out_has "NAME  STATE    VCPUS  MEMORY" "list: header sized to the columns"
out_has "db    shutoff  2      64 MiB" "list: db's row"
out_has "echo  shutoff  1      32 MiB" "list: echo's row"
[ "$(sed -n 2p "$tmp/out" | cut -c1-4)" = "db  " ] && pass "list: sorted by name" || fail "list: not sorted: $(cat "$tmp/out")"
expect 0 "list --json" $V list --json
json '[v["Name"] for v in j] == ["db", "echo"]' "list --json: names, sorted"
json 'all(v["State"] == "shutoff" and v["Path"] == "/org/hvd1/vm/" + v["Name"] and len(v["UUID"]) == 36 for v in j)' \
        "list --json: state, path, UUID"
json '[(v["VCPUs"], v["MemoryMiB"]) for v in j] == [(2, 64), (1, 32)]' "list --json: VCPUs, MemoryMiB as numbers"
expect 0 "status" $V status echo
out_has "Name:        echo" "status: aligned Name line"
out_has "State:       shutoff" "status: State"
out_has "VCPUs:       1" "status: VCPUs"
out_has "MemoryMiB:   32" "status: MemoryMiB"
out_has "Autostart:   no" "status: Autostart"
out_has "Path:        /org/hvd1/vm/echo" "status: object path"
out_lacks "Definition" "status: the definition is left to --json"
expect 0 "status --json" $V --json status echo
json 'j["Name"] == "echo" and j["State"] == "shutoff" and j["MemoryMiB"] == 32 and j["Autostart"] is False and j["Path"] == "/org/hvd1/vm/echo"' \
        "status --json: properties"
json 'j["Definition"]["name"] == "echo" and j["Definition"]["boot"]["kernel"] == "'"$G"'/echo.elf"' \
        "status --json: the definition nested as JSON"

echo "== NoSuchVM for every verb"
for verb in status start shutdown stop pause resume reset undefine console; do
        expect 3 "$verb of an unknown VM" $V $verb nosuch
        err_has "vmctl: $verb nosuch: no VM named 'nosuch'" "$verb nosuch: hvd's message, prefixed"
done
expect 3 "console --log of an unknown VM" $V console --log nosuch

echo "== refused transitions on a shut-off VM"
for verb in stop pause resume reset shutdown; do
        expect 4 "$verb of a shut-off VM" $V $verb echo
        err_has "vmctl: $verb echo: VM 'echo' is" "$verb: hvd's reason, prefixed"
        state_is echo shutoff "$verb refused"
done

echo "== running"
expect 0 "start" $V start echo
state_is echo running "start"
if log_has echo "echo: ready"; then pass "console --log: the guest booted"; else fail "no 'echo: ready' in the log"; fi
expect 0 "host counts a running VM" $V --json host
json 'j["DefinedVMs"] == 2 and j["RunningVMs"] == 1' "host --json: DefinedVMs, RunningVMs"
expect 0 "list while running" $V list
out_has "echo  running  1      32 MiB" "list: running"
expect 4 "start of a running VM" $V start echo
err_has "VM 'echo' is running" "start twice: hvd's reason"
state_is echo running "start refused"
expect 4 "resume of a running VM" $V resume echo
state_is echo running "resume refused"
expect 4 "undefine of a running VM" $V undefine echo
state_is echo running "undefine refused"
expect 4 "redefine of a running VM" $V define "$tmp/echo.json"
err_has "shut it off to redefine it" "redefine: hvd's reason"
state_is echo running "redefine refused"

expect 0 "pause" $V pause echo
state_is echo paused "pause"
expect 0 "status --json of a paused VM" $V --json status echo
json 'j["StateReason"] == "paused by request"' "status --json: StateReason"
expect 4 "pause of a paused VM" $V pause echo
expect 4 "start of a paused VM" $V start echo
expect 4 "shutdown of a paused VM" $V shutdown echo
state_is echo paused "refusals while paused"
expect 0 "resume" $V resume echo
state_is echo running "resume"
expect 0 "reset" $V reset echo
state_is echo running "reset"
i=0
while [ "$($V console --log echo | grep -c 'echo: ready')" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ $i -lt 200 ] && pass "reset: the guest booted again" || fail "reset: one boot in the log: $($V console --log echo)"

# hvd cannot ask a guest to power off yet (no Ctrl-Alt-Del path): Shutdown waits its timeout
# for the guest to stop on its own, then fails with Timeout (exit 7) and says why.
run $V shutdown --timeout 1 echo
if [ "$rc" = 7 ]; then pass "shutdown of a guest that cannot be asked: Timeout (exit 7)"
else fail "shutdown: exit $rc, wanted 7: $(cat "$tmp/err")"; fi
err_has "did not shut down in time" "shutdown: hvd's reason"
err_has "cannot be asked to shut down" "shutdown: says the guest could not be asked"
state_is echo running "shutdown not honoured"
expect 2 "shutdown: a negative --timeout" $V shutdown --timeout -1 echo
expect 2 "shutdown: --timeout not a number" $V shutdown --timeout 1x echo
state_is echo running "usage errors"
expect 0 "stop" $V stop echo
state_is echo shutoff "stop"
expect 0 "status --json after stop" $V --json status echo
json 'j["StateReason"] == "stopped by request"' "status --json: why it stopped"

echo "== Exists: a UUID already taken"
uuid=$($V --json status echo | python3 -c 'import json,sys; print(json.load(sys.stdin)["UUID"])')
def twin ", \"uuid\": \"$uuid\""
expect 9 "define another VM with echo's UUID (Exists)" $V define "$tmp/twin.json"
err_has "VM 'echo'" "Exists: hvd names the owner"
expect 3 "twin was not defined" $V status twin

echo "== the guest ending on its own"
expect 0 "start" $V start echo
printf 'quit\n' > "$tmp/quit"
expect_in "$tmp/quit" 0 "console: quit" $V console --timeout 2 echo
out_has "echo: bye" "console: the guest says bye"
if wait_state echo shutoff; then pass "the guest exited: shutoff"; else fail "echo is $(state echo) after quit"; fi

echo "== every VM at once: shutdown --all, stop --all"
expect 0 "shutdown --all, nothing running" $V shutdown --all
out_has "No running VM to shut down." "shutdown --all: says there is nothing to do"
expect 0 "stop --all, nothing running" $V stop --all
out_has "No VM to stop: all are shut off." "stop --all: says there is nothing to do"
expect 0 "start echo" $V start echo
expect 0 "start db" $V start db
# Neither guest can be asked to shut down yet (see above): both calls time out. They are in
# flight together, so the two 3 s waits overlap; one after the other would take 6 s.
t0=$(date +%s%N)
run $V shutdown --all --timeout 3
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 7 ] && pass "shutdown --all: both timed out: exit 7" || fail "shutdown --all: exit $rc, wanted 7: $(cat "$tmp/err")"
err_has "vmctl: shutdown db: VM 'db' did not shut down in time" "shutdown --all: names db"
err_has "vmctl: shutdown echo: VM 'echo' did not shut down in time" "shutdown --all: names echo"
[ -s "$tmp/out" ] && fail "shutdown --all: stdout $(cat "$tmp/out")" || pass "shutdown --all: no VM claimed shut down"
[ "$ms" -lt 6000 ] && pass "shutdown --all: the waits overlap (${ms} ms)" || fail "shutdown --all took ${ms} ms: one VM after the other?"
state_is echo running "shutdown --all not honoured"
state_is db running "shutdown --all not honoured"
expect 0 "stop --all" $V stop --all
out_has "db: stopped" "stop --all: db's line"
out_has "echo: stopped" "stop --all: echo's line"
state_is echo shutoff "stop --all"
state_is db shutoff "stop --all"
expect 0 "start echo" $V start echo
expect 0 "start db" $V start db
expect 0 "pause db" $V pause db
expect 1 "shutdown --all, one guest paused, one that times out" $V shutdown --all --timeout 1
err_has "vmctl: shutdown db: VM 'db' is paused: a paused guest cannot shut down" "shutdown --all: says a paused guest cannot"
err_has "vmctl: shutdown echo: VM 'echo' did not shut down in time" "shutdown --all: echo still asked"
state_is db paused "shutdown --all skips a paused VM"
expect 0 "--json stop --all, one running, one paused" $V --json stop --all
json 'j == [{"name": "db", "result": "ok"}, {"name": "echo", "result": "ok"}]' "stop --all --json: both stopped"
state_is echo shutoff "stop --all of a running VM"
state_is db shutoff "stop --all of a paused VM"
expect 2 "stop --all with a name" $V stop --all echo

echo "== undefine"
expect 0 "undefine" $V undefine echo
[ -s "$tmp/out" ] && fail "undefine printed: $(cat "$tmp/out")" || pass "undefine is quiet"
expect 3 "undefined" $V status echo
expect 3 "undefine twice" $V undefine echo
expect 0 "undefine db" $V undefine db
expect 0 "list --json" $V --json list
json 'j == []' "nothing left"
expect 0 "host --json" $V --json host
json 'j["DefinedVMs"] == 0 and j["RunningVMs"] == 0' "host: counts back to 0"
finish
