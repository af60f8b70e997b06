/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by libhvcore, hvd, vmctl and the tests (never installed):
 * scope-bound cleanup, ownership hand-over, and a few everyday macros. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define _cleanup_(f) __attribute__((cleanup(f)))
#define HV_EXPORT __attribute__((visibility("default")))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))

/* Take ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })
#define TAKE_FD(fd)                   \
        ({                            \
                int _fd_ = (fd);      \
                (fd) = -EBADF;        \
                _fd_;                 \
        })

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(freep)

/* Closes a file descriptor; accepts negative values, always returns -EBADF. */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void)close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) { *fd = safe_close(*fd); }
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares a cleanup function `name##p` for a pointer type freed by `func`. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p)     \
        {                                       \
                if (*p)                         \
                        *p = func(*p);          \
        }

/* errno as a negative return value, never 0 (a failed call that forgot errno is still an error). */
static inline int negative_errno(void) { return errno > 0 ? -errno : -EIO; }
