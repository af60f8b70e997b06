/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl reset NAME: resets a running VM like its reset line would (org.hvd1.VM.Reset). */
#include "client.h"

int vmctl_reset(struct vmctl *v, int argc, char **argv)
{
        return vmctl_vm_simple_call(v, argv[0], "Reset");
}
