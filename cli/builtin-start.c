/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl start NAME: starts a shut-off or crashed VM (org.hvd1.VM.Start). */
#include "client.h"

int vmctl_start(struct vmctl *v, int argc, char **argv)
{
        return vmctl_vm_simple_call(v, argv[0], "Start");
}
