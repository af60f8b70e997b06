/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing a PVH kernel: an ELF32 or ELF64 x86 executable with Xen's PHYS32_ENTRY note. The
 * parser works on a file held in memory and trusts nothing in it: every offset, size and count
 * is checked against the buffer and against overflow before use. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Upper bound on program headers and on notes examined, so a hostile file cannot make the
 * parser allocate or loop without limit. */
#define HV_ELF_MAX_PHDRS 512

struct hv_elf_segment {
        uint64_t paddr;  /* where PVH places it: the physical address (p_paddr) */
        uint64_t offset; /* file offset of its data */
        uint64_t filesz; /* bytes copied from the file */
        uint64_t memsz;  /* bytes occupied in memory, the rest zero-filled; >= filesz */
};

struct hv_elf_pvh {
        uint32_t entry;   /* from the PHYS32_ENTRY note */
        int elf_class;    /* 32 or 64 */
        size_t n_segments;
        struct hv_elf_segment segments[]; /* PT_LOAD with memsz > 0, in file order */
};

/* Parses buf[0, len). On success *ret (malloc'd, free with free()) describes the loadable
 * segments and the entry; their paddr + memsz does not overflow and their file data lies inside
 * buf. Returns -ENOEXEC (not a PVH ELF, or a malformed one) with a one-line reason in errbuf,
 * or -ENOMEM. */
int hv_elf_pvh_parse(const uint8_t *buf, size_t len, struct hv_elf_pvh **ret, char *errbuf, size_t errlen);
