/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debug-exit.h"

struct hv_debug_exit {
        const struct hv_debug_exit_ops *ops;
        void *opaque;
};

int hv_debug_exit_new(const struct hv_debug_exit_ops *ops, void *opaque, struct hv_debug_exit **ret)
{
        if (!ops || !ops->exit || !ret)
                return -EINVAL;
        struct hv_debug_exit *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->ops = ops;
        d->opaque = opaque;
        *ret = d;
        return 0;
}

struct hv_debug_exit *hv_debug_exit_free(struct hv_debug_exit *d)
{
        free(d);
        return NULL;
}

void hv_debug_exit_io(struct hv_debug_exit *d, uint16_t offset, bool is_write, uint8_t *data, size_t len)
{
        if (!d || !data || len == 0)
                return;
        if (offset >= HV_DEBUG_EXIT_SIZE || len > (size_t)(HV_DEBUG_EXIT_SIZE - offset)) {
                if (!is_write)
                        memset(data, 0xff, len);
                return;
        }
        if (!is_write) {
                memset(data, 0, len);
                return;
        }
        /* Like QEMU, the value is the access's own, whatever its offset inside the port. */
        uint32_t code = 0;
        for (size_t i = 0; i < len; i++)
                code |= (uint32_t)data[i] << (8 * i);
        d->ops->exit(d->opaque, code);
}
