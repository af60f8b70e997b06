#!/bin/sh
# vmctl against a deliberately broken org.hvd1 (tests/test-vmctl-hostile-server): replies no
# hvd sends, to test vmctl's handling of bad replies. vmctl must never crash or hang, must
# escape every control character it prints for people, keep values exact in --json, and turn
# what it cannot use into "unexpected reply from hvd" (exit 1) or the error's exit code.
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
HOSTILE=$HVD_TOP_BUILDDIR/tests/test-vmctl-hostile-server
bus_start
server_pid=
# server MODE: (re)starts the hostile server in MODE, waits until it owns org.hvd1
server() {
        local i
        if [ -n "$server_pid" ]; then
                kill "$server_pid" 2>/dev/null || true
                wait "$server_pid" 2>/dev/null || true
        fi
        : > "$tmp/ready"
        "$HOSTILE" "$1" >"$tmp/ready" 2>>"$tmp/hostile.log" &
        server_pid=$!
        pids="$pids $server_pid"
        for i in $(seq 200); do
                [ -s "$tmp/ready" ] && return 0
                sleep 0.05
        done
        echo "the hostile server did not start: $(cat "$tmp/hostile.log")" >&2
        exit 99
}
# the name is owned once the server said "ready"; the bus may take a moment to route to it
unexpected() { err_has "unexpected reply from hvd" "$1: reported, not crashed"; }

echo "== types: values of every D-Bus type, missing properties, huge and control strings"
server types
expect 0 "host" $V host
out_has 'Nested:    {"inner":{"deep":-7},"list":["a","\"quoted\""],"pair":[1,true]}' "host: nested containers as JSON text"
out_has 'Structs:   [["x",1,18446744073709551615],["",0,0]]' "host: structures, uint64 max"
out_has "Bytes:     [0,1,255]" "host: bytes"
out_has 'IntKeys:   {"-1":-9223372036854775808,"2":9223372036854775807}' "host: dictionaries with integer keys"
out_has 'Text:      control\x01\x0acharacters\x1b[2J\x7f' "host: control characters escaped"
out_has "Empty:     []" "host: an empty array"
no_control "$tmp/out" "host: nothing raw on stdout"
[ "$(grep '^Huge:' "$tmp/out" | wc -c)" -gt 1048576 ] && pass "host: a 1 MiB string whole" || fail "host: the huge string was cut"
expect 0 "host --json" $V --json host
json 'j["Nested"]["inner"]["deep"] == -7 and j["Nested"]["list"] == ["a", "\"quoted\""] and j["Structs"][0][2] == 2**64 - 1 and j["Double"] == 0.5 and j["Text"] == "control\x01\ncharacters\x1b[2J\x7f" and len(j["Huge"]) == 1048576 and j["Signature"] == "a{sv}"' \
        "host --json: values exact"
expect 0 "list: a VM with odd properties, one with none, objects that are not VMs" $V list
out_has 'evil\x1b[2J\x07  running\x0d\x0a\x1b[31mred  -      -' "list: escaped, details of the wrong type left out"
out_lacks "not a VM" "list: only org.hvd1.VM objects"
out_lacks "other" "list: only org.hvd1.VM objects (2)"
no_control "$tmp/out" "list: nothing raw on stdout"
[ "$(wc -l < "$tmp/out")" -eq 3 ] && pass "list: two rows" || fail "list: $(cat "$tmp/out")"
expect 0 "list --json" $V --json list
json 'len(j) == 2 and j[1]["Name"] == "evil\x1b[2J\x07" and j[1]["VCPUs"] == "lots" and "MemoryMiB" not in j[1] and j[1]["UUID"] == ""' \
        "list --json: the values as sent, missing ones empty"
json 'j[0]["Path"] == "/org/hvd1/vm/bare" and j[0]["Name"] == "" and j[0]["State"] == ""' "list --json: a VM without properties"
expect 0 "status" $V status x
out_has 'Name:        evil\x1b[2J\x07' "status: escaped"
out_has 'VCPUs:       lots' "status: a value of the wrong type shown as it is"
no_control "$tmp/out" "status: nothing raw on stdout"
expect 0 "status --json" $V --json status x
json 'j["Definition"] == "{not json\x07" and len(j["StateReason"]) == 1048576' "status --json: a definition that is not JSON stays a string"
expect 0 "console --log: raw bytes, NULs and all" $V console --log x
printf 'log\0with NUL\033[2J\377\376' | cmp -s - "$tmp/out" && pass "console --log: bytes exact" || fail "console --log: $(od -c "$tmp/out" | head -3)"
expect 1 "console: OpenConsole without an fd" $V console x
unexpected "console without an fd"
expect 1 "console: an fd that is not a socket" $V console --timeout 5 badfd
err_has "vmctl: console badfd: " "console on a pipe fd: an error, not a hang"

echo "== wrong signatures"
server wrong-signatures
for cmd in list host "status x" "start x" "shutdown x" "console x" "console --log x" "define $tmp/d.json" \
        "shutdown --all" "stop --all"; do
        echo '{"name": "x"}' > "$tmp/d.json"
        expect 1 "$cmd" $V $cmd
        unexpected "$cmd"
done
expect 1 "--json list" $V --json list
unexpected "list --json"
[ -s "$tmp/out" ] && fail "list --json printed half a result: $(cat "$tmp/out")" || pass "list --json: nothing on stdout"

echo "== no ObjectManager: ListVMs, then GetAll per VM that fails or lies"
server no-object-manager
expect 0 "list" $V list
out_has 'ctl\x1b[2J  \x07     4294967295  18446744073709551615 MiB' "list: escaped names, uint32 and uint64 max"
out_has 'gone        shutoff  -           -' "list: a VM whose GetAll fails keeps its row"
out_has 'liar        running  -           -' "list: details of the wrong type left out, not shown as 0"
no_control "$tmp/out" "list: nothing raw"
expect 0 "list --json" $V --json list
json '[v["Name"] for v in j] == ["ctl\x1b[2J", "gone", "liar"] and j[0]["VCPUs"] == 2**32 - 1 and j[0]["MemoryMiB"] == 2**64 - 1 and "VCPUs" not in j[1]' \
        "list --json: sorted, exact, missing details left out"

echo "== errors hvd does not send"
server errors
expect 1 "an error name outside the contract" $V status Unheard
err_has "vmctl: status Unheard: asked for org.example.Error.Unheard" "unknown error: its message"
expect 1 "an org.hvd1 error name the contract lacks" $V status NoSuchThing
expect 7 "org.hvd1.Error.Timeout (hvd cannot send it yet)" $V status Timeout
expect 7 "org.freedesktop.DBus.Error.NoReply" $V status NoReply
expect 4 "an error without a message" $V status empty
err_has "vmctl: status empty: org.hvd1.Error.InvalidState" "no message: the error's name instead"
expect 1 "a message with control characters" $V status control
err_has 'bad\x1b[2J\x0d\x0athing\x07' "the message escaped"
no_control "$tmp/err" "nothing raw on stderr"
expect 5 "a 1 MiB message" $V status huge
[ "$(wc -c < "$tmp/err")" -gt 1048576 ] && pass "the huge message whole" || fail "the huge message: $(wc -c < "$tmp/err") bytes"

echo "== VERB --all: states, outcomes out of order, errors hvd does not send"
# server_said TEXT WHAT: the server's stderr (emptied after each start) holds TEXT
server_said() { grep -qF -- "$1" "$tmp/hostile.log" && pass "$2" || fail "$2: the server said: $(cat "$tmp/hostile.log")"; }
# lines FILE: the last run's FILE (out, err) sorted, on one line
lines() { sort "$tmp/$1" | tr '\n' '|'; }
server all-mixed
: > "$tmp/hostile.log"
expect 1 "shutdown --all: failures that differ" $V shutdown --all --timeout 1
[ "$(lines out)" = "going: shut down|web: shut down|" ] && pass "shutdown --all: a line per guest shut down" \
        || fail "shutdown --all: stdout $(cat "$tmp/out")"
err_has "vmctl: shutdown db: VM 'db' did not shut down in time" "shutdown --all: db's error, not another VM's"
err_has 'vmctl: shutdown evil\x1b[2J: bad\x1b[2J\x0d\x0athing\x07' "shutdown --all: an unknown error, escaped"
err_has "vmctl: shutdown frozen: VM 'frozen' is paused: a paused guest cannot shut down" "shutdown --all: paused: says why"
err_has "vmctl: shutdown new: VM 'new' is starting: " "shutdown --all: starting: skipped"
err_has "vmctl: shutdown boot: VM 'boot' is resetting: " "shutdown --all: resetting: skipped"
[ "$(wc -l < "$tmp/err")" -eq 5 ] && pass "shutdown --all: no line for shut-off, crashed or unknown states" \
        || fail "shutdown --all: stderr $(cat "$tmp/err")"
no_control "$tmp/err" "shutdown --all: nothing raw on stderr"
server_said "Shutdown: 4 calls answered together" "shutdown --all: the 4 calls in flight together, no others"
: > "$tmp/hostile.log"
expect 1 "--json shutdown --all" $V --json shutdown --all
json '[(v["name"], v["result"]) for v in j] == [("boot", "skipped"), ("db", "failed"), ("evil\x1b[2J", "failed"), ("frozen", "skipped"), ("going", "ok"), ("new", "skipped"), ("web", "ok")]' \
        "shutdown --all --json: every VM concerned, sorted, with its result"
json 'j[1]["error"] == "VM \x27db\x27 did not shut down in time" and j[2]["error"] == "bad\x1b[2J\r\nthing\x07" and "paused" in j[3]["error"] and all("error" not in v for v in j if v["result"] == "ok")' \
        "shutdown --all --json: errors exact, none for ok"
[ -s "$tmp/err" ] && fail "--json shutdown --all: stderr $(cat "$tmp/err")" || pass "--json shutdown --all: the errors are in the JSON only"
: > "$tmp/hostile.log"
expect 1 "stop --all: failures that differ" $V stop --all
[ "$(lines out)" = "boot: stopped|dead: stopped|frozen: stopped|going: stopped|new: stopped|web: stopped|" ] \
        && pass "stop --all: every VM not shut off, crashed included" || fail "stop --all: stdout $(cat "$tmp/out")"
err_has "vmctl: stop odd: VM 'odd' is warp-drive: cannot do that" "stop --all: a state vmctl does not know is hvd's to judge"
err_has "vmctl: stop db: " "stop --all: db's error"
[ "$(wc -l < "$tmp/err")" -eq 3 ] && pass "stop --all: three failures" || fail "stop --all: stderr $(cat "$tmp/err")"
server_said "Stop: 9 calls answered together" "stop --all: the calls in flight together"
expect 1 "--json stop --all" $V stop --json --all
json '[v["name"] for v in j] == ["boot", "db", "dead", "evil\x1b[2J", "frozen", "going", "new", "odd", "web"] and [v["result"] for v in j].count("failed") == 3' \
        "stop --all --json: the shut-off VM left out"

server all-many
: > "$tmp/hostile.log"
expect 0 "shutdown --all of 40 VMs" $V shutdown --all
[ "$(grep -c '^vm[0-9][0-9]: shut down$' "$tmp/out")" -eq 40 ] && pass "shutdown --all: 40 lines" || fail "shutdown --all: $(cat "$tmp/out")"
server_said "Shutdown: 32 calls answered together" "shutdown --all: 32 calls in flight at most"
server_said "Shutdown: 8 calls answered together" "shutdown --all: the rest once those are answered"
expect 0 "--json stop --all of 40 VMs" $V --json stop --all
json 'len(j) == 40 and all(v == {"name": "vm%02d" % i, "result": "ok"} for i, v in enumerate(j))' "stop --all --json: 40 times ok"

server all-timeout
expect 7 "shutdown --all: every guest timed out: their common exit code" $V shutdown --all --timeout 1
err_has "vmctl: shutdown slow1: VM 'slow1' did not shut down in time" "shutdown --all: slow1 named"
err_has "vmctl: shutdown slow2: VM 'slow2' did not shut down in time" "shutdown --all: slow2 named"
[ -s "$tmp/out" ] && fail "shutdown --all: stdout $(cat "$tmp/out")" || pass "shutdown --all: nothing shut down"

server all-idle
: > "$tmp/hostile.log"
expect 0 "shutdown --all, every VM shut off" $V shutdown --all
out_has "No running VM to shut down." "shutdown --all: says there was nothing to do"
expect 0 "stop --all, every VM shut off" $V stop --all
out_has "No VM to stop: all are shut off." "stop --all: says there was nothing to do"
expect 0 "--json shutdown --all, every VM shut off" $V --json shutdown --all
json 'j == []' "shutdown --all --json: an empty array"
[ -s "$tmp/hostile.log" ] && fail "a VM was called: $(cat "$tmp/hostile.log")" || pass "no VM was called"

server all-vanish
run $V shutdown --all
[ "$rc" -ne 0 ] && pass "shutdown --all: the server left: exit $rc" || fail "shutdown --all: exit 0 though the server left"
for name in one two three; do err_has "vmctl: shutdown $name: " "shutdown --all: $name reported"; done

echo "== a server that vanishes mid-call"
for cmd in list host "status x" "console --log x" "stop --all"; do
        server vanish
        run $V $cmd
        case $rc in
        7|8) pass "$cmd: the server left without replying: exit $rc" ;;
        *) fail "$cmd: exit $rc: $(cat "$tmp/err")" ;;
        esac
        err_has "vmctl: ${cmd%% *}" "$cmd: reported"
done
finish
