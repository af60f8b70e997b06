/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd.conf(5): "key = value" lines, '#' comments, an optional [hvd] section header. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct hvd_conf {
        char *state_dir, *runtime_dir, *plugin_dir; /* NULL: the mode's default */
        uint64_t shutdown_timeout_usec;             /* SIGTERM: graceful shutdown bound */
        uint64_t default_shutdown_timeout_usec;     /* Shutdown(0) */
        uint32_t max_vms;
        char *group;                                /* may call methods besides root */
};

void hvd_conf_init(struct hvd_conf *c);
void hvd_conf_done(struct hvd_conf *c);
/* Reads path. A missing file is fine when optional. On a bad line returns -EINVAL with a
 * malloc'd message "path:line: reason" in *ret_error. */
int hvd_conf_load(struct hvd_conf *c, const char *path, bool optional, char **ret_error);
