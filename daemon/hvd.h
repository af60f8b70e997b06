/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon: one libevent loop in the main thread, the bus on it, the VMs it manages. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include <hvcore/host.h>

#include "bus-watch.h"
#include "conf.h"

struct event_base;
struct event;
struct machine;

#define HVD_BUS_NAME "org.hvd1"
#define HVD_MANAGER_PATH "/org/hvd1"
#define HVD_VM_PATH_PREFIX "/org/hvd1/vm"

struct hvd {
        struct event_base *base;
        sd_bus *bus;
        struct bus_watch bus_watch;

        bool user_mode;
        char *state_dir, *runtime_dir, *plugin_dir;
        int state_fd;             /* the state directory, flock'ed: one hvd per directory */
        struct hvd_conf conf;

        /* host information (Manager properties; host.vm_max_* are what DefineVM validates) */
        char *version, *cpu_vendor, *vendor_plugin, *kvm_module;
        struct hv_host_info host;
        gid_t group_gid;          /* conf.group's gid, or (gid_t)-1 */

        struct machine *machines; /* every defined VM, in definition order */
        uint32_t n_defined, n_running;
        uint32_t n_processes;     /* VM processes (MaxVMs caps them) */
        uint32_t n_operations;    /* calls waiting for a VM (operation.h) */

        struct hvd_creds_cache *creds;

        struct event *sig_term, *sig_int, *sig_hup, *watchdog;
        bool stopping, quit;
        int exit_status;
};

/* Re-arms the loop's events for the bus and every VM process's connection from what sd-bus
 * waits for; called before every wait of the loop and after queuing a message outside a bus
 * callback. */
void hvd_bus_rearm(struct hvd *h);
/* Attaches the bus to the loop. */
int hvd_bus_attach(struct hvd *h);
void hvd_bus_detach(struct hvd *h);

/* Registers the Manager object, ObjectManager, and error map. */
int hvd_manager_register(struct hvd *h);
/* Tells systemd and the bus that the number of running VMs changed. */
void hvd_running_changed(struct hvd *h);
void hvd_defined_changed(struct hvd *h);

/* Looks up a VM by name / by object path; NULL if none. */
struct machine *hvd_find_machine(struct hvd *h, const char *name);
struct machine *hvd_find_machine_by_path(struct hvd *h, const char *path);
struct machine *hvd_find_machine_by_uuid(struct hvd *h, const char *uuid);

/* SIGTERM: hvd exits and the VMs run on in their processes (the next hvd adopts them). */
void hvd_begin_stop(struct hvd *h);
