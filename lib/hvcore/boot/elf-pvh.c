/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/elf-pvh.h"
#include "macros.h"
#include "boot/pvh-abi.h"

/* ELF constants used here (System V gABI). */
#define EI_NIDENT 16
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define SHT_NOTE 7
#define PN_XNUM 0xffff

/* Field offsets and sizes that differ between the two classes. */
struct elf_layout {
        size_t ehdr_size, phdr_size, shdr_size;
        size_t e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum;
        size_t p_type, p_offset, p_paddr, p_filesz, p_memsz, p_align;
        size_t sh_type, sh_offset, sh_size;
        size_t addr_size; /* 4 or 8: width of offsets and addresses */
};

static const struct elf_layout layout32 = {
        .ehdr_size = 52, .phdr_size = 32, .shdr_size = 40,
        .e_phoff = 28, .e_shoff = 32, .e_phentsize = 42, .e_phnum = 44, .e_shentsize = 46, .e_shnum = 48,
        .p_type = 0, .p_offset = 4, .p_paddr = 12, .p_filesz = 16, .p_memsz = 20, .p_align = 28,
        .sh_type = 4, .sh_offset = 16, .sh_size = 20,
        .addr_size = 4,
};

static const struct elf_layout layout64 = {
        .ehdr_size = 64, .phdr_size = 56, .shdr_size = 64,
        .e_phoff = 32, .e_shoff = 40, .e_phentsize = 54, .e_phnum = 56, .e_shentsize = 58, .e_shnum = 60,
        .p_type = 0, .p_offset = 8, .p_paddr = 24, .p_filesz = 32, .p_memsz = 40, .p_align = 48,
        .sh_type = 4, .sh_offset = 24, .sh_size = 32,
        .addr_size = 8,
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }
static uint64_t get_addr(const struct elf_layout *l, const uint8_t *p) { return l->addr_size == 8 ? get64(p) : get32(p); }

_printf_(3, 4) static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
        if (errbuf && errlen) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(errbuf, errlen, fmt, ap);
                va_end(ap);
        }
        return -ENOEXEC;
}

/* [off, off + size) inside a buffer of len bytes, without overflow. */
static bool range_in(uint64_t off, uint64_t size, uint64_t len) { return off <= len && size <= len - off; }

enum note_result { NOTE_NONE, NOTE_FOUND, NOTE_BAD };

/* Walks the notes in buf[off, off + size); on NOTE_FOUND sets *entry, on NOTE_BAD writes errbuf. */
static enum note_result notes_find_entry(const uint8_t *buf, uint64_t off, uint64_t size, const char *where,
                                         uint32_t *entry, char *errbuf, size_t errlen)
{
        uint64_t pos = 0;
        while (pos < size) {
                if (size - pos < 12) {
                        fail(errbuf, errlen, "malformed note in %s: header truncated", where);
                        return NOTE_BAD;
                }
                const uint8_t *h = buf + off + pos;
                uint64_t namesz = get32(h), descsz = get32(h + 4);
                uint32_t type = get32(h + 8);
                /* name and descriptor are each padded to 4 bytes */
                uint64_t name_pad = ALIGN_UP(namesz, 4), desc_pad = ALIGN_UP(descsz, 4);
                if (name_pad > size - pos - 12 || desc_pad > size - pos - 12 - name_pad) {
                        fail(errbuf, errlen, "malformed note in %s: name or descriptor runs past its end", where);
                        return NOTE_BAD;
                }
                const uint8_t *name = h + 12, *desc = name + name_pad;
                if (namesz == sizeof(HV_PVH_NOTE_NAME) && memcmp(name, HV_PVH_NOTE_NAME, namesz) == 0 &&
                    type == HV_PVH_NOTE_PHYS32_ENTRY) {
                        uint64_t v;
                        if (descsz == 4)
                                v = get32(desc);
                        else if (descsz == 8)
                                v = get64(desc);
                        else {
                                fail(errbuf, errlen, "malformed Xen PHYS32_ENTRY note in %s: descriptor is %llu bytes, not 4 or 8",
                                     where, (unsigned long long)descsz);
                                return NOTE_BAD;
                        }
                        if (v > UINT32_MAX) {
                                fail(errbuf, errlen, "malformed Xen PHYS32_ENTRY note in %s: entry %#llx is above 4 GiB",
                                     where, (unsigned long long)v);
                                return NOTE_BAD;
                        }
                        *entry = (uint32_t)v;
                        return NOTE_FOUND;
                }
                pos += 12 + name_pad + desc_pad;
        }
        return NOTE_NONE;
}

/* Notes of one segment or section (`kind` "note segment"/"note section", number `index`):
 * checks that they lie inside the file, then walks them as notes_find_entry does. */
static enum note_result note_region_find_entry(const uint8_t *buf, size_t len, uint64_t off, uint64_t size,
                                               const char *kind, unsigned index, uint32_t *entry, char *errbuf,
                                               size_t errlen)
{
        char where[48];
        if (!range_in(off, size, len)) {
                fail(errbuf, errlen, "%s %u: [%#llx, +%#llx) lies outside the file (%zu bytes)", kind, index,
                     (unsigned long long)off, (unsigned long long)size, len);
                return NOTE_BAD;
        }
        snprintf(where, sizeof(where), "%s %u", kind, index);
        return notes_find_entry(buf, off, size, where, entry, errbuf, errlen);
}

int hv_elf_pvh_parse(const uint8_t *buf, size_t len, struct hv_elf_pvh **ret, char *errbuf, size_t errlen)
{
        static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };
        const struct elf_layout *l;

        /* The Linux boot protocol's header signature "HdrS" at 0x202 marks a bzImage. */
        if (len >= 0x206 && memcmp(buf + 0x202, "HdrS", 4) == 0)
                return fail(errbuf, errlen, "a bzImage (Linux boot protocol), which is not supported yet: boot the kernel's PVH ELF (vmlinux) instead");
        if (len < EI_NIDENT || memcmp(buf, magic, sizeof(magic)) != 0)
                return fail(errbuf, errlen, "not an ELF file (bad magic); only PVH ELF kernels are supported, bzImage is not yet");
        if (buf[4] == ELFCLASS32)
                l = &layout32;
        else if (buf[4] == ELFCLASS64)
                l = &layout64;
        else
                return fail(errbuf, errlen, "unknown ELF class %u (neither ELF32 nor ELF64)", buf[4]);
        if (buf[5] != ELFDATA2LSB)
                return fail(errbuf, errlen, "ELF file is not little-endian: not an x86 kernel");
        if (len < l->ehdr_size)
                return fail(errbuf, errlen, "truncated ELF header (%zu bytes, ELF%d needs %zu)", len,
                            l == &layout32 ? 32 : 64, l->ehdr_size);
        uint16_t type = get16(buf + 16), machine = get16(buf + 18);
        if (type != ET_EXEC)
                return fail(errbuf, errlen, "ELF type %u is not an executable (ET_EXEC)", type);
        if (machine != EM_386 && machine != EM_X86_64)
                return fail(errbuf, errlen, "ELF machine %u is not x86", machine);

        uint64_t phoff = get_addr(l, buf + l->e_phoff);
        uint16_t phentsize = get16(buf + l->e_phentsize), phnum = get16(buf + l->e_phnum);
        if (phnum == 0)
                return fail(errbuf, errlen, "ELF file has no program headers");
        if (phnum == PN_XNUM || phnum > HV_ELF_MAX_PHDRS)
                return fail(errbuf, errlen, "too many program headers (%u, at most %d)", phnum, HV_ELF_MAX_PHDRS);
        if (phentsize != l->phdr_size)
                return fail(errbuf, errlen, "bad program header size %u (ELF%d uses %zu)", phentsize,
                            l == &layout32 ? 32 : 64, l->phdr_size);
        if (!range_in(phoff, (uint64_t)phnum * phentsize, len))
                return fail(errbuf, errlen, "program header table (offset %#llx, %u entries) lies outside the file (%zu bytes)",
                            (unsigned long long)phoff, phnum, len);

        _cleanup_free_ struct hv_elf_pvh *img = calloc(1, sizeof(*img) + phnum * sizeof(struct hv_elf_segment));
        if (!img)
                return -ENOMEM;
        img->elf_class = l == &layout32 ? 32 : 64;

        bool have_entry = false;
        for (unsigned i = 0; i < phnum; i++) {
                const uint8_t *ph = buf + phoff + (uint64_t)i * phentsize;
                uint32_t ptype = get32(ph + l->p_type);
                uint64_t off = get_addr(l, ph + l->p_offset), paddr = get_addr(l, ph + l->p_paddr);
                uint64_t filesz = get_addr(l, ph + l->p_filesz), memsz = get_addr(l, ph + l->p_memsz);

                if (ptype == PT_LOAD) {
                        if (!range_in(off, filesz, len))
                                return fail(errbuf, errlen, "segment %u: file data [%#llx, +%#llx) lies outside the file (%zu bytes)",
                                            i, (unsigned long long)off, (unsigned long long)filesz, len);
                        if (memsz < filesz)
                                return fail(errbuf, errlen, "segment %u: memory size %#llx is smaller than file size %#llx",
                                            i, (unsigned long long)memsz, (unsigned long long)filesz);
                        if (paddr + memsz < paddr)
                                return fail(errbuf, errlen, "segment %u: address %#llx + size %#llx overflows",
                                            i, (unsigned long long)paddr, (unsigned long long)memsz);
                        if (memsz == 0)
                                continue;
                        img->segments[img->n_segments++] = (struct hv_elf_segment){
                                .paddr = paddr, .offset = off, .filesz = filesz, .memsz = memsz };
                } else if (ptype == PT_NOTE && !have_entry) {
                        enum note_result r = note_region_find_entry(buf, len, off, filesz, "note segment", i,
                                                                    &img->entry, errbuf, errlen);
                        if (r == NOTE_BAD)
                                return -ENOEXEC;
                        have_entry = r == NOTE_FOUND;
                }
        }
        if (img->n_segments == 0)
                return fail(errbuf, errlen, "ELF file has no loadable segment");

        if (!have_entry) {
                /* No PT_NOTE carried it: look in the SHT_NOTE sections, as QEMU does. */
                uint64_t shoff = get_addr(l, buf + l->e_shoff);
                uint16_t shentsize = get16(buf + l->e_shentsize), shnum = get16(buf + l->e_shnum);
                if (shoff != 0 && shnum != 0) {
                        if (shentsize != l->shdr_size)
                                return fail(errbuf, errlen, "bad section header size %u (ELF%d uses %zu)", shentsize,
                                            img->elf_class, l->shdr_size);
                        if (!range_in(shoff, (uint64_t)shnum * shentsize, len))
                                return fail(errbuf, errlen, "section header table (offset %#llx, %u entries) lies outside the file (%zu bytes)",
                                            (unsigned long long)shoff, shnum, len);
                        for (unsigned i = 0; i < shnum && !have_entry; i++) {
                                const uint8_t *sh = buf + shoff + (uint64_t)i * shentsize;
                                if (get32(sh + l->sh_type) != SHT_NOTE)
                                        continue;
                                uint64_t off = get_addr(l, sh + l->sh_offset), size = get_addr(l, sh + l->sh_size);
                                enum note_result r = note_region_find_entry(buf, len, off, size, "note section", i,
                                                                            &img->entry, errbuf, errlen);
                                if (r == NOTE_BAD)
                                        return -ENOEXEC;
                                have_entry = r == NOTE_FOUND;
                        }
                }
        }
        if (!have_entry)
                return fail(errbuf, errlen, "no Xen PHYS32_ENTRY note: not a PVH kernel (only PVH ELF kernels are supported, bzImage is not yet)");

        bool entry_loaded = false;
        for (size_t i = 0; i < img->n_segments; i++) {
                const struct hv_elf_segment *s = &img->segments[i];
                if (img->entry >= s->paddr && img->entry - s->paddr < s->filesz)
                        entry_loaded = true;
        }
        if (!entry_loaded)
                return fail(errbuf, errlen, "PHYS32_ENTRY %#x is not inside a loaded segment", img->entry);

        *ret = TAKE_PTR(img);
        return 0;
}
