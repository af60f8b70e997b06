/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byte-ring.h"
#include "macros.h"

int byte_ring_init(struct byte_ring *r, size_t size)
{
        *r = (struct byte_ring){ .size = size };
        r->buf = malloc(size ? size : 1);
        return r->buf ? 0 : -ENOMEM;
}

void byte_ring_done(struct byte_ring *r)
{
        free(r->buf);
        *r = (struct byte_ring){};
}

void byte_ring_write(struct byte_ring *r, const uint8_t *p, size_t n)
{
        if (r->size == 0)
                return;
        if (n > r->size) {
                p += n - r->size;
                n = r->size;
        }
        while (n > 0) {
                size_t chunk = MIN(n, r->size - r->head);
                memcpy(r->buf + r->head, p, chunk);
                r->head = (r->head + chunk) % r->size;
                r->len = MIN(r->len + chunk, r->size);
                p += chunk;
                n -= chunk;
        }
}

int byte_ring_copy(const struct byte_ring *r, uint8_t **ret, size_t *ret_len)
{
        uint8_t *buf = malloc(r->len ? r->len : 1);
        size_t start, first;

        if (!buf)
                return -ENOMEM;
        if (r->len) {
                start = (r->head + r->size - r->len) % r->size;
                first = MIN(r->len, r->size - start);
                memcpy(buf, r->buf + start, first);
                memcpy(buf + first, r->buf, r->len - first);
        }
        *ret = buf;
        *ret_len = r->len;
        return 0;
}

int byte_ring_resize(struct byte_ring *r, size_t size)
{
        uint8_t *old, *buf;
        size_t len, keep;
        int k;

        k = byte_ring_copy(r, &old, &len);
        if (k < 0)
                return k;
        buf = malloc(size ? size : 1);
        if (!buf) {
                free(old);
                return -ENOMEM;
        }
        keep = MIN(len, size);
        memcpy(buf, old + len - keep, keep);
        free(old);
        free(r->buf);
        r->buf = buf;
        r->size = size;
        r->len = keep;
        r->head = size ? keep % size : 0;
        return 0;
}
