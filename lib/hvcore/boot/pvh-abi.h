/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PVH boot ABI (Xen's public hvm/start_info.h and elfnote.h, as QEMU, Cloud Hypervisor and
 * Firecracker use it): the ELF note naming the 32-bit entry point and the start-info block the
 * guest finds in %ebx. Fixed-width fields only, so the freestanding test guests (built -m32)
 * include this file too: every 64-bit field sits at an 8-byte offset, so i386 and x86-64 agree
 * on the layout. */
#pragma once

#include <stdint.h>

/* ELF note: name "Xen", type 18, descriptor = 32-bit physical entry (4 or 8 bytes). */
#define HV_PVH_NOTE_NAME "Xen"
#define HV_PVH_NOTE_PHYS32_ENTRY 18

#define HV_PVH_START_MAGIC 0x336ec578u
#define HV_PVH_START_VERSION 1 /* version 1 adds the memory map */

struct hv_pvh_start_info {
        uint32_t magic;          /* HV_PVH_START_MAGIC */
        uint32_t version;        /* HV_PVH_START_VERSION */
        uint32_t flags;          /* 0 */
        uint32_t nr_modules;     /* entries at modlist_paddr */
        uint64_t modlist_paddr;  /* struct hv_pvh_modlist_entry[nr_modules], 0 if none */
        uint64_t cmdline_paddr;  /* NUL-terminated ASCII command line */
        uint64_t rsdp_paddr;     /* ACPI RSDP, 0: none */
        uint64_t memmap_paddr;   /* struct hv_pvh_memmap_entry[memmap_entries] */
        uint32_t memmap_entries;
        uint32_t reserved;
};

struct hv_pvh_modlist_entry {
        uint64_t paddr;
        uint64_t size;
        uint64_t cmdline_paddr; /* 0: none */
        uint64_t reserved;
};

enum {
        HV_PVH_MEMMAP_RAM = 1,
        HV_PVH_MEMMAP_RESERVED = 2,
        HV_PVH_MEMMAP_ACPI = 3,
        HV_PVH_MEMMAP_NVS = 4,
        HV_PVH_MEMMAP_UNUSABLE = 5,
};

struct hv_pvh_memmap_entry {
        uint64_t addr;
        uint64_t size;
        uint32_t type; /* HV_PVH_MEMMAP_* */
        uint32_t reserved;
};

_Static_assert(sizeof(struct hv_pvh_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct hv_pvh_modlist_entry) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct hv_pvh_memmap_entry) == 24, "hvm_memmap_table_entry layout");

/* Where hvd's loader puts the boot information: one reserved window in low memory holding the
 * start info, the memory map, the module list and the command line. Guest images must not
 * overlap it (a PVH ELF normally loads at 1 MiB or above). */
#define HV_PVH_INFO_GPA 0x6000u
#define HV_PVH_INFO_SIZE 0x2000u
#define HV_PVH_CMDLINE_MAX 4095u /* bytes, without the NUL */
