/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mm/guest-memory.h"
#include "macros.h"

int hv_guest_ram_new(const char *name, uint64_t size, struct hv_guest_ram *ret)
{
        if (size == 0 || size % (uint64_t)sysconf(_SC_PAGESIZE))
                return -EINVAL;
        _cleanup_close_ int fd = memfd_create(name && *name ? name : "hvd-guest-ram", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (ftruncate(fd, (off_t)size) < 0)
                return negative_errno();
        /* MAP_NORESERVE: guest RAM is touched lazily; the memfd is the accounting */
        void *host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
        if (host == MAP_FAILED)
                return negative_errno();
        *ret = (struct hv_guest_ram){ .fd = TAKE_FD(fd), .host = host, .size = size };
        return 0;
}

void hv_guest_ram_free(struct hv_guest_ram *ram)
{
        if (ram->host)
                munmap(ram->host, ram->size);
        ram->fd = safe_close(ram->fd);
        ram->host = NULL;
        ram->size = 0;
}

int hv_guest_ram_discard(struct hv_guest_ram *ram)
{
        if (fallocate(ram->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)ram->size) < 0)
                return negative_errno();
        return 0;
}
