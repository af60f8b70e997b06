/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl shutdown [--timeout SECONDS] NAME|--all: asks the guest to power off and waits for it;
 * hvd answers org.hvd1.Error.Timeout (exit 7) when the guest has not stopped in time. --all
 * asks every running guest at once. */
#include "all.h"
#include "client.h"
#include "macros.h"

#define SHUTDOWN_DEFAULT_USEC (60ULL * 1000000)
/* The call outlives the guest's deadline by this much, so hvd's own Timeout error wins. */
#define SHUTDOWN_CALL_SLACK_USEC (10ULL * 1000000)
/* --timeout 0 lets hvd use DefaultShutdownTimeoutSec (up to an hour): wait for that long. */
#define SHUTDOWN_SERVER_MAX_USEC (3600ULL * 1000000)

static const struct vmctl_all_state shutdown_all_states[] = {
        { "running", VMCTL_ALL_CALL },
        { "shutting-down", VMCTL_ALL_CALL }, /* another caller's Shutdown: wait with it */
        /* hvd refuses these; saying why helps more than its "cannot Shutdown" */
        { "paused", VMCTL_ALL_SKIP, "a paused guest cannot shut down (resume it, or stop it)" },
        { "starting", VMCTL_ALL_SKIP, "its guest does not run yet (try again, or stop it)" },
        { "resetting", VMCTL_ALL_SKIP, "its guest is being reset (try again, or stop it)" },
        { NULL, VMCTL_ALL_IGNORE }, /* shutoff, crashed: no guest to ask */
};

int vmctl_shutdown(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        const char *name = argv[0];
        uint64_t timeout = v->timeout_set ? v->timeout_usec : SHUTDOWN_DEFAULT_USEC;
        uint64_t call_usec = (timeout ? timeout : SHUTDOWN_SERVER_MAX_USEC) + SHUTDOWN_CALL_SLACK_USEC;
        int r;

        if (v->all)
                return vmctl_all_run(v, &(const struct vmctl_all_verb){
                                                .method = "Shutdown",
                                                .send_timeout = true,
                                                .timeout_usec = timeout,
                                                .call_usec = call_usec,
                                                .states = shutdown_all_states,
                                                .done = "shut down",
                                                .none = "No running VM to shut down.",
                                        });
        r = vmctl_vm_path(v->bus, name, &error, &path);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = sd_bus_message_new_method_call(v->bus, &m, HVD_BUS_NAME, path, HVD_VM_IFACE, "Shutdown");
        if (r >= 0)
                r = sd_bus_message_append(m, "t", timeout);
        if (r < 0)
                return vmctl_report(v, name, NULL, r);
        r = vmctl_call(v->bus, m, call_usec, &error, NULL);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        return VMCTL_EXIT_OK;
}
