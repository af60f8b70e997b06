#!/usr/bin/env bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # make check runs .sh tests with sh
# hvd's systemd side: the unit passes systemd-analyze verify (and a security exposure bound)
# and lets VMs (hvd-vm processes) outlive hvd,
# sysusers and tmpfiles snippets apply to a scratch root, the D-Bus policy refuses an
# unprivileged caller at the bus while letting it read, and hvd speaks sd_notify (READY once
# the name is owned, STATUS, WATCHDOG keep-alives from the loop, STOPPING).
source "${HVD_TOP_SRCDIR:?run through make check}/tests/lib-dbus.sh"
SYSTEMD_ANALYZE=${SYSTEMD_ANALYZE:-$(command -v systemd-analyze || true)}
[ -x "$SYSTEMD_ANALYZE" ] || { echo "systemd-analyze not found (deps.sh installs systemd)" >&2; exit 99; }
S=$HVD_TOP_SRCDIR/systemd

# --- the unit, with ExecStart pointing at the built hvd ---
mkdir -p "$T_DIR/unit"
sed "s|@sbindir@|$HVD_TOP_BUILDDIR/daemon|" "$S/hvd.service.in" >"$T_DIR/unit/hvd.service"
out=$(cd "$T_DIR/unit" && "$SYSTEMD_ANALYZE" verify --man=no ./hvd.service 2>&1) && st=0 || st=$?
t_check "systemd-analyze verify passes with no complaint" bash -c "test $st = 0 && test -z \"\$1\"" _ "$out"
[ -z "$out" ] || echo "$out" >&2
out=$(cd "$T_DIR/unit" && "$SYSTEMD_ANALYZE" security --offline=yes --threshold=30 ./hvd.service 2>&1) && st=0 || st=$?
t_check "systemd-analyze security: exposure at most 3.0 ($(grep -o 'exposure level[^:]*: [0-9.]*' <<<"$out" | grep -o '[0-9.]*$'))" test "$st" = 0
t_check "the unit allows /dev/kvm and nothing else" bash -c "grep -qx 'DeviceAllow=/dev/kvm rw' '$T_DIR/unit/hvd.service' && grep -qx 'DevicePolicy=closed' '$T_DIR/unit/hvd.service' && ! grep -q '^PrivateDevices=yes' '$T_DIR/unit/hvd.service'"
t_check "Type=notify, BusName=org.hvd1, WatchdogSec" bash -c "grep -qx Type=notify '$T_DIR/unit/hvd.service' && grep -qx BusName=org.hvd1 '$T_DIR/unit/hvd.service' && grep -q '^WatchdogSec=' '$T_DIR/unit/hvd.service'"
t_check "the activation file names the unit's alias" bash -c "grep -qx Name=org.hvd1 '$S/org.hvd1.service' && alias=\$(sed -n 's/^Alias=//p' '$T_DIR/unit/hvd.service') && grep -qx \"SystemdService=\$alias\" '$S/org.hvd1.service'"
U=$T_DIR/unit/hvd.service
t_check "VMs outlive hvd's stop and restart: KillMode=process, RuntimeDirectoryPreserve=yes" bash -c \
        "grep -qx KillMode=process '$U' && grep -qx RuntimeDirectoryPreserve=yes '$U'"
t_check "a VM killed by the OOM killer does not stop hvd: OOMPolicy=continue" grep -qx OOMPolicy=continue "$U"
# the syscalls a SystemCallFilter= entry allows, its groups expanded
syscalls_of() {
        local x
        case $1 in
        @*) "$SYSTEMD_ANALYZE" syscall-filter "$1" | awk 'NR > 1 && NF && $1 !~ /^#/ {print $1}' |
                while read -r x; do syscalls_of "$x"; done ;;
        *) echo "$1" ;;
        esac
}
allowed=$(sed -n 's/^SystemCallFilter=//p' "$U" | tr ' ' '\n' | while read -r f; do [ -n "$f" ] && syscalls_of "$f"; done | sort -u)
missing=
for sc in clone3 execve setsid waitid pidfd_open kill prctl seccomp ioctl mmap madvise memfd_create mbind eventfd2 \
        socketpair sendmsg recvmsg; do
        grep -qx "$sc" <<<"$allowed" || missing+=" $sc"
done
t_check "the syscall filter lets hvd spawn hvd-vm and hvd-vm run a VM${missing:+ (missing:$missing)}" test -z "$missing"

# --- sysusers and tmpfiles on a scratch root ---
R=$T_DIR/root
mkdir -p "$R/etc"
t_check "sysusers creates group hvd" bash -c "systemd-sysusers --root='$R' '$S/hvd.sysusers' && grep -q '^hvd:' '$R/etc/group'"
t_check "tmpfiles creates /var/lib/hvd and /run/hvd, 0750, group hvd" bash -c "systemd-tmpfiles --root='$R' --create '$S/hvd.tmpfiles' 2>/dev/null
        gid=\$(awk -F: '\$1==\"hvd\"{print \$3}' '$R/etc/group')
        for d in var/lib/hvd run/hvd; do test \"\$(stat -c '%a %g' '$R/'\$d)\" = \"750 \$gid\" || exit 1; done"

# --- the bus policy: a private bus that includes it ---
T_BUS_EXTRA="<include>$S/org.hvd1.conf</include>" t_start_bus
t_start_hvd || exit 1
printf 'k\n' >"$T_DIR/k.elf"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
t_check "policy: root may define" bash -c "dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1 org.hvd1.Manager.DefineVM 'string:{\"name\": \"p\", \"boot\": {\"kernel\": \"$T_DIR/k.elf\"}}' >/dev/null"
t_check "policy: nobody is refused by the bus" t_expect_error org.freedesktop.DBus.Error.AccessDenied -- \
        nobody dbus-send --session --print-reply --dest=org.hvd1 /org/hvd1/vm/p org.hvd1.VM.Start
t_check "policy: nobody may list" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups busctl --user call org.hvd1 /org/hvd1 org.hvd1.Manager ListVMs | grep -q '\"p\"'"
t_check "policy: nobody may read properties" test "$(nobody busctl --user get-property org.hvd1 /org/hvd1/vm/p org.hvd1.VM State)" = 's "shutoff"'
t_check "policy: nobody may introspect" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups busctl --user introspect org.hvd1 /org/hvd1 >/dev/null"
t_stop_hvd TERM

# --- sd_notify: READY after the name, STATUS, WATCHDOG from the loop, STOPPING ---
python3 - "$T_DIR/notify" "$T_DIR/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.time() + 20
with open(sys.argv[2], "a") as log:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        log.write(msg.replace("\n", " ") + "\n")
        log.flush()
        if "STOPPING=1" in msg:
            break
PY
listener=$!
T_PIDS+=($listener)
for _ in $(seq 100); do [ -S "$T_DIR/notify" ] && break; sleep 0.02; done
NOTIFY_SOCKET=$T_DIR/notify WATCHDOG_USEC=200000 t_start_hvd || exit 1
owned_at_ready=$(grep -c READY=1 "$T_DIR/notify.log" || true)
sleep 0.5
t_check "READY=1 is sent by the time the name is owned" test "$owned_at_ready" = 1
t_check "STATUS= says how many VMs run" grep -q 'STATUS=0 VMs running' "$T_DIR/notify.log"
t_check "WATCHDOG=1 keep-alives (WATCHDOG_USEC=200ms: about every 100 ms)" test "$(grep -c WATCHDOG=1 "$T_DIR/notify.log")" -ge 2
t_stop_hvd TERM
wait "$listener" 2>/dev/null || true
t_check "STOPPING=1 on SIGTERM" grep -q STOPPING=1 "$T_DIR/notify.log"

t_done
