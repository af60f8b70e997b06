/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon: one libevent loop in the main thread, the bus on it, the VMs it manages. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include <hvcore/host.h>

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
        struct event *bus_io, *bus_timer;
        short bus_io_events;      /* what bus_io waits for now */
        uint64_t bus_timeout;     /* what bus_timer is armed for (absolute µs), UINT64_MAX for none */

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
        uint32_t n_starting;      /* VMs being built by a worker thread */
        uint32_t n_operations;    /* calls waiting for a VM (operation.h) */

        struct hvd_creds_cache *creds;

        struct event *sig_term, *sig_int, *sig_hup, *watchdog, *shutdown_timer;
        bool stopping, quit;
        int exit_status;
};

/* Re-arms the bus fd and timer events from sd_bus_get_events()/sd_bus_get_timeout();
 * called before every wait of the loop. */
void hvd_bus_rearm(struct hvd *h);
/* Attaches the bus to the loop (creates the events). */
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

/* SIGTERM: shut every VM down within conf.shutdown_timeout, then stop the rest and quit. */
void hvd_begin_stop(struct hvd *h);
/* Called when a VM stopped running: finishes hvd_begin_stop once none runs. */
void hvd_check_stopped(struct hvd *h);
