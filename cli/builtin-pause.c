/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl pause NAME: stops a running VM's vCPUs, keeping its memory (org.hvd1.VM.Pause). */
#include "client.h"

int vmctl_pause(struct vmctl *v, int argc, char **argv)
{
        return vmctl_vm_simple_call(v, argv[0], "Pause");
}
