/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl stop NAME|--all: stops a VM at once, like pulling the plug (org.hvd1.VM.Stop); --all
 * stops every VM that is not shut off. */
#include "all.h"
#include "client.h"

static const struct vmctl_all_state stop_all_states[] = {
        { "shutoff", VMCTL_ALL_IGNORE },
        /* running, paused, starting, resetting, shutting-down, and crashed (Stop releases what
         * its dead guest still holds); a state newer than this vmctl is hvd's to judge */
        { NULL, VMCTL_ALL_CALL },
};

int vmctl_stop(struct vmctl *v, int argc, char **argv)
{
        if (v->all)
                return vmctl_all_run(v, &(const struct vmctl_all_verb){
                                                .method = "Stop",
                                                .states = stop_all_states,
                                                .done = "stopped",
                                                .none = "No VM to stop: all are shut off.",
                                        });
        return vmctl_vm_simple_call(v, argv[0], "Stop");
}
