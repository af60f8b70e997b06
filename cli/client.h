/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl's client layer: one bus connection, calls to hvd, and the single place where a failure
 * becomes a message on stderr and an exit code. */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macros.h"
#include "vmctl.h"

#define HVD_BUS_NAME "org.hvd1"
#define HVD_MANAGER_PATH "/org/hvd1"
#define HVD_MANAGER_IFACE "org.hvd1.Manager"
#define HVD_VM_IFACE "org.hvd1.VM"

/* Opens the bus --address/--user/default asked for. Returns 0 or an exit code (reported, about
 * `name`, which may be NULL). */
int vmctl_bus_open(struct vmctl *v, const char *name);

/* Reports a failed operation on `name` (may be NULL) as "vmctl: <verb> <name>: <message>" and
 * returns its exit code. error may be unset; r is the -errno the call returned. */
int vmctl_report(struct vmctl *v, const char *name, const sd_bus_error *error, int r);

/* The exit code for a D-Bus error name (or for -errno r when the name is unknown or unset). */
int vmctl_exit_code(const char *error_name, int r);

/* GetVM(name): the VM's object path (malloc'd). Returns 0 or -errno with error filled. */
int vmctl_vm_path(sd_bus *bus, const char *name, sd_bus_error *error, char **ret_path);

/* GetVM(name) then the argument-less org.hvd1.VM method `method`; returns an exit code. */
int vmctl_vm_simple_call(struct vmctl *v, const char *name, const char *method);

/* Shows the reason to the user for a usage error in a verb; returns VMCTL_EXIT_USAGE. */
int vmctl_usage_error(struct vmctl *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
