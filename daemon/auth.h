/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may call methods: root, hvd's own user (user mode) and members of hvd.conf's Group.
 * The caller's credentials come from the bus (GetConnectionCredentials), asked
 * asynchronously so the loop never waits; the answer is cached per unique name (never
 * reused on a bus). */
#pragma once

#include <systemd/sd-bus.h>

struct hvd;

/* A method body run once the caller is authorized. Returns >= 0 when it replied (or will),
 * or -errno with error set. */
typedef int (*hvd_method_fn)(sd_bus_message *m, struct hvd *h, sd_bus_error *error);

/* Runs fn for m now (cached answer) or when the bus has told us who the sender is; refuses
 * with org.hvd1.Error.AccessDenied otherwise. Use as a vtable handler's return value. */
int hvd_authorize(struct hvd *h, sd_bus_message *m, hvd_method_fn fn, sd_bus_error *error);

struct hvd_creds_cache *hvd_creds_cache_free(struct hvd_creds_cache *c);
