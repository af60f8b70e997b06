/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl resume NAME: lets a paused VM's vCPUs run again (org.hvd1.VM.Resume). */
#include "client.h"

int vmctl_resume(struct vmctl *v, int argc, char **argv)
{
        return vmctl_vm_simple_call(v, argv[0], "Resume");
}
