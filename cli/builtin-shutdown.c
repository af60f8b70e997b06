/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl shutdown [--timeout SECONDS] NAME: asks the guest to power off and waits for it; hvd
 * answers org.hvd1.Error.Timeout (exit 7) when the guest has not stopped in time. */
#include "client.h"
#include "macros.h"

#define SHUTDOWN_DEFAULT_USEC (60ULL * 1000000)
/* The call outlives the guest's deadline by this much, so hvd's own Timeout error wins. */
#define SHUTDOWN_CALL_SLACK_USEC (10ULL * 1000000)
/* --timeout 0 lets hvd use DefaultShutdownTimeoutSec (up to an hour): wait for that long. */
#define SHUTDOWN_SERVER_MAX_USEC (3600ULL * 1000000)

int vmctl_shutdown(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        const char *name = argv[0];
        uint64_t timeout = v->timeout_set ? v->timeout_usec : SHUTDOWN_DEFAULT_USEC;
        int r;

        r = vmctl_vm_path(v->bus, name, &error, &path);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = sd_bus_message_new_method_call(v->bus, &m, HVD_BUS_NAME, path, HVD_VM_IFACE, "Shutdown");
        if (r >= 0)
                r = sd_bus_message_append(m, "t", timeout);
        if (r < 0)
                return vmctl_report(v, name, NULL, r);
        r = vmctl_call(v->bus, m, (timeout ? timeout : SHUTDOWN_SERVER_MAX_USEC) + SHUTDOWN_CALL_SLACK_USEC, &error, NULL);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        return VMCTL_EXIT_OK;
}
