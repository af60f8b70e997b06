/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bounded log of bytes that keeps the most recent `size` (a console's output): hvd keeps
 * one per VM for its clients, hvd-vm one for the hvd that attaches after a restart. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct byte_ring {
        uint8_t *buf;
        size_t size, head, len;   /* bytes [head - len, head) modulo size */
};

int byte_ring_init(struct byte_ring *r, size_t size);
void byte_ring_done(struct byte_ring *r);
void byte_ring_write(struct byte_ring *r, const uint8_t *p, size_t n);
/* The content in order, in a malloc'd buffer. */
int byte_ring_copy(const struct byte_ring *r, uint8_t **ret, size_t *ret_len);
/* A new size; keeps the most recent bytes that fit. */
int byte_ring_resize(struct byte_ring *r, size_t size);
