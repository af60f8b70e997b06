#!/bin/bash
# kvm-in-qemu.sh — run test programs against a real /dev/kvm on a host that has none.
#
# Boots Debian 12's stock kernel (linux-image-6.1.0-*-amd64) in qemu-system-x86_64 under TCG
# with an emulated AMD SVM CPU (-cpu max: svm + npt), loads kvm.ko + kvm-amd.ko from a small
# busybox initramfs, and runs the named test programs of a build tree inside that guest.
#
# usage: kvm-in-qemu.sh [-1] [-e NAME=VALUE]... [-t SECONDS] [-T SECONDS] BUILD_DIR TEST...
#   BUILD_DIR  a configured and built hvd tree (e.g. a clone after ./configure && make)
#   TEST       a program path relative to BUILD_DIR, e.g. tests/test-vm (built if missing,
#              via `make TEST`); libtool wrapper scripts are replaced by their real binary
#   -e         extra environment for the tests (repeatable), e.g. -e CK_RUN_CASE=foo
#   -1         run all tests in one boot (default: a fresh boot per test, ~10-15 s each,
#              because a guest that ran tests/test-request sometimes hangs in a later test)
#   -t         timeout of each qemu run (boot) in seconds (default 1200)
#   -T         timeout of each test inside the guest, then SIGKILL (default 600)
# env: KVM_TCG_CACHE (default ~/.cache/hvd-kvm-in-qemu), KVM_TCG_CPU (default max),
#      KVM_TCG_MEM (MiB, default 2048), KVM_TCG_SMP (default 2), KVM_TCG_APPEND (more kernel
#      arguments), KVM_TCG_KEEP=1 keeps the staging dir and prints its path.
# Output: the guest's console (test output included), then a summary line per test.
# Exit status: 0 when every test exited 0 (or 77 = skip), 1 otherwise, 2 on a setup error.
set -euo pipefail

CACHE=${KVM_TCG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvd-kvm-in-qemu}
CPU=${KVM_TCG_CPU:-max}
MEM=${KVM_TCG_MEM:-2048}
SMP=${KVM_TCG_SMP:-2}
TIMEOUT=1200
TEST_TIMEOUT=600
ONE_BOOT=0
EXTRA_ENV=()

die() { echo "kvm-in-qemu: $*" >&2; exit 2; }

while getopts "1e:t:T:h" o; do
        case $o in
        1) ONE_BOOT=1 ;;
        e) EXTRA_ENV+=("$OPTARG") ;;
        t) TIMEOUT=$OPTARG ;;
        T) TEST_TIMEOUT=$OPTARG ;;
        *) sed -n '2,25p' "$0"; exit 2 ;;
        esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,25p' "$0"; exit 2; }
BUILD=$(readlink -f "$1"); shift
[ -d "$BUILD" ] || die "no build dir $BUILD"
TESTS=("$@")

# --- host tools -------------------------------------------------------------------------
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' || need_pkgs+=(busybox-static)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v gcc >/dev/null || need_pkgs+=(gcc libc6-dev)
command -v file >/dev/null || need_pkgs+=(file)
if [ ${#need_pkgs[@]} -gt 0 ]; then
        echo "kvm-in-qemu: installing ${need_pkgs[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1 ||
                { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null; } ||
                die "cannot install ${need_pkgs[*]}"
fi

# --- cached kernel + modules + smoke test -------------------------------------------------
mkdir -p "$CACHE"
if [ ! -s "$CACHE/vmlinuz" ] || [ ! -s "$CACHE/mods/kvm-amd.ko" ]; then
        echo "kvm-in-qemu: fetching the Debian kernel into $CACHE" >&2
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/ {print $2; exit}')
        [ -n "$pkg" ] || { apt-get update -qq; pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-6/ {print $2; exit}'); }
        [ -n "$pkg" ] || die "cannot find the linux-image-amd64 kernel package"
        tmp=$(mktemp -d "$CACHE/fetch.XXXXXX")
        (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x ./*.deb root) || die "cannot fetch $pkg"
        kv=$(ls "$tmp/root/lib/modules" | head -1)
        k=$tmp/root/lib/modules/$kv/kernel
        rm -rf "$CACHE/mods"; mkdir -p "$CACHE/mods"
        # load order: irqbypass <- kvm; ccp; kvm-amd depends=kvm,ccp
        for m in virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd; do
                f=$(ls "$k/$m".ko* | head -1)
                case $f in
                *.xz) xz -dc "$f" > "$CACHE/mods/$(basename "$m").ko" ;;
                *.zst) zstd -qdc "$f" > "$CACHE/mods/$(basename "$m").ko" ;;
                *) cp "$f" "$CACHE/mods/$(basename "$m").ko" ;;
                esac
        done
        cp "$tmp/root/boot/vmlinuz-$kv" "$CACHE/vmlinuz"
        echo "$pkg $kv" > "$CACHE/kernel-version"
        rm -rf "$tmp"
fi
if [ ! -s "$CACHE/kallsyms" ]; then
        # text symbols of the kernel and its kvm modules at their nokaslr addresses, to name
        # where a hung guest's vCPUs are (Debian's System.map is a stub); one 20-30 s boot
        echo "kvm-in-qemu: recording the guest kernel's symbols (once)" >&2
        ks=$(mktemp -d "$CACHE/ks.XXXXXX")
        mkdir -p "$ks"/r/{bin,proc,dev,mods}
        cp /bin/busybox "$ks/r/bin/"
        for a in sh mount insmod grep poweroff; do ln -s busybox "$ks/r/bin/$a"; done
        cp "$CACHE"/mods/*.ko "$ks/r/mods/"
        printf '%s\n' '#!/bin/sh' 'export PATH=/bin' 'mount -t proc proc /proc; mount -t devtmpfs dev /dev' \
                'for m in irqbypass kvm ccp kvm-amd; do insmod /mods/$m.ko; done' \
                "grep -i ' t ' /proc/kallsyms > /dev/ttyS1" 'poweroff -f' > "$ks/r/init"
        chmod +x "$ks/r/init"
        (cd "$ks/r" && find . | cpio -o -H newc --quiet | gzip -1 > ../i.gz)
        timeout 600 qemu-system-x86_64 -accel tcg -cpu "$CPU" -m 512 -smp 2 -display none -no-reboot \
                -nic none -kernel "$CACHE/vmlinuz" -initrd "$ks/i.gz" -serial null -serial "file:$ks/ks" \
                -append "console=ttyS0 panic=-1 quiet nokaslr" < /dev/null >/dev/null 2>&1 || true
        tr -d '\r' < "$ks/ks" | LC_ALL=C sort > "$CACHE/kallsyms.tmp" && mv "$CACHE/kallsyms.tmp" "$CACHE/kallsyms"
        rm -rf "$ks"
fi
if [ ! -x "$CACHE/kvm-smoke" ]; then
        cat > "$CACHE/kvm-smoke.c" <<'EOF'
/* real-mode guest: mov $0x42,%al; out %al,$0xf4; mov $0x43,%al; out %al,$0xf4; hlt */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#define CHK(x) do { if ((x) < 0) { perror(#x); return 1; } } while (0)
int main(void)
{
        static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0xf4, 0xb0, 0x43, 0xe6, 0xf4, 0xf4 };
        int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC); CHK(kvm);
        int vm = ioctl(kvm, KVM_CREATE_VM, 0); CHK(vm);
        uint8_t *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) { perror("mmap"); return 1; }
        memcpy(mem, code, sizeof code);
        struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x1000,
                .memory_size = 0x1000, .userspace_addr = (uintptr_t)mem };
        CHK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
        int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0); CHK(vcpu);
        int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0); CHK(sz);
        struct kvm_run *run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
        if (run == MAP_FAILED) { perror("mmap run"); return 1; }
        struct kvm_sregs s; CHK(ioctl(vcpu, KVM_GET_SREGS, &s));
        s.cs.base = 0; s.cs.selector = 0; CHK(ioctl(vcpu, KVM_SET_SREGS, &s));
        struct kvm_regs g; memset(&g, 0, sizeof g); g.rip = 0x1000; g.rflags = 2;
        CHK(ioctl(vcpu, KVM_SET_REGS, &g));
        int n = 0;
        for (;;) {
                CHK(ioctl(vcpu, KVM_RUN, 0));
                if (run->exit_reason == KVM_EXIT_IO) {
                        printf("kvm-smoke: KVM_EXIT_IO port=0x%x data=0x%x\n", run->io.port,
                               *((uint8_t *)run + run->io.data_offset));
                        n++;
                } else if (run->exit_reason == KVM_EXIT_HLT) {
                        printf("kvm-smoke: KVM_EXIT_HLT after %d io exits\n", n);
                        return n == 2 ? 0 : 1;
                } else {
                        printf("kvm-smoke: unexpected exit_reason %d\n", run->exit_reason);
                        return 1;
                }
        }
}
EOF
        gcc -O2 -static -o "$CACHE/kvm-smoke" "$CACHE/kvm-smoke.c" || die "cannot build kvm-smoke"
fi

# --- staging dir ---------------------------------------------------------------------------
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/tcg-kvm-stage.XXXXXX")
cleanup() { if [ "${KVM_TCG_KEEP:-0}" = 1 ]; then echo "staging kept: $STAGE" >&2; else rm -rf "$STAGE"; fi; }
trap cleanup EXIT
R=$STAGE/root
mkdir -p "$R"/{bin,proc,sys,dev,tmp,mods,etc,root,usr/lib,usr/lib64}
ln -s usr/lib "$R/lib"; ln -s usr/lib64 "$R/lib64"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list | grep -vx busybox); do ln -sf busybox "$R/bin/$a"; done
ln -s bin "$R/sbin"
cp "$CACHE"/mods/*.ko "$R/mods/"
cp "$CACHE/kvm-smoke" "$R/bin/kvm-smoke"
echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
echo 'root:x:0:' > "$R/etc/group"

# the build tree at the same absolute path, less objects and VCS/autotools caches
mkdir -p "$R$BUILD"
tar -C "$BUILD" --exclude=.git --exclude=autom4te.cache --exclude='*.o' --exclude='*.lo' \
        --exclude='*.a' -cf - . | tar -C "$R$BUILD" -xf -

# resolve each test to a real ELF binary (built if missing)
RUN_PATHS=()
for t in "${TESTS[@]}"; do
        t=${t#./}
        if [ ! -e "$BUILD/$t" ]; then
                echo "kvm-in-qemu: building $t" >&2
                make -C "$BUILD" "$t" >/dev/null || die "cannot build $t"
                tar -C "$BUILD" -cf - "$t" $(dirname "$t")/.libs 2>/dev/null | tar -C "$R$BUILD" -xf -
        fi
        p=$t
        if ! file -L "$BUILD/$t" | grep -q ELF; then
                d=$(dirname "$t"); b=$(basename "$t")
                # a libtool wrapper: relink (make does it on first run) and use .libs/lt-NAME or .libs/NAME
                if [ -x "$BUILD/$d/.libs/lt-$b" ]; then p=$d/.libs/lt-$b
                elif [ -x "$BUILD/$d/.libs/$b" ]; then p=$d/.libs/$b
                elif head -c 300 "$BUILD/$t" | grep -q '^#!'; then p=$t   # a script: run with sh
                else die "$t: no runnable binary"; fi
                cp -a "$BUILD/$p" "$R$BUILD/$p" 2>/dev/null || true
        fi
        RUN_PATHS+=("$t=$p")
done

# shared libraries: of every ELF executable / shared object in the copied tree
copy_lib() {
        local src=$1 dst
        dst=$(readlink -f "$(dirname "$src")")/$(basename "$src")
        [ -e "$R$dst" ] && return 0
        mkdir -p "$R$(dirname "$dst")"
        cp -L "$src" "$R$dst"
}
LDPATH=$(find "$BUILD" -path "$BUILD/.git" -prune -o -type d -name .libs -print | tr '\n' ':')
copy_lib /lib64/ld-linux-x86-64.so.2
while IFS= read -r -d '' f; do
        file -L "$f" | grep -q 'ELF.*dynamically linked\|ELF.*shared object' || continue
        LD_LIBRARY_PATH=$LDPATH ldd "$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' |
                while read -r lib; do
                        case $lib in "$BUILD"/*) ;; *) copy_lib "$lib" ;; esac
                done
done < <(find "$R$BUILD" -type f \( -perm -u+x -o -name '*.so*' \) -print0 | sed -z "s|^$R||")

# /init: runs the tests whose indices the kernel command line names (tcgrun=0,1,...)
{
        cat <<EOF
#!/bin/sh
export PATH=/bin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/pts; mount -t tmpfs tmpfs /dev/shm; mount -t tmpfs tmpfs /tmp
mount -t devpts devpts /dev/pts 2>/dev/null
hostname tcg-kvm; ip link set lo up 2>/dev/null
echo "@@ guest up after \$(cut -d' ' -f1 /proc/uptime)s"
for m in irqbypass kvm ccp kvm-amd; do insmod /mods/\$m.ko || echo "@@ insmod \$m FAILED"; done
dmesg | grep -i -E 'kvm|svm'
if [ -c /dev/kvm ]; then echo "@@ /dev/kvm present"; else echo "@@ /dev/kvm MISSING"; fi
timeout -s KILL 60 /bin/kvm-smoke; echo "@@RESULT kvm-smoke \$?"
export HVD_TOP_SRCDIR='$BUILD' HVD_TOP_BUILDDIR='$BUILD' HVD_PLUGIN_DIR='$BUILD/plugins' \\
       HVD_GUEST_DIR='$BUILD/tests/guests' CK_DEFAULT_TIMEOUT=120 TMPDIR=/tmp HOME=/root
export LD_LIBRARY_PATH='$LDPATH'
EOF
        for e in "${EXTRA_ENV[@]}"; do printf 'export %q\n' "$e"; done
        echo "cd '$BUILD'"
        i=0
        for rp in "${RUN_PATHS[@]}"; do
                name=${rp%%=*}; p=${rp#*=}
                cat <<EOF
t_$i() {
echo "@@ START $name (\$(cut -d' ' -f1 /proc/uptime)s)"
s=\$(cut -d' ' -f1 /proc/uptime)
if head -c 2 '$p' | grep -q '#!'; then timeout -s KILL $TEST_TIMEOUT sh './$p'; else timeout -s KILL $TEST_TIMEOUT './$p'; fi
rc=\$?
[ \$rc = 137 ] && { echo "@@ $name killed after ${TEST_TIMEOUT}s; kernel log tail:"; dmesg | tail -20; }
echo "@@RESULT $name \$rc \$(awk -v s=\$s '{printf "%.1f", \$1 - s}' /proc/uptime)s"
}
EOF
                i=$((i + 1))
        done
        cat <<'EOF'
for a in $(cat /proc/cmdline); do case $a in tcgrun=*) for i in $(echo ${a#tcgrun=} | tr , ' '); do t_$i; done ;; esac; done
echo "@@ DONE"; sync; poweroff -f
EOF
} > "$R/init"
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 > "$STAGE/initrd.gz")

# where each vCPU of a hung guest is: RIP and the kernel return addresses on its stack
cat > "$STAGE/mondump.py" <<'PY'
import bisect, re, socket, sys, time
sock, ksf = sys.argv[1], sys.argv[2]
addrs, names = [], []
try:
    for l in open(ksf):
        p = l.split()
        if len(p) >= 3:
            addrs.append(int(p[0], 16)); names.append(p[2] + (" " + p[3] if len(p) > 3 else ""))
except OSError:
    pass
def sym(a):
    i = bisect.bisect_right(addrs, a) - 1
    return "%s+0x%x" % (names[i], a - addrs[i]) if i >= 0 and a - addrs[i] < 0x10000 else None
s = socket.socket(socket.AF_UNIX); s.connect(sock); s.settimeout(3)
def cmd(c):
    s.sendall(c.encode() + b"\n"); out = b""; time.sleep(1)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d: break
            out += d
    except socket.timeout: pass
    return out.decode(errors="replace").replace("\r", "")
cmd("")
for c in range(len(re.findall(r"CPU #\d+", cmd("info cpus")))):
    cmd("cpu %d" % c)
    regs = cmd("info registers")
    m = re.search(r"RIP=([0-9a-f]+) RFL=([0-9a-f]+)", regs); rsp = re.search(r"RSP=([0-9a-f]+)", regs)
    cpl = re.search(r"CPL=(\d)", regs)
    if not m:
        print("vCPU%d: no registers parsed from: %r" % (c, regs[:300])); continue
    rip = int(m.group(1), 16)
    print("vCPU%d RIP=%x RFL=%s (IF=%d) CPL=%s => %s" % (c, rip, m.group(2), (int(m.group(2), 16) >> 9) & 1,
          cpl.group(1) if cpl else "?", sym(rip) or "(not kernel text: user space, or the nested KVM guest)"))
    if rip >= 0xffffffff80000000 and rsp:
        for v in re.findall(r"0x([0-9a-f]{16})", cmd("x /128gx $rsp").split("\n", 1)[-1]):
            a = int(v, 16)
            if a >= 0xffffffff80000000 and sym(a):
                print("    stack:", sym(a))
PY

# --- boot(s) --------------------------------------------------------------------------------------
LOG=$STAGE/console.log
: > "$LOG"
QEMU_FAIL=()
boot() { # boot INDICES: one guest that runs the tests t_INDICES
        local mon=$STAGE/monitor.sock qrc dumper
        rm -f "$mon" "$STAGE/hang-dump.txt"
        echo "kvm-in-qemu: booting $(cat "$CACHE/kernel-version" 2>/dev/null) -cpu $CPU for tests #$1" >&2
        ( sleep $((TIMEOUT > 60 ? TIMEOUT - 20 : TIMEOUT / 2))
          [ -S "$mon" ] && python3 "$STAGE/mondump.py" "$mon" "$CACHE/kallsyms" > "$STAGE/hang-dump.txt" 2>&1 ) &
        dumper=$!
        set +e
        timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu "$CPU" -m "$MEM" -smp "$SMP" \
                -nographic -no-reboot -nic none -kernel "$CACHE/vmlinuz" -initrd "$STAGE/initrd.gz" \
                -monitor "unix:$mon,server=on,wait=off" \
                -append "console=ttyS0 panic=-1 quiet nokaslr tcgrun=$1 ${KVM_TCG_APPEND:-}" \
                < /dev/null 2>&1 | sed -u 's/\r$//' | tee -a "$LOG"
        qrc=${PIPESTATUS[0]}
        kill $dumper 2>/dev/null; wait $dumper 2>/dev/null
        set -e
        if [ "$qrc" != 0 ]; then
                QEMU_FAIL+=("qemu for tests #$1: exit status $qrc$([ "$qrc" = 124 ] && echo " (timeout after ${TIMEOUT}s: the guest hung)")")
                if [ "$qrc" = 124 ] && [ -s "$STAGE/hang-dump.txt" ]; then
                        QEMU_FAIL+=("$(sed 's/^/  /' "$STAGE/hang-dump.txt")")
                fi
        fi
}
start=$(date +%s)
if [ "$ONE_BOOT" = 1 ]; then
        boot "$(seq -s, 0 $((${#RUN_PATHS[@]} - 1)))"
else
        for i in "${!RUN_PATHS[@]}"; do boot "$i"; done
fi
end=$(date +%s)

# --- summary ------------------------------------------------------------------------------------
echo
echo "===== kvm-in-qemu summary (wall $((end - start))s, -cpu $CPU, $([ "$ONE_BOOT" = 1 ] && echo 'one boot' || echo 'one boot per test')) ====="
fail=0
for q in "${QEMU_FAIL[@]}"; do echo "$q"; fail=1; done
grep -q '^@@ /dev/kvm MISSING' "$LOG" && { echo "/dev/kvm: MISSING in the guest"; fail=1; }
n=0; for r in $(grep '^@@RESULT kvm-smoke ' "$LOG" | awk '{print $3}'); do [ "$r" = 0 ] || n=$((n + 1)); done
[ $n = 0 ] || { echo "kvm-smoke: FAIL in $n boot(s)"; fail=1; }
for name in "${TESTS[@]}"; do
        name=${name#./}
        line=$(grep "^@@RESULT $name " "$LOG" | tail -1 || true)
        if [ -z "$line" ]; then echo "$name: NO RESULT (the guest hung, crashed or timed out)"; fail=1; continue; fi
        set -- $line
        case $3 in
        0) echo "$name: PASS ${4:-}" ;;
        77) echo "$name: SKIP ${4:-}" ;;
        137) echo "$name: FAIL (killed: timeout ${TEST_TIMEOUT}s or OOM) ${4:-}"; fail=1 ;;
        *) echo "$name: FAIL (exit $3) ${4:-}"; fail=1 ;;
        esac
done
exit $fail
