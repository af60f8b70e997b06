/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The allow-list, by what a running VM process does:
 *  - KVM: ioctl on the VM and vCPU fds (only KVM's ioctl type, 0xAE, and the two terminal
 *    and socket queries libc and sd-bus make), mmap of the vCPU run pages, eventfds.
 *  - the loop: epoll/poll, reads and writes, sockets it has (accept4 for a restarted hvd,
 *    sendmsg/recvmsg with fds for D-Bus), timers from the clock.
 *  - threads: futexes, signals (vCPU kicks are tgkill with SIGRTMIN+4), no new threads (every
 *    thread exists before the filter is loaded: clone and clone3 are not allowed), memory.
 *  - the end: unlink of its own socket, exit.
 * Not allowed, among everything else: open/openat (hvd passes the boot files as fds), execve,
 * fork/clone, ptrace, mount, socket (no new network endpoints), kill of other processes. */
#include <errno.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"

static const int allowed[] = {
        /* I/O on what it has */
        SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
        SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(lseek), SCMP_SYS(fstat),
        SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(pipe2),
        SCMP_SYS(eventfd2), SCMP_SYS(unlink), SCMP_SYS(fallocate), /* zeroing guest RAM on reset */
        /* the loop and the control connection */
        SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
        SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
        SCMP_SYS(accept4), SCMP_SYS(socketpair), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
        SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
        SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(shutdown),
        /* time */
        SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday),
        /* memory */
        SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk),
        SCMP_SYS(mremap),
        /* threads and signals */
        SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
        SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
        SCMP_SYS(rt_sigtimedwait), SCMP_SYS(restart_syscall), SCMP_SYS(gettid), SCMP_SYS(getpid),
        SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getrandom),
        SCMP_SYS(exit), SCMP_SYS(exit_group),
};

int sandbox_enter(bool log_only, char *msg, size_t len)
{
        scmp_filter_ctx ctx;
        int r = 0;

        /* SCMP_ACT_KILL_PROCESS: a thread that breaks out takes its whole process with it,
         * so hvd sees the VM die (SIGSYS) rather than a VM with a vCPU silently gone */
        ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
        if (!ctx) {
                snprintf(msg, len, "sandbox: cannot create a seccomp filter");
                return -ENOMEM;
        }
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && r >= 0; i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
        /* ioctl: KVM's own (type 0xAE), and what libc and sd-bus ask of a socket or a tty */
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, KVMIO << 8));
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TCGETS));
        /* tgkill and tkill within the process only (vCPU kicks); kill of the own process
         * (abort) is fine and of any other is not, which the pid check would need the pid
         * for: not allowed, abort() uses tgkill */
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
        /* every thread, not only this one */
        if (r >= 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (r >= 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0) {
                snprintf(msg, len, "sandbox: cannot load the seccomp filter: %s", strerror(-r));
                return r;
        }
        return 0;
}
