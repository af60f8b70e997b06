/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest RAM: a memfd mapped shared, so it can later be handed over (migration on one host)
 * or sealed, and reset by punching it out. */
#pragma once

#include <stdint.h>

struct hv_guest_ram {
        int fd;
        uint8_t *host;
        uint64_t size;
};

/* memfd_create(MFD_CLOEXEC), ftruncate, mmap(MAP_SHARED). size must be page aligned. */
int hv_guest_ram_new(const char *name, uint64_t size, struct hv_guest_ram *ret);
/* Unmaps and closes; accepts an already freed or zeroed struct. */
void hv_guest_ram_free(struct hv_guest_ram *ram);
/* Gives every page back to the kernel: the RAM reads as zeroes again. */
int hv_guest_ram_discard(struct hv_guest_ram *ram);
