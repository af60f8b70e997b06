/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-locks: the cost of an uncontended lock/unlock with the lock validator off and on,
 * next to the bare pthread (or liburcu) call, and of the hv_srcu read side. One thread, no
 * contention: this is the overhead every acquisition pays. Prints a table, or JSON with
 * --json. Runs of each variant are interleaved so that machine noise hits all alike; both
 * show the median and the minimum of the runs (the minimum is the steadier on a busy host).
 *
 *   bench/bench-locks [--json] [-n ITERATIONS] [-r RUNS]
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-bp.h>

#include "bench-locks.h"

static pthread_mutex_t raw_mutex = PTHREAD_MUTEX_INITIALIZER;

static void raw_mutex_loop(long n)
{
        for (long i = 0; i < n; i++) {
                pthread_mutex_lock(&raw_mutex);
                pthread_mutex_unlock(&raw_mutex);
        }
}

static void raw_rcu_read_loop(long n)
{
        for (long i = 0; i < n; i++) {
                urcu_bp_read_lock();
                urcu_bp_read_unlock();
        }
}

static void raw_synchronize_loop(long n)
{
        for (long i = 0; i < n; i++)
                urcu_bp_synchronize_rcu();
}

/* the bare call each typed operation wraps, in the order of the variants' table */
static void (*const baselines[])(long) = {
        raw_mutex_loop, raw_mutex_loop, raw_rcu_read_loop, raw_synchronize_loop,
};
static const char *const baseline_names[] = {
        "pthread_mutex", "pthread_mutex", "urcu_bp_read", "urcu_bp_synchronize_rcu",
};

static double now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double time_per_op(void (*loop)(long), long n)
{
        double t0 = now_ns();
        loop(n);
        return (now_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

struct stat_ns {
        double min, median;
};

static struct stat_ns summarize(double *v, int runs)
{
        qsort(v, runs, sizeof(double), cmp_double);
        return (struct stat_ns){v[0], runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2};
}

enum { OFF, ON, BASE, N_VARIANTS };
static const char *const variant_names[N_VARIANTS] = {"validator_off", "validator_on", "baseline"};

int main(int argc, char **argv)
{
        long iterations = 2000000;
        int runs = 5;
        bool json = false;
        static const struct option options[] = {
                {"json", no_argument, NULL, 'j'},
                {"iterations", required_argument, NULL, 'n'},
                {"runs", required_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        for (int c; (c = getopt_long(argc, argv, "jn:r:h", options, NULL)) >= 0;)
                switch (c) {
                case 'j': json = true; break;
                case 'n': iterations = strtol(optarg, NULL, 10); break;
                case 'r': runs = atoi(optarg); break;
                default:
                        fprintf(c == 'h' ? stdout : stderr, "usage: %s [--json] [-n ITERATIONS] [-r RUNS]\n", argv[0]);
                        return c == 'h' ? 0 : 2;
                }
        if (iterations < 1000 || runs < 1 || runs > 100) {
                fprintf(stderr, "iterations must be >= 1000 and runs 1..100\n");
                return 2;
        }

        const struct bench_op *ops[N_VARIANTS - 1];
        int enabled_off = validator_off_bench_locks_ops(&ops[OFF]);
        int enabled_on = validator_on_bench_locks_ops(&ops[ON]);
        if (enabled_off || !enabled_on) {
                fprintf(stderr, "the two builds of the lock code do not differ as they should\n");
                return 1;
        }
        int n_ops = 0;
        while (ops[OFF][n_ops].name)
                n_ops++;
        if (n_ops != (int)(sizeof(baselines) / sizeof(baselines[0]))) {
                fprintf(stderr, "baseline table out of date\n");
                return 1;
        }

        struct stat_ns result[16][N_VARIANTS];
        double *samples = calloc((size_t)runs * N_VARIANTS, sizeof(double));
        if (!samples)
                return 1;
        for (int i = 0; i < n_ops; i++) {
                long n = iterations / ops[OFF][i].divisor;
                if (n < 1)
                        n = 1;
                /* warm up caches and liburcu's registration */
                ops[OFF][i].loop(n / 10 + 1);
                ops[ON][i].loop(n / 10 + 1);
                baselines[i](n / 10 + 1);
                for (int r = 0; r < runs; r++) {
                        samples[OFF * runs + r] = time_per_op(ops[OFF][i].loop, n);
                        samples[ON * runs + r] = time_per_op(ops[ON][i].loop, n);
                        samples[BASE * runs + r] = time_per_op(baselines[i], n);
                }
                for (int v = 0; v < N_VARIANTS; v++)
                        result[i][v] = summarize(samples + v * runs, runs);
        }
        free(samples);

        if (json) {
                printf("{\"benchmark\":\"locks\",\"unit\":\"ns/op\",\"iterations\":%ld,\"runs\":%d,\"results\":[",
                       iterations, runs);
                for (int i = 0; i < n_ops; i++) {
                        printf("%s{\"operation\":\"%s\",\"iterations\":%ld,\"baseline_call\":\"%s\"", i ? "," : "",
                               ops[OFF][i].name, iterations / ops[OFF][i].divisor, baseline_names[i]);
                        for (int v = 0; v < N_VARIANTS; v++)
                                printf(",\"%s\":{\"median\":%.2f,\"min\":%.2f}", variant_names[v], result[i][v].median,
                                       result[i][v].min);
                        printf("}");
                }
                printf("]}\n");
                return 0;
        }
        printf("uncontended, one thread; ns per operation: median (minimum) of %d runs of %ld\n\n", runs, iterations);
        printf("%-28s %15s %15s %15s  %s\n", "operation", "validator off", "validator on", "bare call", "bare call is");
        for (int i = 0; i < n_ops; i++) {
                printf("%-28s", ops[OFF][i].name);
                for (int v = 0; v < N_VARIANTS; v++) {
                        char cell[32];
                        snprintf(cell, sizeof(cell), "%.1f (%.1f)", result[i][v].median, result[i][v].min);
                        printf(" %15s", cell);
                }
                printf("  %s\n", baseline_names[i]);
        }
        return 0;
}
