/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PVH boot: loads a PVH ELF kernel (and an optional initrd) into guest RAM, writes the
 * hv_pvh_start_info block (memory map, command line, modules), and puts a vCPU in the 32-bit
 * protected-mode state the PVH entry expects. The VM core calls this; it is internal to
 * libhvcore.
 *
 * Guest physical layout it produces (RAM is one range at GPA 0, at most 3 GiB so that it ends
 * below the 32-bit MMIO hole):
 *   [0, 0x6000)            RAM
 *   [0x6000, 0x8000)       reserved: start info, memory map, module list, command line
 *   [0x8000, 0xa0000)      RAM
 *   [0xa0000, 0x100000)    reserved (legacy VGA/ROM window; nothing is mapped there)
 *   [0x100000, size)       RAM: the kernel's segments where its ELF says (p_paddr), the
 *                          initrd page-aligned at the top
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "boot/pvh-abi.h"

/* Largest guest RAM the loader describes (the 4 GiB hole is not split yet). */
#define HV_PVH_RAM_MAX (3ULL << 30)
/* Smallest: the low window plus 1 MiB above it. */
#define HV_PVH_RAM_MIN (2ULL << 20)
/* Largest kernel file read into memory for parsing. */
#define HV_PVH_KERNEL_FILE_MAX (1ULL << 30)

struct hv_guest_memory {
        uint8_t *host; /* guest RAM at GPA 0, mapped here */
        uint64_t size; /* bytes, a multiple of 4096 */
        /* Called for every range the loader writes (may be NULL), so the dirty log is complete. */
        void (*mark_dirty)(void *opaque, uint64_t gpa, uint64_t len);
        void *opaque;
};

struct hv_pvh_boot {
        uint32_t entry;          /* %eip: the PHYS32_ENTRY address */
        uint32_t start_info_gpa; /* %ebx */
        uint64_t kernel_end;     /* first page-aligned GPA above every kernel segment */
        uint64_t initrd_gpa;     /* 0: no initrd */
        uint64_t initrd_size;
};

/* Loads kernel_path (a PVH ELF32 or ELF64) into mem, and initrd_path (NULL: none) as module 0,
 * with cmdline (NULL: empty) as the command line. Every byte written goes through
 * mem->mark_dirty. On success fills *ret_boot and returns 0. On failure returns -errno and
 * writes one line naming the problem to errbuf (prefixed with the file's path); guest RAM may
 * then hold partial content. Errors:
 *   -ENOEXEC  not a PVH ELF, a malformed one, or a segment that does not fit guest RAM
 *   -E2BIG    command line longer than HV_PVH_CMDLINE_MAX, or an initrd that does not fit
 *   -EFBIG    kernel file larger than HV_PVH_KERNEL_FILE_MAX
 *   -EINVAL   bad arguments, or guest RAM smaller than HV_PVH_RAM_MIN or not page-aligned
 *   -EOPNOTSUPP guest RAM larger than HV_PVH_RAM_MAX
 *   -ENOENT, -EACCES, -EIO, ...: from opening or reading the files */
int hv_pvh_load(const struct hv_guest_memory *mem, const char *kernel_path, const char *initrd_path,
                const char *cmdline, struct hv_pvh_boot *ret_boot, char *errbuf, size_t errlen);
/* The same from open files (read with pread from offset 0, so the same fds load again on a
 * reset); the paths only name them in messages. initrd_fd < 0: none. */
int hv_pvh_load_fd(const struct hv_guest_memory *mem, int kernel_fd, const char *kernel_path, int initrd_fd,
                   const char *initrd_path, const char *cmdline, struct hv_pvh_boot *ret_boot, char *errbuf, size_t errlen);

/* Sets a vCPU (fd from KVM_CREATE_VCPU) to the PVH entry state: flat 32-bit protected mode
 * (CS/DS/ES/FS/GS/SS base 0, limit 4 GiB), CR0 = PE|ET, paging off, CR4 = EFER = 0,
 * EIP = entry, EBX = start info, EFLAGS = 0x2 (interrupts off), other registers 0.
 * Returns 0 or -errno from the ioctls. */
int hv_pvh_setup_vcpu(int vcpu_fd, const struct hv_pvh_boot *boot);
