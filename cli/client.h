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

/* The message vmctl_report() prints for error (may be unset) or -errno r; borrowed from error
 * or static. */
const char *vmctl_error_message(const sd_bus_error *error, int r);

/* The exit code for a D-Bus error name (or for -errno r when the name is unknown or unset). */
int vmctl_exit_code(const char *error_name, int r);

/* Calls m and waits for its reply (usec: 0 for sd-bus's default timeout). Unlike sd_bus_call()
 * the call is sent without first waiting for the bus's Hello reply, saving a round trip on a
 * fresh connection. Returns >= 0 or -errno with error filled from an error reply. */
int vmctl_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *error, sd_bus_message **ret_reply);

/* vmctl_call() of a method of hvd (bus name org.hvd1), arguments as sd_bus_message_append(). */
int vmctl_call_method(sd_bus *bus, const char *path, const char *iface, const char *member,
                      sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...);

/* GetVM(name): the VM's object path (malloc'd). Returns 0 or -errno with error filled. */
int vmctl_vm_path(sd_bus *bus, const char *name, sd_bus_error *error, char **ret_path);

/* Calls m and waits for its reply (usec: 0 for sd-bus's default timeout). Unlike sd_bus_call()
 * the call is sent without first waiting for the bus's Hello reply, saving a round trip on a
 * fresh connection. Returns >= 0 or -errno with error filled from an error reply. */
int vmctl_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *error, sd_bus_message **ret_reply);

/* vmctl_call() of a method of hvd (bus name org.hvd1), arguments as sd_bus_message_append(). */
int vmctl_call_method(sd_bus *bus, const char *path, const char *iface, const char *member,
                      sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...);

/* GetVM(name) then the argument-less org.hvd1.VM method `method`; returns an exit code. */
int vmctl_vm_simple_call(struct vmctl *v, const char *name, const char *method);

/* Shows the reason to the user for a usage error in a verb; returns VMCTL_EXIT_USAGE. */
int vmctl_usage_error(struct vmctl *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
