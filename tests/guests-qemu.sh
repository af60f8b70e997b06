#!/bin/sh
# Boots each test guest under QEMU (-M microvm, the reference VMM) and checks its output and
# exit status: the guests follow the same PVH and isa-debug-exit ABI as hvd, so the very same
# ELFs serve side-by-side comparisons. QEMU's exit status for a debug-exit write of V is
# (V << 1) | 1. Skips (77) when QEMU or /dev/kvm is missing.
set -u
guest_dir=${HVD_GUEST_DIR:-tests/guests}
qemu=${QEMU_SYSTEM_X86_64:-}
[ -n "$qemu" ] || qemu=$(command -v qemu-system-x86_64 2>/dev/null || true)
if [ -z "$qemu" ] || [ ! -x "$qemu" ]; then
        echo "SKIP: qemu-system-x86_64 not found (scripts/deps.sh installs qemu-system-x86)"
        exit 77
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
        echo "SKIP: /dev/kvm cannot be opened read-write"
        exit 77
fi
tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guests-qemu.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

# run NAME TIMEOUT APPEND [STDIN-FILE]: output in $tmp/NAME.out, status in $status
run() {
        name=$1 limit=$2 append=$3 input=${4:-/dev/null}
        timeout "$limit" "$qemu" -enable-kvm -cpu host,-arch-capabilities \
                -M microvm,isa-serial=on,rtc=on -nodefaults -no-user-config -display none \
                -m 64 -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
                -kernel "$guest_dir/$name.elf" -append "$append" <"$input" >"$tmp/$name.out" 2>"$tmp/$name.err"
        status=$?
}

check() { # description, command...
        what=$1
        shift
        if "$@"; then
                echo "ok: $what"
        else
                echo "FAIL: $what"
                failed=1
        fi
}

has() { grep -qF -- "$2" "$tmp/$1.out"; }
show() { echo "--- $1 output:"; cat "$tmp/$1.out" "$tmp/$1.err"; echo "--- status $status"; }

run hello 30 "exit=3 key=value"
show hello
check "hello greets" has hello "hello from hvd test guest"
check "hello sees its command line" has hello 'hello: cmdline "exit=3 key=value"'
check "hello exits through the debug-exit port with its code ((3 << 1) | 1)" [ "$status" -eq 7 ]

printf 'first line\nsecond\nquit\n' >"$tmp/echo.in"
run echo 30 "exit=5" "$tmp/echo.in"
show echo
check "echo is ready" has echo "echo: ready"
check "echo answers each line" has echo "echo: first line"
check "echo answers each line (2)" has echo "echo: second"
check "echo quits on quit" has echo "echo: bye"
check "echo exits with its code ((5 << 1) | 1)" [ "$status" -eq 11 ]

printf 'raw bytes\004' >"$tmp/echo-raw.in"
run echo 30 "mode=raw exit=4" "$tmp/echo-raw.in"
show echo
check "echo in raw mode sends every byte back" has echo "raw bytes"
check "echo in raw mode ends on ^D with its code ((4 << 1) | 1)" [ "$status" -eq 9 ]

run dirtier 60 "pages=128 stride=2 words=16 passes=3 verify=1 rate=300 tsc_khz=$tsc_khz"
show dirtier
check "dirtier starts" has dirtier "dirtier: start base=0x200000 pages=128 stride=2 words=16 rate=300 passes=3"
check "dirtier reports its progress once a second" has dirtier "DIRTY seq=1 pass="
check "dirtier verifies its pages" has dirtier "VERIFY pass=2 ok"
check "dirtier finishes" has dirtier "dirtier: done passes=3 pages=384"
check "dirtier exits with 0 ((0 << 1) | 1)" [ "$status" -eq 1 ]

run dirtier 30 "rate=10"
check "dirtier refuses rate= without tsc_khz=" has dirtier "dirtier: error: rate= needs tsc_khz="
check "dirtier exits with 2 on bad parameters" [ "$status" -eq 5 ]

run spin 2 "report=50000"
show spin
check "spin starts" has spin "spin: start"
check "spin keeps running until killed (timeout's status 124)" [ "$status" -eq 124 ]

run demo 2 "tsc_khz=$tsc_khz interval=200"
show demo
check "demo greets" has demo "demo: hello from demo"
check "demo counts" has demo "demo: tick 2"
check "demo keeps running until stopped" [ "$status" -eq 124 ]

exit $failed
