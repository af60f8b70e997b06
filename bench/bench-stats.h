/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Percentiles of a set of nanosecond samples, shared by the C benchmarks. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct stats {
        double p50, p99, min, max; /* in the unit asked for */
        size_t n;
};

static inline int bench_cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* Sorts v (n samples in ns) and returns its percentiles divided by ns_per_unit (1e3 for µs,
 * 1e6 for ms). */
static inline struct stats stats_of(uint64_t *v, size_t n, double ns_per_unit)
{
        qsort(v, n, sizeof(v[0]), bench_cmp_u64);
        struct stats s = { .n = n };
        if (n) {
                s.p50 = v[n / 2] / ns_per_unit;
                s.p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / ns_per_unit;
                s.min = v[0] / ns_per_unit;
                s.max = v[n - 1] / ns_per_unit;
        }
        return s;
}
