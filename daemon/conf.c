/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "macros.h"

void hvd_conf_init(struct hvd_conf *c)
{
        *c = (struct hvd_conf){
                .shutdown_timeout_usec = 30 * 1000000ULL,
                .default_shutdown_timeout_usec = 60 * 1000000ULL,
                .max_vms = 256,
        };
        c->group = strdup("hvd");
}

void hvd_conf_done(struct hvd_conf *c)
{
        free(c->state_dir);
        free(c->runtime_dir);
        free(c->plugin_dir);
        free(c->group);
        *c = (struct hvd_conf){ 0 };
}

static char *strip(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && strchr(" \t\r\n", e[-1]))
                *--e = 0;
        return s;
}

static int parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *ret)
{
        char *end;
        unsigned long long x;

        if (!*v || *v == '-')
                return -EINVAL;
        errno = 0;
        x = strtoull(v, &end, 10);
        if (errno || *end || x < min || x > max)
                return -EINVAL;
        *ret = x;
        return 0;
}

static int set_string(char **dst, const char *v)
{
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

int hvd_conf_load(struct hvd_conf *c, const char *path, bool optional, char **ret_error)
{
        _cleanup_fclose_ FILE *f = NULL;
        char line[1024];
        unsigned lineno = 0;

        f = fopen(path, "re");
        if (!f) {
                int r = negative_errno(); /* before asprintf, which may change errno */
                if (optional && r == -ENOENT)
                        return 0;
                (void)asprintf(ret_error, "%s: %s", path, strerror(-r));
                return r;
        }
        while (fgets(line, sizeof(line), f)) {
                char *s = strip(line), *eq, *k, *v;
                uint64_t x;
                int r = 0;

                lineno++;
                if (!*s || *s == '#' || *s == ';' || strcmp(s, "[hvd]") == 0)
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        (void)asprintf(ret_error, "%s:%u: expected \"key = value\"", path, lineno);
                        return -EINVAL;
                }
                *eq = 0;
                k = strip(s);
                v = strip(eq + 1);
                if (strcmp(k, "StateDirectory") == 0)
                        r = v[0] == '/' ? set_string(&c->state_dir, v) : -EINVAL;
                else if (strcmp(k, "RuntimeDirectory") == 0)
                        r = v[0] == '/' ? set_string(&c->runtime_dir, v) : -EINVAL;
                else if (strcmp(k, "PluginDirectory") == 0)
                        r = v[0] == '/' ? set_string(&c->plugin_dir, v) : -EINVAL;
                else if (strcmp(k, "Group") == 0)
                        r = set_string(&c->group, v);
                else if (strcmp(k, "ShutdownTimeoutSec") == 0) {
                        r = parse_u64(v, 0, 3600, &x);
                        if (r >= 0)
                                c->shutdown_timeout_usec = x * 1000000ULL;
                } else if (strcmp(k, "DefaultShutdownTimeoutSec") == 0) {
                        r = parse_u64(v, 1, 3600, &x);
                        if (r >= 0)
                                c->default_shutdown_timeout_usec = x * 1000000ULL;
                } else if (strcmp(k, "MaxVMs") == 0) {
                        r = parse_u64(v, 1, 4096, &x);
                        if (r >= 0)
                                c->max_vms = (uint32_t)x;
                } else {
                        (void)asprintf(ret_error, "%s:%u: unknown key \"%s\"", path, lineno, k);
                        return -EINVAL;
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        (void)asprintf(ret_error, "%s:%u: invalid value for %s: \"%s\"", path, lineno, k, v);
                        return -EINVAL;
                }
        }
        return 0;
}
