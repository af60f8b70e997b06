/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl stop NAME: stops a VM at once, like pulling the plug (org.hvd1.VM.Stop). */
#include "client.h"

int vmctl_stop(struct vmctl *v, int argc, char **argv)
{
        return vmctl_vm_simple_call(v, argv[0], "Stop");
}
