/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registering a VM's hvd-vm process with systemd-machined (org.freedesktop.machine1), as libvirt
 * does: machined asks systemd for a scope unit machine-NAME.scope in machine.slice, moves the
 * leader process into it, and lists the VM (`machinectl list`, class "vm", service "hvd").
 *
 * The caller is hvd in system mode (never --user), right after spawning hvd-vm and before
 * hvd-vm forks: machined moves the leader (with all its threads) into the scope, not children
 * forked before. The registration belongs to the scope, not to hvd's bus connection: it
 * outlives hvd, and ends by itself when hvd-vm exits (the scope empties, systemd collects it,
 * machined forgets the machine). So stopping a VM needs no call here, and this module never
 * calls TerminateMachine: that kills every process of the scope.
 *
 * Both calls block: sd_bus_call() on the caller's connection, MACHINED_TIMEOUT_USEC for all
 * their round trips together (machined answers in milliseconds: CreateMachine returns once
 * systemd has started the scope). Messages for other handlers that arrive meanwhile are queued
 * on the connection; the caller's loop re-queries sd_bus_get_events()/sd_bus_get_timeout()
 * before its next wait, as hvd's does before every wait. The library logs nothing: the caller
 * logs msg, once.
 *
 * Return values of both: -ENOENT only when machined is not there (msg names
 * org.freedesktop.machine1 and why: no system bus, the name is neither owned nor activatable,
 * its activation failed on a host without systemd as PID 1, machined is masked); the caller
 * logs that at debug level and carries on without. Every other failure is a real one: -EINVAL
 * (bad argument, e.g. a VM name that is not a valid machine name), -EEXIST (another live
 * machine has that name), -ETIMEDOUT (no answer in time), -EACCES/-EPERM (refused), -EIO and
 * others, with msg naming the cause and, where machined or systemd answered, the D-Bus error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#define MACHINED_TIMEOUT_USEC (2 * UINT64_C(1000000))

/* Whether machined accepts name as a machine name: a host name (labels of letters, digits and
 * '-', not starting or ending with '-', joined by single dots), at most 64 characters. hvd's VM
 * names also allow '_' and other forms machined refuses; those VMs run unregistered. */
bool machined_name_is_valid(const char *name);

/* Registers leader (hvd-vm) as the VM name with the UUID uuid (36 characters), through
 * CreateMachine: class "vm", service "hvd", root_directory NULL or "" for a VM (else absolute).
 * The scope says it is an hvd VM (Description), is ordered after hvd.service (at shutdown VMs
 * stop while hvd still runs, to see them go), keeps hvd.service's device policy (only
 * /dev/kvm beyond the basic pseudo devices), is collected even when it failed (its name is free
 * for the VM's next start), and gives its processes stop_timeout_usec from SIGTERM to SIGKILL
 * (0: systemd's default): more than hvd-vm's bound on a guest shutdown.
 * Returns 0 when registered, 1 when leader was registered under name already (hvd re-attached
 * after a restart), -errno otherwise (see above). A machine of that name whose leader has
 * exited, left until systemd notices its empty scope, is waited for within the timeout. */
int machined_register(sd_bus *system_bus, const char *name, const char *uuid, pid_t leader,
                      const char *root_directory, uint64_t stop_timeout_usec, char *msg, size_t msglen);

/* Makes machined forget the machine name (UnregisterMachine) without touching its processes,
 * if it is still registered for leader (0: whoever leads it). Returns 0 when it was
 * unregistered or there was nothing to do (no such machine: its scope ended; or another leader,
 * e.g. the VM's next hvd-vm: left alone), -errno otherwise (see above). Not needed when a VM
 * stops (see above): it is for a VM whose hvd-vm keeps running but should no longer be listed.
 * machined may list it as "closing" until the scope ends. */
int machined_unregister(sd_bus *system_bus, const char *name, pid_t leader, char *msg, size_t msglen);
