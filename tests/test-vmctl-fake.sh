#!/bin/sh
# Every vmctl verb against the fake org.hvd1 (tests/test-vmctl-fakehvd) on a private bus:
# outputs (table, key: value, JSON), every D-Bus error's exit code, refused transitions leaving
# the state unchanged, and the console on a pipe and on a terminal.
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
fake_start
V="$VMCTL --user"

# state NAME: the VM's state, from status --json
state() { $V --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["State"])'; }
# state_is NAME STATE WHAT
state_is() {
        s=$(state "$1" 2>&1)
        [ "$s" = "$2" ] && pass "$3: $1 is $2" || fail "$3: $1 is '$s', expected $2"
}

echo "== empty"
expect 0 "list, nothing defined" $V list
out_has "NAME  STATE  VCPUS  MEMORY" "list prints its header"
expect 0 "list --json, nothing defined" $V --json list
json 'j == []' "list --json is an empty array"

echo "== host"
expect 0 "host" $V host
out_has "CPUVendor:" "host names CPUVendor"
out_has "FakeVendor" "host shows the vendor"
out_has "MaxVCPUs:" "host names MaxVCPUs"
expect 0 "host --json" $V host --json
json 'j["CPUVendor"] == "FakeVendor" and j["MaxVCPUs"] == 8 and j["KVMAPIVersion"] == 12 and j["DefinedVMs"] == 0' \
        "host --json carries the Manager's properties with their types"

echo "== define"
printf '{"name": "web", "vcpus": 2, "memory_mib": 512}\n' > "$tmp/web.json"
expect 0 "define FILE" $V define "$tmp/web.json"
out_has "Defined VM web (/org/hvd1/vm/web)" "define names the VM and its path"
printf '{"name": "db", "vcpus": 4, "memory_mib": 2048}' > "$tmp/db.json"
expect_in "$tmp/db.json" 0 "define - (stdin)" $V --json define -
json 'j["Name"] == "db" and j["Path"] == "/org/hvd1/vm/db"' "define --json gives Name and Path"
expect 0 "redefine a shut-off VM" $V define "$tmp/web.json"

printf 'this is not json' > "$tmp/bad.json"
expect 5 "define: invalid JSON (InvalidConfig)" $V define "$tmp/bad.json"
err_has "vmctl: define $tmp/bad.json: definition is not a JSON object" "define: hvd's message, prefixed"
printf '{"vcpus": 1}' > "$tmp/noname.json"
expect 5 "define: no name" $V define "$tmp/noname.json"
err_has "field 'name'" "define: the message names the field"
expect 1 "define: missing file" $V define "$tmp/missing.json"
err_has "No such file or directory" "define: missing file: message"
expect 1 "define: a directory" $V define "$tmp"
head -c 1048577 /dev/zero | tr '\0' ' ' > "$tmp/huge.json"
expect 5 "define: larger than 1 MiB" $V define "$tmp/huge.json"
err_has "larger than 1024 KiB" "define: size message"
expect_in "$tmp/huge.json" 5 "define -: larger than 1 MiB on stdin" $V define -
head -c 1048576 /dev/zero | tr '\0' ' ' > "$tmp/big.json"
expect 5 "define: exactly 1 MiB reaches hvd (which rejects it)" $V define "$tmp/big.json"
err_has "not a JSON object" "define: 1 MiB was sent"
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
printf '{"name": "\360\237\220\247"}' > "$tmp/emoji.json"
expect 0 "define: a 4-byte UTF-8 name" $V define "$tmp/emoji.json"
expect 0 "undefine it" $V undefine "$(printf '\360\237\220\247')"
printf '{"name": "caf\303\251", "vcpus": 1}' > "$tmp/utf8.json"
expect 0 "define: valid UTF-8 name" $V define "$tmp/utf8.json"
expect 0 "status of a UTF-8 name" $V status "café"
expect 0 "undefine a UTF-8 name" $V undefine "café"
printf '{"name": "evil\\u001b[2J"}' > "$tmp/evil.json"
expect 0 "define: a name with an escape sequence" $V define "$tmp/evil.json"
out_has 'Defined VM evil\x1b[2J' "define: the name is printed escaped"
expect 0 "list with that VM" $V list
out_has 'evil\x1b[2J  shutoff' "list: control characters escaped, columns kept"
expect 0 "status with that VM" $V status "$(printf 'evil\033[2J')"
out_has 'Name:        evil\x1b[2J' "status: escaped"
expect 0 "list --json with that VM" $V --json list
json 'any(v["Name"] == "evil\x1b[2J" for v in j)' "list --json: the name exact (JSON escapes it)"
expect 0 "undefine it" $V undefine "$(printf 'evil\033[2J')"
: > "$tmp/empty.json"
expect 5 "define: empty file" $V define "$tmp/empty.json"

echo "== every org.hvd1 error maps to its exit code"
for pair in NoSuchVM:3 InvalidConfig:5 InvalidState:4 Exists:9 AccessDenied:6 Timeout:7 \
        NotSupported:10 LimitExceeded:11 Failed:1; do
        err=${pair%%:*} code=${pair##*:}
        printf '{"error": "org.hvd1.Error.%s"}' "$err" > "$tmp/err.json"
        expect "$code" "org.hvd1.Error.$err" $V define "$tmp/err.json"
        err_has "asked to fail with org.hvd1.Error.$err" "org.hvd1.Error.$err: message"
done
printf '{"error": "org.example.Error.Unheard"}' > "$tmp/err.json"
expect 1 "an unknown error name" $V define "$tmp/err.json"

echo "== list and status"
expect 0 "list" $V list
out_has "web   shutoff  2      512 MiB" "list: web's row"
out_has "db    shutoff  4      2048 MiB" "list: db's row"
expect 0 "list --json" $V list --json
json 'sorted(v["Name"] for v in j) == ["db", "web"]' "list --json: names"
json 'all(v["State"] == "shutoff" and v["Path"].startswith("/org/hvd1/vm/") and len(v["UUID"]) == 36 for v in j)' \
        "list --json: state, path, UUID"
json '[(v["VCPUs"], v["MemoryMiB"]) for v in j if v["Name"] == "web"] == [(2, 512)]' "list --json: VCPUs, MemoryMiB"
expect 0 "status" $V status web
out_has "State:" "status: State line"
out_has "shutoff" "status: the state"
out_has "VCPUs:       2" "status: aligned VCPUs line"
out_has "Path:        /org/hvd1/vm/web" "status: object path"
out_lacks "Definition" "status: the definition is left to --json"
expect 0 "status --json" $V --json status web
json 'j["Name"] == "web" and j["State"] == "shutoff" and j["MemoryMiB"] == 512 and j["Autostart"] is False' \
        "status --json: properties"
json 'j["Definition"] == {"name": "web", "vcpus": 2, "memory_mib": 512}' "status --json: definition nested as JSON"
expect 3 "status of an unknown VM" $V status nosuch
err_has "vmctl: status nosuch: no VM named 'nosuch'" "status nosuch: message"

echo "== lifecycle and refused transitions"
for verb in start shutdown stop pause resume reset undefine console; do
        expect 3 "$verb of an unknown VM" $V $verb nosuch
        err_has "vmctl: $verb nosuch: no VM named 'nosuch'" "$verb nosuch: message"
done
expect 3 "console --log of an unknown VM" $V console --log nosuch
for verb in shutdown stop pause resume reset console; do
        expect 4 "$verb of a shut-off VM" $V $verb web
        err_has "vmctl: $verb web: " "$verb web: message prefix"
        state_is web shutoff "$verb refused"
done
expect 0 "start" $V start web
state_is web running "start"
expect 4 "start of a running VM" $V start web
err_has "it is running" "start twice: hvd's reason"
state_is web running "second start refused"
expect 4 "resume of a running VM" $V resume web
state_is web running "resume refused"
expect 4 "undefine of a running VM" $V undefine web
state_is web running "undefine refused"
expect 9 "redefine of a running VM (Exists)" $V define "$tmp/web.json"
expect 0 "pause" $V pause web
state_is web paused "pause"
expect 4 "pause of a paused VM" $V pause web
expect 4 "reset of a paused VM" $V reset web
state_is web paused "refusals"
expect 0 "resume" $V resume web
state_is web running "resume"
expect 0 "reset" $V reset web
state_is web running "reset"
expect 0 "shutdown" $V shutdown web
state_is web shutoff "shutdown"
expect 0 "start again" $V start web
expect 0 "stop" $V stop web
state_is web shutoff "stop"
expect 0 "host counts" $V --json host
json 'j["DefinedVMs"] == 2 and j["RunningVMs"] == 0' "host: DefinedVMs, RunningVMs"

printf '{"name": "stubborn", "ignore_shutdown": true}' > "$tmp/stubborn.json"
expect 0 "define stubborn" $V define "$tmp/stubborn.json"
expect 0 "start stubborn" $V start stubborn
expect 7 "shutdown of a guest that ignores it (Timeout)" $V shutdown --timeout 3 stubborn
err_has "did not stop within 3 s" "shutdown: --timeout reaches hvd in µs"
expect 7 "shutdown, default timeout" $V shutdown stubborn
err_has "did not stop within 60 s" "shutdown: default 60 s"
expect 7 "shutdown --timeout 0.5" $V shutdown --timeout 0.5 stubborn
state_is stubborn running "shutdown timed out"
expect 0 "stop stubborn" $V stop stubborn
expect 0 "undefine stubborn" $V undefine stubborn
expect 3 "stubborn is gone" $V status stubborn

echo "== console on a pipe"
expect 0 "start web" $V start web
expect 0 "console --log" $V console --log web
out_has "web booted" "console --log: what the guest printed"
printf 'hello console\n' > "$tmp/in"
expect_in "$tmp/in" 0 "console from a pipe" $V console --timeout 1 web
out_has "hello console" "console: the guest's echo reaches stdout"
expect 0 "console --log after" $V console --log web
out_has "hello console" "console --log has the echo"
expect 2 "console: invalid --timeout" $V console --log --timeout x web

# The VM stopping closes the console: vmctl must exit 0 on its own (input still open).
mkfifo "$tmp/fifo"
exec 7<>"$tmp/fifo"
$V console web <"$tmp/fifo" >"$tmp/attached.out" 2>"$tmp/attached.err" &
cpid=$!
sleep 0.3
expect 0 "stop while attached" $V stop web
i=0
while kill -0 "$cpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$cpid" 2>/dev/null; then
        kill "$cpid"; fail "console did not exit when hvd closed it"
else
        crc=0; wait "$cpid" || crc=$?
        [ $crc -eq 0 ] && pass "console exits 0 when hvd closes it" || fail "console exit $crc: $(cat "$tmp/attached.err")"
fi
exec 7>&-

# watch PID WHAT: PID must end by itself within 10 s with status 0 (else it is killed: fail)
watch() {
        i=0
        while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$1" 2>/dev/null; then
                kill -9 "$1"; wait "$1" 2>/dev/null; fail "$2: still running after 10 s"
                return
        fi
        wrc=0; wait "$1" || wrc=$?
        [ $wrc -eq ${3:-0} ] && pass "$2 (exit $wrc)" || fail "$2: exit $wrc, expected ${3:-0}"
}
# The reader leaves (EPIPE): vmctl ends quietly with 0, its input still flowing.
$V start web
( yes | $V console web 2>"$tmp/epipe.err" &
  echo $! >"$tmp/epipe.pid"; st=0; wait $! || st=$?; echo $st >"$tmp/epipe.rc" ) | head -c 3 >/dev/null &
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
$V stop web

# A guest that never reads: megabytes of input cannot block vmctl past --timeout or a signal.
printf '{"name": "deaf", "deaf": true}' > "$tmp/deaf.json"
$V define "$tmp/deaf.json" >/dev/null && $V start deaf
head -c 4000000 /dev/zero > "$tmp/zeros"
$V console --timeout 1 deaf <"$tmp/zeros" >/dev/null 2>"$tmp/deaf.err" &
watch $! "console to a deaf guest ends at --timeout"
$V console deaf <"$tmp/zeros" >/dev/null 2>"$tmp/deaf.err" &
cpid=$!
sleep 0.5
kill -TERM "$cpid"
watch "$cpid" "console to a deaf guest ends on SIGTERM" 143
$V stop deaf >/dev/null && $V undefine deaf

echo "== console on a terminal"
expect 0 "start web" $V start web
if pty_check web detach "ping" "ping" >"$tmp/pty.out" 2>&1; then pass "console on a terminal, Ctrl-]"; else fail "console on a terminal, Ctrl-]"; fi
cat "$tmp/pty.out"
expect 0 "console --log after detaching" $V console --log web
out_has "before" "bytes before Ctrl-] were sent"
out_lacks "after" "bytes after Ctrl-] were not"
if pty_check web sigterm "ping" "ping" >"$tmp/pty.out" 2>&1; then pass "console on a terminal, SIGTERM"; else fail "console on a terminal, SIGTERM"; fi
cat "$tmp/pty.out"

echo "== undefine"
expect 0 "stop web" $V stop web
expect 0 "undefine web" $V undefine web
expect 0 "undefine db" $V undefine db
expect 0 "list --json" $V --json list
json 'j == []' "everything undefined"

echo "== list without an ObjectManager (ListVMs, then GetAll per VM)"
$V define "$tmp/web.json" >/dev/null && $V define "$tmp/db.json" >/dev/null
$V start db
$V list > "$tmp/list.om"
$V --json list > "$tmp/list-json.om"
fake_restart --no-object-manager
$V define "$tmp/web.json" >/dev/null && $V define "$tmp/db.json" >/dev/null
$V start db
expect 0 "list" $V list
cmp -s "$tmp/out" "$tmp/list.om" && pass "the same table both ways" || fail "tables differ: $(cat "$tmp/out") vs $(cat "$tmp/list.om")"
out_has "db    running  4      2048 MiB" "list: sorted, with details"
expect 0 "list --json" $V --json list
cmp -s "$tmp/out" "$tmp/list-json.om" && pass "the same JSON both ways" || fail "JSON differs"

echo "== a server that breaks the contract"
fake_restart --hostile
expect 0 "host: properties of every type" $V host
out_has 'Nested:  {"inner":{"deep":-7},"list":["a","\"quoted\""],"pair":[1,true]}' "host: nested containers as JSON text"
out_has 'Structs: [["x",1,18446744073709551615],["",0,0]]' "host: structures, uint64 max"
out_has "Bytes:   [0,1,255]" "host: bytes"
out_has 'IntKeys: {"-1":-9223372036854775808,"2":9223372036854775807}' "host: dictionaries with integer keys"
out_has 'Text:    control\x01\x0acharacters' "host: control characters from hvd are escaped"
expect 0 "host --json" $V --json host
json 'j["Nested"]["inner"]["deep"] == -7 and j["Nested"]["list"] == ["a", "\"quoted\""] and j["Structs"][0][2] == 2**64 - 1 and j["Double"] == 0.5 and j["Text"] == "control\x01\ncharacters"' \
        "host --json: values survive the trip"
expect 1 "list: ListVMs of the wrong type" $V list
err_has "vmctl: list: unexpected reply from hvd" "list: an error, not a crash"
for verb in status start console shutdown; do
        expect 1 "$verb: GetVM of the wrong type" $V $verb vm
        err_has "vmctl: $verb vm: unexpected reply from hvd" "$verb: an error, not a crash"
done
finish
